"""Report charts as PNG (for XLSX and PDF) and SVG (for the page) with matplotlib.

No pyplot and no global backend switch: each chart is its own ``Figure`` drawn by the Agg canvas, which is what
matplotlib recommends inside web servers. Rendering still goes through one lock, because matplotlib's font and text
caches are not thread-safe and gunicorn runs threads. Text uses DejaVu Sans (shipped with matplotlib), which has
every Vietnamese letter; the SVG draws glyphs as paths, so the browser needs no font and the file no script.
"""

from __future__ import annotations

import base64
import io
import textwrap
import threading
import unicodedata

import matplotlib
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.backends.backend_svg import FigureCanvasSVG
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.ticker import MaxNLocator

from ingest.reports.tables import Chart

KINDS = ("bar", "line", "stacked")
FONT_FAMILY = "DejaVu Sans"
DPI = 100
# Colour-blind-safe palette (Okabe–Ito), in an order that keeps neighbouring series apart in grey print too.
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#56B4E9", "#CC79A7", "#F0E442", "#000000")
NO_DATA = "Không có số liệu"

_lock = threading.Lock()
_RC = {
    "font.family": "sans-serif",
    "font.sans-serif": [FONT_FAMILY],
    "svg.fonttype": "path",  # glyphs as outlines: no font lookup in the browser, no @font-face in the SVG
    "svg.hashsalt": "donthu",  # stable element ids, so the same chart gives the same SVG
    "axes.unicode_minus": False,
}


def render_png(chart: Chart, *, width_px: int = 900, height_px: int = 380, dpi: int = DPI) -> bytes:
    """The chart as a PNG of exactly ``width_px`` x ``height_px``. Raise ``dpi`` with the size for print: 1800 x 760
    at 200 dpi has the layout of 900 x 380 at 100 dpi, twice as sharp."""
    if width_px < 100 or height_px < 80:
        raise ValueError("chart too small to draw")
    with _lock, matplotlib.rc_context(_RC):
        fig = _figure(chart, width_px / dpi, height_px / dpi, dpi)
        buf = io.BytesIO()
        FigureCanvasAgg(fig).print_png(buf, metadata={"Software": None})
    return buf.getvalue()


def render_svg(chart: Chart, *, width_px: int = 900, height_px: int = 380) -> str:
    """The chart as a standalone SVG document (no script, no external reference, no date in the metadata)."""
    with _lock, matplotlib.rc_context(_RC):
        fig = _figure(chart, width_px / DPI, height_px / DPI, DPI)
        buf = io.StringIO()
        FigureCanvasSVG(fig).print_svg(buf, metadata={"Date": None})
    return buf.getvalue()


def svg_data_uri(chart: Chart, *, width_px: int = 900, height_px: int = 380) -> str:
    """For ``<img src=...>``: an image loaded this way never runs script, and the CSP allows ``img-src data:``."""
    svg = render_svg(chart, width_px=width_px, height_px=height_px)
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii")


def _nfc(text: str) -> str:
    """Decomposed accents would be drawn as loose combining marks."""
    return unicodedata.normalize("NFC", text)


def _validate(chart: Chart) -> None:
    if chart.kind not in KINDS:
        raise ValueError(f"unknown chart kind {chart.kind!r} (expected one of {', '.join(KINDS)})")
    for name, values in chart.series.items():
        if len(values) != len(chart.categories):
            raise ValueError(f"series {name!r} has {len(values)} values for {len(chart.categories)} categories")


def _figure(chart: Chart, width_in: float, height_in: float, dpi: int) -> Figure:
    _validate(chart)
    font = FontProperties(family=FONT_FAMILY)
    fig = Figure(figsize=(width_in, height_in), dpi=dpi, layout="constrained")
    fig.set_facecolor("white")
    ax = fig.add_subplot()
    ax.set_title(_nfc(chart.title), fontproperties=font, fontsize=13, fontweight="bold", loc="left")
    ax.set_ylabel(_nfc(chart.y_label), fontproperties=font)
    ax.spines[["top", "right"]].set_visible(False)
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))  # counts of letters: never 2.5 letters
    ax.grid(axis="y", color="#dddddd", linewidth=0.8)
    ax.set_axisbelow(True)

    categories = [_nfc(c) for c in chart.categories]
    series = {_nfc(name): [int(v) for v in values] for name, values in chart.series.items()}
    if not categories or not series:
        ax.set_yticks([])
        ax.set_xticks([])
        ax.text(0.5, 0.5, NO_DATA, transform=ax.transAxes, ha="center", va="center", fontproperties=font,
                fontsize=12, color="#555555")
        return fig

    positions = list(range(len(categories)))
    if chart.kind == "line":
        for i, (name, values) in enumerate(series.items()):
            ax.plot(positions, values, marker="o", linewidth=2, color=PALETTE[i % len(PALETTE)], label=name)
        top = max(max(v) for v in series.values())
    elif chart.kind == "stacked":
        bottoms = [0] * len(categories)
        for i, (name, values) in enumerate(series.items()):
            ax.bar(positions, values, 0.6, bottom=bottoms, color=PALETTE[i % len(PALETTE)], label=name)
            bottoms = [b + v for b, v in zip(bottoms, values, strict=True)]
        top = max(bottoms)
    else:  # grouped bars, side by side within each category
        n = len(series)
        width = 0.8 / n
        for i, (name, values) in enumerate(series.items()):
            offsets = [p - 0.4 + width * (i + 0.5) for p in positions]
            ax.bar(offsets, values, width, color=PALETTE[i % len(PALETTE)], label=name)
        top = max(max(v) for v in series.values())

    ax.set_xlim(-0.5, len(categories) - 0.5)  # the same room at both ends for lines as for bars
    ax.set_ylim(bottom=0, top=max(top, 1) * 1.08)  # all-zero data still gets an axis from 0 to 1
    labels, slant = _tick_labels(categories, width_in)
    ax.set_xticks(positions, labels, fontproperties=font)
    if slant:
        for label in ax.get_xticklabels():
            label.set_rotation(45)
            label.set_horizontalalignment("right")
    for label in ax.get_yticklabels():
        label.set_fontproperties(font)
    fig.legend(loc="outside lower center", ncols=min(len(series), 4), frameon=False, prop=font)
    return fig


_CHAR_IN = 0.075  # average width of a 10 pt DejaVu Sans character, in inches


def _tick_labels(categories: list[str], width_in: float) -> tuple[list[str], bool]:
    """Category labels wrapped to the room under each category, at most two lines (the rest cut), so the plot keeps
    most of the figure's height; and whether they must be slanted, because a word is wider than that room."""
    room = max(1, int(width_in * 0.9 / len(categories) / _CHAR_IN))
    wrapped = [_two_lines(c, room) for c in categories]
    if all(len(line) <= room for label in wrapped for line in label):
        return ["\n".join(label) for label in wrapped], False
    # Slanted labels overlap unless they are single lines: cut long names to one line.
    return [textwrap.shorten(c, 24, placeholder="…") or c[:23] + "…" for c in categories], True


def _two_lines(text: str, width: int) -> list[str]:
    lines = textwrap.wrap(text, width, break_long_words=False) or [""]
    if len(lines) > 2:
        lines = [lines[0], textwrap.shorten(" ".join(lines[1:]), max(width, 8), placeholder="…")]
    return lines

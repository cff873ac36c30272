"""Sample letters for ``donthu run --demo``: typed letters as .txt, and two rendered as phone-photo-like scans."""

from __future__ import annotations

import io
import textwrap
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from ingest.dispatch import dispatch_new_letter
from ingest.errors import IntakeError
from ingest.intake import register_file
from ingest.services import Services

DEMO_DIR = Path(__file__).parent / "demo"
FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf"


def render_scan(text: str, *, dpi: int = 300, angle: float = 0.0) -> bytes:
    """The text on an A4 page as a PNG, optionally a little skewed like a careless scan."""
    width, height = int(8.27 * dpi), int(11.69 * dpi)
    page = Image.new("L", (width, height), 255)
    draw = ImageDraw.Draw(page)
    font = ImageFont.truetype(FONT, size=round(12 * dpi / 72))
    y, margin, line_height = dpi, dpi, round(12 * dpi / 72 * 1.45)
    for paragraph in text.splitlines():
        for line in textwrap.wrap(paragraph, width=70) or [""]:
            draw.text((margin, y), line, font=font, fill=0)
            y += line_height
    if angle:
        page = page.rotate(angle, resample=Image.Resampling.BICUBIC, expand=False, fillcolor=255)
    buf = io.BytesIO()
    page.save(buf, format="PNG", dpi=(dpi, dpi))
    return buf.getvalue()


def demo_files() -> list[tuple[str, bytes]]:
    files = [(p.name, p.read_bytes()) for p in sorted(DEMO_DIR.glob("*.txt"))]
    scans = []
    for name, data, angle in ((files[0][0], files[0][1], 2.5), (files[3][0], files[3][1], -4.0)):
        scans.append((name.replace(".txt", "_scan.png"), render_scan(data.decode("utf-8"), angle=angle)))
    return files + scans


def load_demo(svc: Services) -> int:
    """Register the demo letters (already present ones are recognised by their bytes); returns how many are new."""
    count = 0
    for name, data in demo_files():
        try:
            result = register_file(svc, data, name, channel="post", actor="demo")
        except IntakeError:
            continue
        if result.duplicate_of is None:
            dispatch_new_letter(svc, result.letter_id, result.job_id)
            count += 1
    return count

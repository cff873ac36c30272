"""Page clean-up before OCR: orientation, skew, noise and resolution.

Tesseract's ``vie`` model reads clean, upright 300 dpi print almost perfectly but degrades fast on
skewed, sideways, noisy or low-resolution pages. Everything here is cheap on purpose: the whole
clean-up must cost a small fraction of one Tesseract run (~1 s per A4 page), so the page is analysed
once on a ~100 dpi binarised thumbnail and the full-resolution image is resampled at most once.

Angle conventions (shared with ``tests/scans.py``):

* ``rotation``: the clockwise quarter turn (0/90/180/270) that makes the page upright;
* ``skew``: the counter-clockwise tilt of the text lines in the upright page, in degrees; it is
  removed by turning the page clockwise by the same amount.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np
from PIL import Image, ImageOps

__all__ = [
    "CleanPage",
    "Layout",
    "analyse_layout",
    "binarise",
    "binarise_thumbnail",
    "clean_page",
    "denoise",
    "estimate_noise",
    "estimate_skew",
    "flatten",
    "is_upside_down",
    "paper_background",
    "thumbnail",
    "to_gray",
]

ANALYSIS_LONG_SIDE = 1200  # thumbnail size for analysis: ~100 dpi for A4, enough to resolve text lines
MAX_SKEW = 15.0  # degrees we search for (and promise to correct)
MIN_SKEW = 0.3  # below this Tesseract copes by itself; resampling would only cost time
TARGET_DPI = 300  # the resolution Tesseract's models are happiest with
UPSCALE_BELOW_DPI = 200  # pages below this are enlarged to TARGET_DPI (at 200 dpi Tesseract still reads well)
DOWNSCALE_ABOVE_DPI = 450  # pages above this are reduced: same accuracy, much faster OCR
MAX_UPSCALE = 3.0
# Body text is ~10–13 pt; its x-height is ~half the em, so about 1/12 inch. Used to guess the dpi
# from the measured x-height when the caller does not know it, or knows a wrong one (phones write 72).
X_HEIGHT_INCHES = 0.5 * 12 / 72
DPI_DISAGREEMENT = 1.6  # trust the glyphs over a placeholder dpi beyond this factor
PLACEHOLDER_DPI = 96  # stated resolutions up to this are screen defaults, not scanner settings
TEXT_BOX_MARGIN_INCHES = 0.3  # padding around the measured text when cropping it for OCR
SHORT_TEXT_CONTRAST = 2.0  # below this line_confidence the line-shape test decides 0° vs 90°
MIN_NEIGHBOURS = 8  # ink pixels within 9×9 (~2 mm on the thumbnail) for a pixel to count as text
UNEVEN_PAPER = 30  # grey levels between the paper's 2nd and 98th percentile that call for flattening
NOISE_SIGMA_DENOISE = 5.0  # grey levels (as estimate_noise measures); cleaner pages pass untouched
MIN_PAGE_SIDE = 16  # pixels: no line of text fits in a narrower image; such an image is a blank page
MAX_OUTPUT_PIXELS = 64_000_000  # upscaling never makes a page larger than this (a 60 M pixel 72-dpi image)
MAX_OUTPUT_SIDE = 32_000  # nor longer than Tesseract reads (32767)


@dataclass
class Layout:
    """What the thumbnail analysis found out about a page."""

    rotation: int = 0  # clockwise quarter turn that makes the page upright
    skew: float = 0.0  # counter-clockwise tilt of the upright text lines, degrees
    x_height: float | None = None  # median x-height of the text in full-resolution pixels
    line_confidence: float = 0.0  # how much sharper the chosen line direction is than the other (ratio-1)
    updown_confidence: float = 0.0  # |above-below| / (above+below) of ink around text-line cores
    blank: bool = False  # no ink at all (a few specks at most): nothing to OCR
    lines: int = 0  # text lines found; with very few, the 0-vs-180 test has little to go on


@dataclass
class CleanPage:
    """A page ready for OCR and what was done to it."""

    image: Image.Image  # upright, deskewed, denoised, rescaled, mode "L"
    rotation: int
    skew: float
    dpi: int  # resolution of ``image`` (after rescaling)
    scale: float  # factor applied to the source resolution
    noise: float  # estimated noise sigma of the source, grey levels
    layout: Layout
    text_box: tuple[int, int, int, int] | None = None  # (left, top, right, bottom) of the text, padded


def to_gray(image: Image.Image) -> Image.Image:
    """``image`` as 8-bit greyscale (mode ``L``), EXIF orientation applied and alpha flattened on white.

    Stays a PIL image: converting a full page to numpy costs ~10 ms, which a clean upright page
    (the common case) never needs to pay.
    """
    if image.getexif().get(0x0112, 1) != 1:  # EXIF Orientation: phones store pages sideways
        image = ImageOps.exif_transpose(image)
    if image.mode in {"RGBA", "LA", "PA"} or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        image = Image.alpha_composite(background, rgba)
    if image.mode in {"I;16", "I;16B", "I;16L", "I", "F"}:
        arr = np.asarray(image, dtype=np.float32)
        top = float(arr.max()) or 1.0
        return Image.fromarray((arr * (255.0 / top)).clip(0, 255).astype(np.uint8))
    return image if image.mode == "L" else image.convert("L")


def thumbnail(gray: Image.Image, long_side: int = ANALYSIS_LONG_SIDE) -> tuple[np.ndarray, float]:
    """A ~100 dpi area-averaged copy of the page and its scale factor (thumbnail / source).

    Area averaging also averages away pixel noise and JPEG ringing before anything is measured.
    """
    # An integer box reduction is the cheapest area average (a fractional resize costs 3x more).
    # never more than the short side, so a strip of a page keeps at least one pixel across
    step = max(1, min(math.ceil(max(gray.size) / long_side), min(gray.size)))
    return np.asarray(gray.reduce(step) if step > 1 else gray), 1.0 / step


def paper_background(small: np.ndarray) -> np.ndarray | None:
    """Smooth estimate of the paper's brightness across a thumbnail, or None when it is even.

    Phone photos and book-edge scans are darker in places; Tesseract binarises with one global
    threshold and loses the text there (22% CER on a page shaded from 255 to ~115). A grey-level
    max filter wider than any stroke but narrower than a line gap leaves only the paper.
    """
    k = max(3, round(0.013 * max(small.shape)) | 1)  # ~15 px on a 1200 px thumbnail (~4 mm)
    background = cv2.dilate(small, cv2.getStructuringElement(cv2.MORPH_RECT, (k, k)))
    background = cv2.blur(background, (2 * k + 1, 2 * k + 1))
    cumulative = np.cumsum(cv2.calcHist([background], [0], None, [256], [0, 256]).ravel())
    low, high = np.searchsorted(cumulative, (0.02 * cumulative[-1], 0.98 * cumulative[-1]))
    if int(high) - int(low) < UNEVEN_PAPER:
        return None
    return np.maximum(background, 1)


def flatten(gray: np.ndarray, background: np.ndarray) -> np.ndarray:
    """Divide the page by its paper brightness (resized to fit), so the paper becomes white everywhere."""
    if background.shape != gray.shape:
        background = cv2.resize(background, (gray.shape[1], gray.shape[0]), interpolation=cv2.INTER_LINEAR)
    return cv2.divide(gray, background, scale=255)


def binarise(small: np.ndarray) -> np.ndarray:
    """Ink mask (True = ink) of a thumbnail.

    Components too big to be text (scanner borders, photos, stamps) are dropped, since they would
    dominate the projection profiles, and so are isolated specks (dust, noise).
    """
    cumulative = np.cumsum(cv2.calcHist([small], [0], None, [256], [0, 256]).ravel())
    ink = int(np.searchsorted(cumulative, 30))  # the darkest few pixels: ink, if there is any
    paper = int(np.searchsorted(cumulative, cumulative[-1] / 2))  # the median: paper
    if paper - ink < 40:  # no contrast at all: a blank or uniformly dark page
        return np.zeros(small.shape, dtype=bool)
    otsu, _ = cv2.threshold(small, 0, 255, cv2.THRESH_BINARY_INV | cv2.THRESH_OTSU)
    # On a nearly empty page Otsu may split the paper's own noise; keep the threshold well below it.
    threshold = min(otsu, paper - (paper - ink) / 4)
    _, mask = cv2.threshold(small, threshold, 255, cv2.THRESH_BINARY_INV)
    # Specks of dust or noise stand alone; letters, even diacritics, have ink all around them.
    neighbours = cv2.boxFilter((mask > 0).astype(np.uint8), cv2.CV_16U, (9, 9), normalize=False)
    mask[neighbours < MIN_NEIGHBOURS] = 0
    _, labels, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    height, width = mask.shape
    drop = (stats[:, cv2.CC_STAT_HEIGHT] > 0.05 * height) | (stats[:, cv2.CC_STAT_WIDTH] > 0.5 * width)
    drop[0] = False  # label 0 is the background
    if drop.any():
        mask[np.isin(labels, np.flatnonzero(drop))] = 0
    return mask > 0


def binarise_thumbnail(gray: Image.Image, long_side: int = ANALYSIS_LONG_SIDE) -> tuple[np.ndarray, float]:
    """Ink mask of a ~100 dpi thumbnail of ``gray`` (shading flattened) and its scale factor."""
    small, factor = thumbnail(gray, long_side)
    background = paper_background(small)
    return binarise(small if background is None else flatten(small, background)), factor


def _profile(xs: np.ndarray, ys: np.ndarray, angle: float) -> np.ndarray:
    """Histogram of ink along the page's vertical axis after undoing a counter-clockwise tilt ``angle``.

    Projecting point coordinates is much cheaper than rotating the thumbnail for every candidate.
    """
    rad = math.radians(angle)
    proj = xs * math.sin(rad) + ys * math.cos(rad)
    proj -= proj.min()
    return np.bincount(proj.astype(np.int32))


def _sharpness(profile: np.ndarray) -> float:
    """Sum of squares of the profile: largest when text lines fall into as few rows as possible."""
    p = profile.astype(np.float64)
    return float(p @ p)


def _line_contrast(profile: np.ndarray) -> float:
    """Squared coefficient of variation of the profile over the text's extent.

    Scale-free, so the row profile of one orientation can be compared with the column profile of the
    other: rows across horizontal text alternate ink/gap (high), columns are nearly flat (low).
    """
    nz = np.flatnonzero(profile)
    if nz.size < 2:
        return 0.0
    p = profile[nz[0] : nz[-1] + 1].astype(np.float64)
    mean = p.mean()
    return float(p.var() / (mean * mean)) if mean > 0 else 0.0


def _line_elongation(xs: np.ndarray, ys: np.ndarray, angle: float) -> float:
    """How much longer than thick the text lines are, if lines run along x after undoing ``angle``.

    Splits the row profile into lines at its near-empty rows and takes the ink-weighted median of
    each line's length over its thickness. Real lines are 10–60 times longer than thick; read the
    wrong way, a page gives one squat block and a single line gives word-sized slivers (ratio ~1).
    Unlike the profile contrast, this still works on a page of one or two lines.
    """
    rad = math.radians(angle)
    across = xs * math.sin(rad) + ys * math.cos(rad)
    along = xs * math.cos(rad) - ys * math.sin(rad)
    rows = (across - across.min()).astype(np.int32)
    profile = np.bincount(rows)
    filled = profile > 0.1 * profile.max()
    starts = filled & ~np.concatenate(([False], filled[:-1]))
    line_of_row = np.where(filled, np.cumsum(starts) - 1, -1)
    lines = line_of_row[rows]
    keep = lines >= 0
    lines, along = lines[keep], along[keep]
    count = int(starts.sum())
    if count == 0:
        return 0.0
    thickness = np.bincount(line_of_row[filled], minlength=count).astype(np.float64)
    low = np.full(count, np.inf)
    high = np.full(count, -np.inf)
    np.minimum.at(low, lines, along)
    np.maximum.at(high, lines, along)
    weight = np.bincount(lines, minlength=count).astype(np.float64)
    ratio = (high - low + 1.0) / thickness
    order = np.argsort(ratio)
    cumulative = np.cumsum(weight[order])
    return float(ratio[order][np.searchsorted(cumulative, cumulative[-1] / 2)])


def estimate_skew(
    xs: np.ndarray, ys: np.ndarray, max_angle: float = MAX_SKEW, coarse_step: float = 1.0
) -> tuple[float, float]:
    """Counter-clockwise tilt (degrees) of the text lines formed by ink points ``xs, ys`` (centred).

    Coarse-to-fine search for the angle whose projection profile is sharpest, finished with a
    parabola through the best fine step. Returns ``(angle, line_contrast at that angle)``.
    """
    if xs.size < 50:
        return 0.0, 0.0
    limit = max_angle + coarse_step
    coarse = np.arange(-limit, limit + 1e-9, coarse_step)
    # The coarse scan only has to land within a step of the peak: a sample of the ink is enough.
    k = max(1, xs.size // 15000)
    sx, sy = xs[::k], ys[::k]
    best = float(coarse[int(np.argmax([_sharpness(_profile(sx, sy, a)) for a in coarse]))])
    fine_step = 0.1
    fine = np.arange(best - coarse_step, best + coarse_step + 1e-9, fine_step)
    scores = np.array([_sharpness(_profile(xs, ys, a)) for a in fine])
    i = int(np.argmax(scores))
    angle = float(fine[i])
    if 0 < i < len(fine) - 1:
        left, mid, right = scores[i - 1 : i + 2]
        denom = left - 2 * mid + right
        if denom < 0:
            angle += fine_step * 0.5 * (left - right) / denom
    return angle, _line_contrast(_profile(xs, ys, angle))


def _core_runs(profile: np.ndarray) -> list[tuple[int, int]]:
    """Row ranges of the dense x-height band of each text line in a deskewed row profile."""
    p = profile.astype(np.float64)
    if p.size < 8 or p.max() <= 0:
        return []
    # Line pitch from the autocorrelation's first peak: sets the window of the local maximum, so
    # short lines (a paragraph's last) are judged against their own peak, not the page's.
    centred = p - p.mean()
    ac = np.correlate(centred, centred, mode="full")[p.size - 1 :]
    pitch = 0
    for lag in range(3, min(ac.size - 1, 200)):
        if ac[lag] > 0 and ac[lag] >= ac[lag - 1] and ac[lag] >= ac[lag + 1]:
            pitch = lag
            break
    window = max(3, pitch or 15)
    local_max = cv2.dilate(p.reshape(-1, 1).astype(np.float32), np.ones((window, 1), np.uint8)).ravel()
    core = (p >= 0.5 * local_max) & (p > 0)
    runs: list[tuple[int, int]] = []
    start = None
    for y, flag in enumerate(core):
        if flag and start is None:
            start = y
        elif not flag and start is not None:
            runs.append((start, y - 1))
            start = None
    if start is not None:
        runs.append((start, len(core) - 1))
    # Serif faces put their ink on the x-line and the baseline, leaving a thinner middle that can dip
    # under the threshold: rejoin pieces closer than a fraction of the line pitch.
    max_gap = max(1, round(0.15 * window))
    merged: list[tuple[int, int]] = []
    for run in runs:
        if merged and run[0] - merged[-1][1] - 1 <= max_gap:
            merged[-1] = (merged[-1][0], run[1])
        else:
            merged.append(run)
    min_len = max(2, round(0.2 * window))
    return [r for r in merged if r[1] - r[0] + 1 >= min_len]


def is_upside_down(profile: np.ndarray) -> tuple[bool, float, float | None, int]:
    """Decide 0° vs 180° from a deskewed row profile (index grows downwards).

    Latin script, and Vietnamese even more with its tone marks and circumflexes, puts far more ink
    above the x-height band (ascenders, capitals, diacritics) than below it (descenders, dot-below).
    Returns ``(upside_down, confidence, median x-height in profile rows, number of lines)``.
    """
    runs = _core_runs(profile)
    if not runs:
        return False, 0.0, None, 0
    p = profile.astype(np.float64)
    above = below = 0.0
    for k, (c0, c1) in enumerate(runs):
        reach = math.ceil(0.6 * (c1 - c0 + 1))
        # Stop halfway to the neighbouring line so its ink is not counted as ours.
        top_limit = (runs[k - 1][1] + c0) // 2 + 1 if k > 0 else 0
        bottom_limit = (c1 + runs[k + 1][0]) // 2 if k + 1 < len(runs) else p.size - 1
        above += p[max(top_limit, c0 - reach) : c0].sum()
        below += p[c1 + 1 : min(bottom_limit, c1 + reach) + 1].sum()
    total = above + below
    x_height = float(np.median([c1 - c0 + 1 for c0, c1 in runs]))
    if total <= 0:
        return False, 0.0, x_height, len(runs)
    return below > above, abs(above - below) / total, x_height, len(runs)


def _confidence(a: float, b: float) -> float:
    """How many times the stronger of two positive scores exceeds the weaker, minus one."""
    weaker = min(a, b)
    return max(a, b) / weaker - 1.0 if weaker > 0 else 10.0


def analyse_layout(mask: np.ndarray, factor: float) -> Layout:
    """Orientation, skew and x-height of the text in a thumbnail ink mask (``factor`` = thumb/source)."""
    ys, xs = np.nonzero(mask)
    if xs.size < 200 or xs.size > 0.4 * mask.size:  # too little to measure, or a photo / negative
        return Layout(blank=xs.size < 20)
    xs = xs.astype(np.float32) - mask.shape[1] / 2
    ys = ys.astype(np.float32) - mask.shape[0] / 2
    # Candidate frames: as scanned, and turned a quarter clockwise (x, y) -> (-y, x). The one whose
    # lines are sharper holds horizontal text; 0-vs-180 is settled afterwards on that frame.
    skew_h, contrast_h = estimate_skew(xs, ys)
    skew_v, contrast_v = estimate_skew(-ys, xs)
    quarter = contrast_v > contrast_h
    line_confidence = _confidence(contrast_h, contrast_v)
    if line_confidence < SHORT_TEXT_CONTRAST:
        # Too few lines for the profile contrast to tell (a one- or two-line page): judge by shape.
        elongation_h = _line_elongation(xs, ys, skew_h)
        elongation_v = _line_elongation(-ys, xs, skew_v)
        quarter = elongation_v > elongation_h
        line_confidence = _confidence(elongation_h, elongation_v)
    skew = skew_v if quarter else skew_h
    px, py = (-ys, xs) if quarter else (xs, ys)
    flipped, updown_confidence, x_height, lines = is_upside_down(_profile(px, py, skew))
    rotation = (90 if quarter else 0) + (180 if flipped else 0)
    return Layout(
        rotation=rotation,
        skew=round(skew, 1),
        x_height=x_height / factor if x_height else None,
        line_confidence=line_confidence,
        updown_confidence=updown_confidence,
        lines=lines,
    )


def _central_crop(gray: Image.Image, sample: int = 1024) -> np.ndarray:
    w, h = gray.size
    left, top = max(0, (w - sample) // 2), max(0, (h - sample) // 2)
    return np.asarray(gray.crop((left, top, min(w, left + sample), min(h, top + sample))))


def estimate_noise(gray: np.ndarray | Image.Image) -> float:
    """Robust estimate of the pixel noise sigma (grey levels), from a central 1024-pixel crop.

    Immerkær's Laplacian-difference operator cancels smooth content; taking the median of its
    magnitude instead of the mean keeps text edges from passing for noise. Sensor noise clipped at
    white reads lower than its true sigma, which is fine: only the threshold matters.
    """
    crop = _central_crop(gray if isinstance(gray, Image.Image) else Image.fromarray(gray))
    if min(crop.shape) < 3:
        return 0.0
    kernel = np.array([[1, -2, 1], [-2, 4, -2], [1, -2, 1]], dtype=np.float32)
    response = np.abs(cv2.filter2D(crop.astype(np.float32), -1, kernel)[1:-1, 1:-1])
    # Median from a histogram of |response| (clipped at 255): a full sort of a megapixel costs 5 ms.
    hist = cv2.calcHist([np.minimum(response, 255).astype(np.uint8)], [0], None, [256], [0, 256]).ravel()
    median = int(np.searchsorted(np.cumsum(hist), hist.sum() / 2))
    # For Gaussian noise |response| has median 0.6745 * 6 * sigma (the kernel's L2 norm is 6).
    return median / (0.6745 * 6.0)


def _effective_dpi(stated: int | None, x_height: float | None) -> float:
    """Resolution to plan rescaling with: the caller's, unless it is a placeholder the glyphs refute.

    The glyph estimate assumes ~12 pt body text, so a page of capitals or large print reads as
    higher resolution than it is; it only overrides screen defaults (72/96 dpi), which phones and
    screenshots write whatever the real resolution.
    """
    measured = x_height / X_HEIGHT_INCHES if x_height else None
    if stated and stated > 0:
        placeholder = stated <= PLACEHOLDER_DPI
        if placeholder and measured and not (1 / DPI_DISAGREEMENT <= measured / stated <= DPI_DISAGREEMENT):
            return measured
        return float(stated)
    return measured or float(TARGET_DPI)


def _scale_for(dpi: float) -> float:
    if dpi < UPSCALE_BELOW_DPI:
        return min(MAX_UPSCALE, TARGET_DPI / dpi)
    if dpi > DOWNSCALE_ABOVE_DPI:
        return TARGET_DPI / dpi
    return 1.0


def _geometry(width: int, height: int, rotation: int, skew: float, scale: float) -> tuple[np.ndarray, int, int]:
    """The 3×3 matrix taking source pixel coordinates to the cleaned page's, and the cleaned size.

    Quarter turn first, then a clockwise turn by ``skew`` about the centre with ``scale``; the
    canvas grows so that turned corners are kept.
    """
    quarter = {
        0: ((1, 0, 0), (0, 1, 0)),
        90: ((0, -1, height - 1), (1, 0, 0)),
        180: ((-1, 0, width - 1), (0, -1, height - 1)),
        270: ((0, 1, 0), (-1, 0, width - 1)),
    }[rotation]
    matrix = np.vstack([np.array(quarter, dtype=np.float64), (0, 0, 1)])
    w, h = (height, width) if rotation in (90, 270) else (width, height)
    # cv2 angles are counter-clockwise: -skew turns the page clockwise, which straightens the lines.
    turn = cv2.getRotationMatrix2D((w / 2, h / 2), -skew, scale)
    cos, sin = abs(turn[0, 0]), abs(turn[0, 1])
    new_w, new_h = math.ceil(h * sin + w * cos), math.ceil(h * cos + w * sin)
    turn[0, 2] += new_w / 2 - w / 2
    turn[1, 2] += new_h / 2 - h / 2
    return np.vstack([turn, (0, 0, 1)]) @ matrix, new_w, new_h


def _transform(gray: np.ndarray, rotation: int, skew: float, scale: float) -> tuple[np.ndarray, np.ndarray]:
    """Turn, deskew and rescale ``gray`` with at most one resampling; also return the point mapping."""
    height, width = gray.shape
    matrix, new_w, new_h = _geometry(width, height, rotation, skew, scale)
    if skew == 0.0:
        # Exact quarter turns and a plain resize are cheaper than a general warp.
        if rotation:
            code = {90: cv2.ROTATE_90_CLOCKWISE, 180: cv2.ROTATE_180, 270: cv2.ROTATE_90_COUNTERCLOCKWISE}[rotation]
            gray = cv2.rotate(gray, code)
        if scale != 1.0:
            interp = cv2.INTER_CUBIC if scale > 1 else cv2.INTER_AREA
            gray = cv2.resize(gray, (new_w, new_h), interpolation=interp)
        return gray, matrix
    interp = cv2.INTER_CUBIC if scale > 1 else cv2.INTER_LINEAR
    return cv2.warpAffine(gray, matrix[:2], (new_w, new_h), flags=interp, borderValue=255), matrix


def _text_box(
    mask: np.ndarray, factor: float, matrix: np.ndarray, size: tuple[int, int], margin: int
) -> tuple[int, int, int, int] | None:
    """Bounding box (left, top, right, bottom) of the thumbnail's ink on the cleaned page, padded."""
    ys, xs = np.nonzero(mask)
    if xs.size == 0:
        return None
    points = np.vstack([(xs + 0.5) / factor - 0.5, (ys + 0.5) / factor - 0.5, np.ones(xs.size)])
    mapped = matrix[:2] @ points
    left, top = (int(v) - margin for v in np.floor(mapped.min(axis=1)))
    right, bottom = (int(v) + margin + 1 for v in np.ceil(mapped.max(axis=1)))
    return max(0, left), max(0, top), min(size[0], right), min(size[1], bottom)


def denoise(gray: np.ndarray, scale: float = 1.0) -> np.ndarray:
    """Median-filter pixel noise and specks out of a page already resampled to ~300 dpi.

    A median keeps stroke edges, which a Gaussian blur would soften. Its window follows the
    upscaling, because enlarging a noisy page enlarges its specks too (measured on 150 dpi pages
    with noise: median 5 after a 2x upscale reads ~4x better than median 3 before it; a second median
    pass or Gaussian blur made things worse, and 7x7 costs ~1 s).
    """
    return cv2.medianBlur(gray, 3 if scale < 1.5 else 5)


def _largest_scale(width: int, height: int) -> float:
    """The largest factor a page may be resized by without exceeding the output limits."""
    return min(MAX_OUTPUT_SIDE / max(width, height), math.sqrt(MAX_OUTPUT_PIXELS / (width * height)))


def _blank(gray: Image.Image, dpi: int | None, layout: Layout) -> CleanPage:
    """``gray`` as it is, marked blank: nothing to straighten, rescale or read."""
    return CleanPage(image=gray, rotation=0, skew=0.0, dpi=dpi or TARGET_DPI, scale=1.0, noise=0.0, layout=layout)


def clean_page(image: Image.Image, dpi: int | None = None) -> CleanPage:
    """Make ``image`` upright, straight, clean and ~300 dpi for Tesseract; report what was done."""
    gray = to_gray(image)
    if min(gray.size) < MIN_PAGE_SIDE:
        return _blank(gray, dpi, Layout(blank=True))
    small, factor = thumbnail(gray)
    background = paper_background(small)
    if background is not None:
        small = flatten(small, background)
    mask = binarise(small)
    layout = analyse_layout(mask, factor)
    if layout.blank:  # no ink: resampling a page nobody will read would only cost time and memory
        return _blank(gray, dpi, layout)
    source_dpi = _effective_dpi(dpi, layout.x_height)
    scale = _scale_for(source_dpi)
    if abs(scale - 1.0) < 0.05:
        scale = 1.0
    scale = min(scale, _largest_scale(*gray.size))
    noise = estimate_noise(gray)
    skew = layout.skew if abs(layout.skew) >= MIN_SKEW else 0.0
    needs_denoise = noise >= NOISE_SIGMA_DENOISE
    if layout.rotation or skew or scale != 1.0 or needs_denoise or background is not None:
        out = np.asarray(gray)
        if background is not None:
            out = flatten(out, background)
        out, matrix = _transform(out, layout.rotation, skew, scale)
        if needs_denoise:
            out = denoise(out, scale)
        gray = Image.fromarray(out)
    else:
        matrix = np.eye(3)
    out_dpi = round(source_dpi * scale)
    text_box = None
    if layout.x_height is not None:  # the layout was measurable, so the mask holds the text
        text_box = _text_box(mask, factor, matrix, gray.size, round(TEXT_BOX_MARGIN_INCHES * out_dpi))
    return CleanPage(
        image=gray,
        rotation=layout.rotation,
        skew=skew,
        dpi=out_dpi,
        scale=scale,
        noise=noise,
        layout=layout,
        text_box=text_box,
    )

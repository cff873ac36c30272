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
    "binarise_thumbnail",
    "clean_page",
    "denoise",
    "estimate_noise",
    "estimate_skew",
    "is_upside_down",
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
DPI_DISAGREEMENT = 1.6  # trust the glyphs over the stated dpi beyond this factor
NOISE_SIGMA_DENOISE = 5.0  # grey levels (as estimate_noise measures); cleaner pages pass untouched


@dataclass
class Layout:
    """What the thumbnail analysis found out about a page."""

    rotation: int = 0  # clockwise quarter turn that makes the page upright
    skew: float = 0.0  # counter-clockwise tilt of the upright text lines, degrees
    x_height: float | None = None  # median x-height of the text in full-resolution pixels
    line_confidence: float = 0.0  # how much sharper the chosen line direction is than the other (ratio-1)
    updown_confidence: float = 0.0  # |above-below| / (above+below) of ink around text-line cores
    blank: bool = False  # no ink at all (a few specks at most): nothing to OCR


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


def binarise_thumbnail(gray: Image.Image, long_side: int = ANALYSIS_LONG_SIDE) -> tuple[np.ndarray, float]:
    """Ink mask (True = ink) of a ~100 dpi thumbnail and the thumbnail/source scale factor.

    Area averaging before Otsu also averages away pixel noise and JPEG ringing. Components too big
    to be text (scanner borders, photos, stamps) are dropped, since they would dominate the profiles.
    """
    # An integer box reduction is the cheapest area average (a fractional resize costs 3x more).
    step = max(1, math.ceil(max(gray.size) / long_side))
    factor = 1.0 / step
    small = np.asarray(gray.reduce(step) if step > 1 else gray)
    cumulative = np.cumsum(cv2.calcHist([small], [0], None, [256], [0, 256]).ravel())
    ink = int(np.searchsorted(cumulative, 30))  # the darkest few pixels: ink, if there is any
    paper = int(np.searchsorted(cumulative, cumulative[-1] / 2))  # the median: paper
    if paper - ink < 40:  # no contrast at all: a blank or uniformly dark page
        return np.zeros(small.shape, dtype=bool), factor
    otsu, _ = cv2.threshold(small, 0, 255, cv2.THRESH_BINARY_INV | cv2.THRESH_OTSU)
    # On a nearly empty page Otsu may split the paper's own noise; keep the threshold well below it.
    threshold = min(otsu, paper - (paper - ink) / 4)
    _, mask = cv2.threshold(small, threshold, 255, cv2.THRESH_BINARY_INV)
    _, labels, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    height, width = mask.shape
    too_big = (stats[:, cv2.CC_STAT_HEIGHT] > 0.05 * height) | (stats[:, cv2.CC_STAT_WIDTH] > 0.5 * width)
    too_big[0] = False  # label 0 is the background
    if too_big.any():
        mask[np.isin(labels, np.flatnonzero(too_big))] = 0
    return mask > 0, factor


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


def is_upside_down(profile: np.ndarray) -> tuple[bool, float, float | None]:
    """Decide 0° vs 180° from a deskewed row profile (index grows downwards).

    Latin script, and Vietnamese even more with its tone marks and circumflexes, puts far more ink
    above the x-height band (ascenders, capitals, diacritics) than below it (descenders, dot-below).
    Returns ``(upside_down, confidence, median x-height in profile rows)``.
    """
    runs = _core_runs(profile)
    if not runs:
        return False, 0.0, None
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
        return False, 0.0, x_height
    return below > above, abs(above - below) / total, x_height


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
    skew = skew_v if quarter else skew_h
    weaker = min(contrast_h, contrast_v)
    line_confidence = max(contrast_h, contrast_v) / weaker - 1.0 if weaker > 0 else 10.0
    px, py = (-ys, xs) if quarter else (xs, ys)
    flipped, updown_confidence, x_height = is_upside_down(_profile(px, py, skew))
    rotation = (90 if quarter else 0) + (180 if flipped else 0)
    return Layout(
        rotation=rotation,
        skew=round(skew, 1),
        x_height=x_height / factor if x_height else None,
        line_confidence=line_confidence,
        updown_confidence=updown_confidence,
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
    """Resolution to plan rescaling with: the caller's, unless the glyphs clearly say otherwise."""
    measured = x_height / X_HEIGHT_INCHES if x_height else None
    if stated and stated > 0:
        if measured and not (1 / DPI_DISAGREEMENT <= measured / stated <= DPI_DISAGREEMENT):
            return measured
        return float(stated)
    return measured or float(TARGET_DPI)


def _scale_for(dpi: float) -> float:
    if dpi < UPSCALE_BELOW_DPI:
        return min(MAX_UPSCALE, TARGET_DPI / dpi)
    if dpi > DOWNSCALE_ABOVE_DPI:
        return TARGET_DPI / dpi
    return 1.0


def _transform(gray: np.ndarray, rotation: int, skew: float, scale: float) -> np.ndarray:
    """Apply the quarter turn, then deskew and rescale in a single resampling pass."""
    if rotation:
        code = {90: cv2.ROTATE_90_CLOCKWISE, 180: cv2.ROTATE_180, 270: cv2.ROTATE_90_COUNTERCLOCKWISE}[rotation]
        gray = cv2.rotate(gray, code)
    if abs(skew) < MIN_SKEW and abs(scale - 1.0) < 0.05:
        return gray
    if abs(skew) < MIN_SKEW:
        interp = cv2.INTER_CUBIC if scale > 1 else cv2.INTER_AREA
        return cv2.resize(gray, None, fx=scale, fy=scale, interpolation=interp)
    h, w = gray.shape
    # cv2 angles are counter-clockwise; a clockwise turn by `skew` straightens the lines. The
    # canvas grows so the turned corners are kept (filled white).
    matrix = cv2.getRotationMatrix2D((w / 2, h / 2), -skew, scale)
    cos, sin = abs(matrix[0, 0]), abs(matrix[0, 1])
    new_w, new_h = math.ceil(h * sin + w * cos), math.ceil(h * cos + w * sin)
    matrix[0, 2] += new_w / 2 - w / 2
    matrix[1, 2] += new_h / 2 - h / 2
    interp = cv2.INTER_CUBIC if scale > 1 else cv2.INTER_LINEAR
    return cv2.warpAffine(gray, matrix, (new_w, new_h), flags=interp, borderValue=255)


def denoise(gray: np.ndarray, scale: float = 1.0) -> np.ndarray:
    """Median-filter pixel noise and specks out of a page already resampled to ~300 dpi.

    A median keeps stroke edges, which a Gaussian blur would soften. Its window follows the
    upscaling, because enlarging a noisy page enlarges its specks too (measured on 150 dpi pages
    with noise: median 5 after a 2x upscale reads ~4x better than median 3 before it; a second median
    pass or Gaussian blur made things worse, and 7x7 costs ~1 s).
    """
    return cv2.medianBlur(gray, 3 if scale < 1.5 else 5)


def clean_page(image: Image.Image, dpi: int | None = None) -> CleanPage:
    """Make ``image`` upright, straight, clean and ~300 dpi for Tesseract; report what was done."""
    gray = to_gray(image)
    mask, factor = binarise_thumbnail(gray)
    layout = analyse_layout(mask, factor)
    source_dpi = _effective_dpi(dpi, layout.x_height)
    scale = _scale_for(source_dpi)
    noise = estimate_noise(gray)
    skew = layout.skew if abs(layout.skew) >= MIN_SKEW else 0.0
    needs_denoise = noise >= NOISE_SIGMA_DENOISE
    if layout.rotation or skew or abs(scale - 1.0) >= 0.05 or needs_denoise:
        out = _transform(np.asarray(gray), layout.rotation, skew, scale)
        if needs_denoise:
            out = denoise(out, scale)
        gray = Image.fromarray(out)
    else:
        scale = 1.0
    return CleanPage(
        image=gray,
        rotation=layout.rotation,
        skew=skew,
        dpi=round(source_dpi * scale),
        scale=scale,
        noise=noise,
        layout=layout,
    )

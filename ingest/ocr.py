"""OCR of one page image with Tesseract (through pytesseract), after :mod:`ingest.cleanup`.

Tesseract runs once per page in the normal case: ``image_to_data`` (TSV) gives words, boxes and
confidences, and the text is rebuilt from its block/paragraph/line numbers. Only when that pass
comes back weak (low mean confidence, and either very low or with an unsure orientation guess) does
it pay for Tesseract's own orientation detection (OSD, ~0.7 s) and, if OSD disagrees, a second pass;
the better-scoring reading wins.
"""

from __future__ import annotations

import os
import tempfile
import time
import unicodedata
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path

import pytesseract
from PIL import Image

from ingest.cleanup import CleanPage, clean_page

__all__ = ["OCRError", "PageOCR", "ocr_image", "tesseract_available"]

TIMEOUT_SECONDS = 180  # a pathological page must not hold a worker forever
LOW_CONFIDENCE = 60.0  # mean word confidence of a readable page is ~90; garbage is well under 60
VERY_LOW_CONFIDENCE = 45.0  # an upside-down page reads at ~40: ask OSD even if the layout looked sure
UNSURE_LINES = 0.5  # analyse_layout line_confidence below this: 0/90 decision was close
UNSURE_UPDOWN = 0.12  # analyse_layout updown_confidence below this: 0/180 decision was close
CROP_BELOW = 0.9  # OCR only the text area when it is at most this fraction of the page
MIN_OSD_CONFIDENCE = 2.0
FEW_LINES = 3  # pages with at most this many text lines get a 180° retry when OSD cannot decide  # Tesseract's orientation confidence worth acting on
# Characters the vie model sometimes emits for look-alikes that Vietnamese text never uses:
# Icelandic eth for Đ/đ (U+0110/U+0111), and the fraction slash in "3/4".
_LOOKALIKES = str.maketrans({"\u00d0": "\u0110", "\u00f0": "\u0111", "\u2044": "/"})
# Uncompressed TIFF is the cheapest format for Tesseract (Leptonica) to read; PNG costs ~60 ms more.
_TMP_DIR = "/dev/shm" if os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK) else None


class OCRError(Exception):
    """Tesseract is missing, lacks the language data, crashed or timed out."""


@dataclass
class PageOCR:
    text: str  # NFC page text: lines joined with "\n", paragraphs with a blank line
    confidence: float  # mean word confidence 0..100 (words with conf >= 0), 0.0 when no words
    rotation: int  # degrees clockwise applied to make the page upright: 0, 90, 180 or 270
    skew: float  # degrees of skew corrected (counter-clockwise tilt removed), rounded to 0.1
    words: list[dict]  # [{"text": "Nguyễn", "conf": 96.1, "box": [x, y, w, h]}] in the coordinates of `image`
    image: Image.Image  # the cleaned, upright, deskewed page actually OCR'd
    seconds: float  # wall time spent in ocr_image


@lru_cache(maxsize=8)
def _languages() -> frozenset[str]:
    return frozenset(pytesseract.get_languages(config=""))


def tesseract_available(lang: str = "vie") -> bool:
    """True when the tesseract binary runs and has data for every language in ``lang`` ("vie+eng").

    The installed languages are read once per process.
    """
    try:
        pytesseract.get_tesseract_version()
        installed = _languages()
    except (pytesseract.TesseractNotFoundError, pytesseract.TesseractError, OSError):
        _languages.cache_clear()
        return False
    return all(part in installed for part in lang.split("+"))


def _raise_ocr_error(exc: Exception, lang: str) -> None:
    """Translate pytesseract's exceptions into one :class:`OCRError` with an actionable message."""
    if isinstance(exc, pytesseract.TesseractNotFoundError):
        raise OCRError("tesseract is not installed or not on PATH (apt-get install tesseract-ocr)") from exc
    message = str(exc)
    if "Failed loading language" in message or "Error opening data file" in message:
        packs = ", ".join(f"tesseract-ocr-{part}" for part in lang.split("+"))
        raise OCRError(f"Tesseract language data for {lang!r} is missing (install {packs})") from exc
    if isinstance(exc, RuntimeError) and "timeout" in message.lower():
        raise OCRError(f"tesseract did not finish within {TIMEOUT_SECONDS} s") from exc
    raise OCRError(f"tesseract failed: {message.strip() or type(exc).__name__}") from exc


def _write_input(image: Image.Image, dpi: int) -> str:
    """Save ``image`` where Tesseract can read it fast; the caller deletes the file."""
    for folder in dict.fromkeys((_TMP_DIR, None)):  # RAM first; a container's /dev/shm may be tiny
        fd, path = tempfile.mkstemp(prefix="donthu_ocr_", suffix=".tif", dir=folder)
        os.close(fd)
        try:
            # uncompressed: Pillow would otherwise reuse the source's compression (a G4 fax TIFF's "group4",
            # which cannot encode the cleaned greyscale page)
            image.save(path, format="TIFF", dpi=(dpi, dpi), compression="raw")
            return path
        except OSError:
            Path(path).unlink(missing_ok=True)
            if folder is None:
                raise
    raise AssertionError("unreachable")


def _tesseract_data(image: Image.Image, lang: str, dpi: int) -> dict[str, list]:
    """One Tesseract run over ``image``: the TSV rows as a dict of columns."""
    path = _write_input(image, dpi)
    try:
        return pytesseract.image_to_data(
            path,
            lang=lang,
            config=f"--psm 3 --dpi {dpi}",
            output_type=pytesseract.Output.DICT,
            timeout=TIMEOUT_SECONDS,
        )
    except (pytesseract.TesseractNotFoundError, pytesseract.TesseractError, RuntimeError, OSError) as exc:
        _raise_ocr_error(exc, lang)
        raise  # unreachable: keeps type checkers honest
    finally:
        Path(path).unlink(missing_ok=True)


def _tesseract_osd_rotation(image: Image.Image, dpi: int) -> int | None:
    """Clockwise turn Tesseract's OSD says the page still needs, or None when it is unsure."""
    path = _write_input(image, dpi)
    try:
        osd = pytesseract.image_to_osd(
            path, config=f"--psm 0 --dpi {dpi}", output_type=pytesseract.Output.DICT, timeout=TIMEOUT_SECONDS
        )
    except (pytesseract.TesseractError, RuntimeError):
        return None  # OSD refuses pages with too little text; that is not an OCR failure
    finally:
        Path(path).unlink(missing_ok=True)
    if float(osd.get("orientation_conf", 0.0)) < MIN_OSD_CONFIDENCE:
        return None
    return int(osd.get("rotate", 0)) % 360


def _words_and_text(data: dict[str, list]) -> tuple[list[dict], str, float]:
    """Words with boxes, the page text rebuilt from the layout numbers, and the mean confidence."""
    words: list[dict] = []
    lines: dict[tuple[int, int, int], list[str]] = {}
    for i, raw in enumerate(data.get("text", [])):
        text = unicodedata.normalize("NFC", str(raw)).translate(_LOOKALIKES).strip()
        conf = float(data["conf"][i])
        if data["level"][i] != 5 or not text or conf < 0:
            continue
        words.append(
            {
                "text": text,
                "conf": round(conf, 1),
                "box": [int(data["left"][i]), int(data["top"][i]), int(data["width"][i]), int(data["height"][i])],
            }
        )
        key = (int(data["block_num"][i]), int(data["par_num"][i]), int(data["line_num"][i]))
        lines.setdefault(key, []).append(text)
    paragraphs: dict[tuple[int, int], list[str]] = {}
    for (block, par, _line), line_words in lines.items():  # dicts keep Tesseract's reading order
        paragraphs.setdefault((block, par), []).append(" ".join(line_words))
    text = "\n\n".join("\n".join(par_lines) for par_lines in paragraphs.values())
    confidence = sum(w["conf"] for w in words) / len(words) if words else 0.0
    return words, text, confidence


def _text_area(page: CleanPage) -> tuple[Image.Image, int, int]:
    """The part of ``page.image`` worth OCR-ing and its offset: the text box, unless that is most of it."""
    box = page.text_box
    if box is not None:
        box_area = (box[2] - box[0]) * (box[3] - box[1])
        if 0 < box_area <= CROP_BELOW * page.image.width * page.image.height:
            return page.image.crop(box), box[0], box[1]
    return page.image, 0, 0


def _read(page: CleanPage, lang: str) -> tuple[list[dict], str, float]:
    """OCR ``page``, only its text area when that saves much blank paper (~10% of Tesseract's time
    on a typical one-page letter); word boxes are shifted back into the coordinates of ``page.image``."""
    image, left, top = _text_area(page)
    words, text, confidence = _words_and_text(_tesseract_data(image, lang, page.dpi))
    if left or top:
        for word in words:
            word["box"][0] += left
            word["box"][1] += top
    return words, text, confidence


def _quality(words: list[dict], confidence: float) -> float:
    """Comparable score of two readings of one page: confident words, not just confidence."""
    return confidence * sum(len(w["text"]) for w in words)


def _rotated(page: CleanPage, extra: int) -> CleanPage:
    """``page`` turned a further ``extra`` degrees clockwise (skew is unchanged by quarter turns)."""
    transpose = {90: Image.Transpose.ROTATE_270, 180: Image.Transpose.ROTATE_180, 270: Image.Transpose.ROTATE_90}
    width, height = page.image.size
    box = page.text_box
    if box is not None:
        left, top, right, bottom = box
        box = {
            90: (height - bottom, left, height - top, right),
            180: (width - right, height - bottom, width - left, height - top),
            270: (top, width - right, bottom, width - left),
        }[extra]
    return replace(
        page, image=page.image.transpose(transpose[extra]), rotation=(page.rotation + extra) % 360, text_box=box
    )


def ocr_image(image: Image.Image, lang: str = "vie", dpi: int | None = None) -> PageOCR:
    """Clean up ``image`` (orientation, skew, noise, resolution) and OCR it with Tesseract.

    ``dpi`` is the resolution the caller knows (None: estimated from the glyphs). Raises
    :class:`OCRError` when Tesseract is missing, lacks ``lang`` or fails.
    """
    started = time.perf_counter()
    # Tesseract's OpenMP threads fight each other (and our parallel workers): one thread per
    # process is several times faster overall. pytesseract passes os.environ to the subprocess.
    os.environ["OMP_THREAD_LIMIT"] = "1"
    page = clean_page(image, dpi)
    if page.layout.blank:  # an empty page (a blank back side): no need to spend a second in Tesseract
        return PageOCR("", 0.0, 0, 0.0, [], page.image, time.perf_counter() - started)
    words, text, confidence = _read(page, lang)

    if confidence < LOW_CONFIDENCE and (confidence < VERY_LOW_CONFIDENCE or _orientation_unsure(page)):
        turns = [_tesseract_osd_rotation(_text_area(page)[0], page.dpi)]
        if page.layout.lines <= FEW_LINES:
            # OSD needs more text than a heading or two, and so does our 0-vs-180 test: a short
            # page is cheap to read again upside down as well. The best reading wins.
            turns.append(180)
        first = page
        for extra in dict.fromkeys(t for t in turns if t):
            candidate = _rotated(first, extra)
            alt_words, alt_text, alt_conf = _read(candidate, lang)
            if _quality(alt_words, alt_conf) > _quality(words, confidence):
                page, words, text, confidence = candidate, alt_words, alt_text, alt_conf

    return PageOCR(
        text=text,
        confidence=round(confidence, 2),
        rotation=page.rotation,
        skew=round(page.skew, 1),
        words=words,
        image=page.image,
        seconds=time.perf_counter() - started,
    )


def _orientation_unsure(page: CleanPage) -> bool:
    """Whether the cheap orientation guess was a close call (or had too few lines to go on)."""
    layout = page.layout
    return (
        layout.line_confidence < UNSURE_LINES or layout.updown_confidence < UNSURE_UPDOWN or layout.lines <= FEW_LINES
    )

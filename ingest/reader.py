"""Read one page of a stored file into text: a PDF's own text layer when it is real, otherwise OCR.

Every input here has passed intake, but its pages have not been decoded yet: a page may still be damaged, absurdly
large (a 200-inch PDF page, a 1.6-gigapixel image inside 200 KB), or hold text no letter could. Such pages fail
with a :class:`PermanentPageError` naming the reason, never with an exception the queue would retry.
"""

from __future__ import annotations

import io
import logging
import math
import re
import time
import unicodedata
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import pypdfium2 as pdfium
from PIL import Image, ImageOps
from rq.timeouts import BaseTimeoutException

from ingest.errors import PermanentPageError
from ingest.sniff import PDF, TEXT, decode_text

log = logging.getLogger(__name__)

PREVIEW_DPI = 150  # page images of text PDFs are only looked at, never OCR'd
DEFAULT_MAX_PIXELS = 60_000_000  # settings.max_image_pixels: no page is rendered or decoded larger than an upload
MAX_SIDE = 32_000  # pixels; Tesseract refuses images over 32767 on a side
MAX_ASPECT = 1000  # a page image thinner than this is kept for its text only: no preview can show it
MAX_PAGE_TEXT = 200_000  # characters; a dense A4 page holds ~6,000: more is not a page of a letter
_LETTER = re.compile(r"[^\W\d_]", re.UNICODE)
# C0/C1 controls but tab and newline, lone surrogates, U+FFFE/U+FFFF: PostgreSQL refuses NUL, UTF-8 refuses
# surrogates, and none of them is text a person wrote
_UNSTORABLE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")


@dataclass
class PageReading:
    index: int
    text: str
    source: str  # ocr | pdf_text | text
    confidence: float | None = None
    rotation: int = 0
    skew: float = 0.0
    words: list[dict[str, Any]] = field(default_factory=list)
    image: Image.Image | None = None
    seconds: float = 0.0

    def as_json(self) -> dict[str, Any]:
        return {"index": self.index, "text": self.text, "confidence": self.confidence, "rotation": self.rotation,
                "skew": self.skew, "source": self.source}


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def clean_text(text: str) -> str:
    """NFC text that every database stores: line breaks unified to ``\\n`` (form feeds and vertical tabs
    too), other control characters, lone surrogates and non-characters removed."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\f", "\n").replace("\v", "\n")
    return nfc(_UNSTORABLE.sub("", text))


def is_real_text_layer(text: str) -> bool:
    """A text layer worth trusting: enough letters, and not the (cid:NN) garbage of fonts without a ToUnicode map."""
    stripped = text.strip()
    if len(_LETTER.findall(stripped)) < 20:
        return False
    if stripped.count("(cid:") > 3:
        return False
    printable = sum(1 for ch in stripped if ch.isprintable() or ch.isspace())
    replacement = stripped.count("\ufffd")
    return printable / len(stripped) > 0.95 and replacement / len(stripped) < 0.02


@contextmanager
def _pdf_page(data: bytes, index: int) -> Iterator:
    """Page ``index`` of a PDF, closed afterwards; a page pdfium cannot handle is a PermanentPageError."""
    doc = pdfium.PdfDocument(data)
    try:
        page = doc[index]
        try:
            yield page
        finally:
            page.close()
    except pdfium.PdfiumError as exc:
        raise PermanentPageError(f"PDF page {index + 1} cannot be rendered ({exc})", "corrupt_pdf") from exc
    finally:
        doc.close()


def render_scale(width_pt: float, height_pt: float, dpi: int, max_pixels: int) -> float:
    """Pixels per point to render a page at: ``dpi``, unless the page is so large that its bitmap would exceed
    ``max_pixels`` or ``MAX_SIDE`` (a 200-inch page at 300 dpi is 3.6 G pixels); then as much as fits."""
    if not (math.isfinite(width_pt) and math.isfinite(height_pt)):
        return 0.0  # no size to render at
    width, height = max(width_pt, 1.0), max(height_pt, 1.0)
    scale = dpi / 72
    return min(scale, MAX_SIDE / max(width, height), math.sqrt(max_pixels / (width * height)))


def _render(page, dpi: int, max_pixels: int) -> tuple[Image.Image, int]:  # noqa: ANN001 - PdfPage
    """The page in grey and the resolution it was rendered at (lower than ``dpi`` for oversized pages)."""
    scale = render_scale(*page.get_size(), dpi, max_pixels)
    if not (math.isfinite(scale) and scale > 0):
        raise PermanentPageError(f"PDF page has an unusable size {page.get_size()}", "corrupt_pdf")
    image = page.render(scale=scale, grayscale=True).to_pil().convert("L")
    return image, max(1, round(scale * 72))


def _has_chars(data: bytes, index: int) -> bool:
    """Whether the page has any text objects at all (pdfium, milliseconds): scans have none."""
    with _pdf_page(data, index) as page:
        textpage = page.get_textpage()
        try:
            return textpage.count_chars() > 0
        finally:
            textpage.close()


def _pdfium_text(data: bytes, index: int) -> str:
    with _pdf_page(data, index) as page:
        textpage = page.get_textpage()
        try:
            return textpage.get_text_range()
        finally:
            textpage.close()


def pdf_text_layer(data: bytes, index: int) -> str | None:
    """The page's text layer (pdfplumber, which keeps reading order and spacing), or None when there is none.

    pdfium repairs damaged files that pdfminer cannot parse; then pdfium's own text is taken instead."""
    if not _has_chars(data, index):
        return None  # a scanned page: skip pdfminer's parse of the whole file
    import pdfplumber  # imported lazily: pdfminer is slow to import and only text PDFs need it

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with pdfplumber.open(io.BytesIO(data)) as pdf:
                text = pdf.pages[index].extract_text() or ""
    except BaseTimeoutException:
        raise  # the job's time is up: not a parsing problem
    except Exception as exc:  # noqa: BLE001 - pdfminer on damaged input: any error, always the same one
        log.info("pdfplumber cannot read page %s (%s: %s); using pdfium's text", index + 1, type(exc).__name__, exc)
        text = _pdfium_text(data, index)
    text = clean_text(text)
    if len(text) > MAX_PAGE_TEXT:
        raise PermanentPageError(f"PDF page {index + 1} holds {len(text)} characters of text, more than a page "
                                 f"can ({MAX_PAGE_TEXT})", "page_too_large")
    return text if is_real_text_layer(text) else None


def render_pdf_page(data: bytes, index: int, dpi: int, max_pixels: int = DEFAULT_MAX_PIXELS) -> Image.Image:
    with _pdf_page(data, index) as page:
        return _render(page, dpi, max_pixels)[0]


def _scanned_page_image(page, max_pixels: int) -> tuple[Image.Image, int] | None:  # noqa: ANN001 - PdfPage
    """The page's own scan when the page is nothing but one upright image covering it (what scanners write):
    decoding it directly takes ~10 ms where rendering at 300 dpi takes ~120 ms. None otherwise, and for
    images larger than ``max_pixels`` (rendering then scales them down instead of decoding them whole)."""
    import pypdfium2.raw as pdfium_c

    objects = list(page.get_objects(max_depth=1))
    if len(objects) != 1 or objects[0].type != pdfium_c.FPDF_PAGEOBJ_IMAGE:
        return None
    image = objects[0]
    width_pt, height_pt = page.get_size()
    left, bottom, right, top = image.get_bounds()
    matrix = image.get_matrix().get()
    upright = abs(matrix[1]) < 1e-6 and abs(matrix[2]) < 1e-6 and matrix[0] > 0 and matrix[3] > 0
    covers = abs(left) < 2 and abs(bottom) < 2 and abs(right - width_pt) < 2 and abs(top - height_pt) < 2
    if not (upright and covers and page.get_rotation() == 0):
        return None
    px_width, px_height = image.get_px_size()
    if px_width * px_height > max_pixels or max(px_width, px_height) > MAX_SIDE:
        return None
    dpi = round(px_width / (width_pt / 72))
    if not 150 <= dpi <= 600:
        return None
    try:
        return image.get_bitmap(render=False).to_pil().convert("L"), dpi
    except (BaseTimeoutException, MemoryError):
        raise
    except Exception:  # noqa: BLE001 - a colour space or filter pdfium cannot hand over raw: render instead
        return None


def pdf_page_image(data: bytes, index: int, dpi: int, max_pixels: int = DEFAULT_MAX_PIXELS) -> tuple[Image.Image, int]:
    """A scanned PDF page as an image and its resolution: the embedded scan when the page is just that,
    otherwise the page rendered at ``dpi`` (less for oversized pages)."""
    with _pdf_page(data, index) as page:
        return _scanned_page_image(page, max_pixels) or _render(page, dpi, max_pixels)


def image_frame(data: bytes, index: int) -> tuple[Image.Image, int | None]:
    """Page ``index`` of an image file, upright per its EXIF tag, in grey, with its dpi when it states a real one."""
    try:
        img = Image.open(io.BytesIO(data))
        img.seek(index)
        dpi = img.info.get("dpi")
        frame = ImageOps.exif_transpose(img.copy()) or img.copy()
        frame = frame.convert("L")
    except (BaseTimeoutException, MemoryError):
        raise
    except Exception as exc:  # noqa: BLE001 - decoders fail in many ways on damaged data, always the same way
        raise PermanentPageError(f"image page {index + 1} cannot be decoded ({exc})", "corrupt_image") from exc
    try:
        value = round(float(dpi[0])) if dpi else 0
    except (TypeError, ValueError, OverflowError, IndexError):
        value = 0
    known_dpi = value if 100 <= value <= 1200 else None  # 72/96 are screen defaults, not a scan resolution
    return frame, known_dpi


def read_page(data: bytes, media_type: str, index: int, *, lang: str = "vie", dpi: int = 300,
              max_pixels: int = DEFAULT_MAX_PIXELS) -> PageReading:
    """Turn page ``index`` of a file into text. Raises PermanentPageError when the page can never be read,
    also when reading it needs more memory than the job may use (the work-horse's limit)."""
    try:
        return _read_page(data, media_type, index, lang=lang, dpi=dpi, max_pixels=max_pixels)
    except PermanentPageError:
        raise
    except Exception as exc:
        if not out_of_memory(exc):
            raise
        raise PermanentPageError(f"page {index + 1} needs more memory than one job may use", "page_too_large") from exc


def out_of_memory(exc: BaseException) -> bool:
    """Whether ``exc`` says an allocation failed: Python's MemoryError, OpenCV's and Tesseract's (C++) words."""
    return isinstance(exc, MemoryError) or any(
        words in str(exc) for words in ("Insufficient memory", "Failed to allocate", "bad_alloc", "Out of memory"))


def _read_page(data: bytes, media_type: str, index: int, *, lang: str, dpi: int, max_pixels: int) -> PageReading:
    started = time.perf_counter()
    if media_type == TEXT:
        return PageReading(index=index, text=clean_text(decode_text(data)).strip(), source="text")
    if media_type == PDF:
        text = pdf_text_layer(data, index)
        if text is not None:
            preview = render_pdf_page(data, index, PREVIEW_DPI, max_pixels)
            return PageReading(index=index, text=text, source="pdf_text", image=preview,
                               seconds=time.perf_counter() - started)
        image, known_dpi = pdf_page_image(data, index, dpi, max_pixels)
    else:
        image, known_dpi = image_frame(data, index)
    from ingest.ocr import ocr_image  # the OCR engine is only needed for scanned pages

    result = ocr_image(image, lang=lang, dpi=known_dpi)
    shown = result.image if max(result.image.size) <= MAX_ASPECT * min(result.image.size) else None
    return PageReading(index=index, text=clean_text(result.text), source="ocr", confidence=round(result.confidence, 2),
                       rotation=result.rotation, skew=result.skew, words=result.words, image=shown,
                       seconds=time.perf_counter() - started)

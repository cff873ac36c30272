"""Read one page of a stored file into text: a PDF's own text layer when it is real, otherwise OCR."""

from __future__ import annotations

import io
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

from ingest.errors import PermanentPageError
from ingest.sniff import PDF, TEXT, decode_text

PREVIEW_DPI = 150  # page images of text PDFs are only looked at, never OCR'd
_LETTER = re.compile(r"[^\W\d_]", re.UNICODE)


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


def _render(page, dpi: int) -> Image.Image:  # noqa: ANN001 - PdfPage
    return page.render(scale=dpi / 72, grayscale=True).to_pil().convert("L")


def _has_chars(data: bytes, index: int) -> bool:
    """Whether the page has any text objects at all (pdfium, milliseconds): scans have none."""
    with _pdf_page(data, index) as page:
        textpage = page.get_textpage()
        try:
            return textpage.count_chars() > 0
        finally:
            textpage.close()


def pdf_text_layer(data: bytes, index: int) -> str | None:
    """The page's text layer (pdfplumber, which keeps reading order and spacing), or None when there is none."""
    if not _has_chars(data, index):
        return None  # a scanned page: skip pdfminer's parse of the whole file
    import pdfplumber  # imported lazily: pdfminer is slow to import and only text PDFs need it

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pdfplumber.open(io.BytesIO(data)) as pdf:
            text = pdf.pages[index].extract_text() or ""
    text = nfc(text)
    return text if is_real_text_layer(text) else None


def render_pdf_page(data: bytes, index: int, dpi: int) -> Image.Image:
    with _pdf_page(data, index) as page:
        return _render(page, dpi)


def _scanned_page_image(page) -> tuple[Image.Image, int] | None:  # noqa: ANN001 - PdfPage
    """The page's own scan when the page is nothing but one upright image covering it (what scanners write):
    decoding it directly takes ~10 ms where rendering at 300 dpi takes ~120 ms. None otherwise."""
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
    px_width, _px_height = image.get_px_size()
    dpi = round(px_width / (width_pt / 72))
    if not 150 <= dpi <= 600:
        return None
    try:
        return image.get_bitmap(render=False).to_pil().convert("L"), dpi
    except pdfium.PdfiumError:
        return None


def pdf_page_image(data: bytes, index: int, dpi: int) -> tuple[Image.Image, int]:
    """A scanned PDF page as an image and its resolution: the embedded scan when the page is just that,
    otherwise the page rendered at ``dpi``."""
    with _pdf_page(data, index) as page:
        return _scanned_page_image(page) or (_render(page, dpi), dpi)


def image_frame(data: bytes, index: int) -> tuple[Image.Image, int | None]:
    """Page ``index`` of an image file, upright per its EXIF tag, in grey, with its dpi when it states a real one."""
    try:
        img = Image.open(io.BytesIO(data))
        img.seek(index)
        dpi = img.info.get("dpi")
        frame = ImageOps.exif_transpose(img.copy()) or img.copy()
    except (OSError, EOFError, SyntaxError, ValueError) as exc:
        raise PermanentPageError(f"image page {index + 1} cannot be decoded ({exc})", "corrupt_image") from exc
    known_dpi = None
    if dpi:
        value = round(float(dpi[0]))
        known_dpi = value if 100 <= value <= 1200 else None  # 72/96 are screen defaults, not a scan resolution
    return frame.convert("L"), known_dpi


def read_page(data: bytes, media_type: str, index: int, *, lang: str = "vie", dpi: int = 300) -> PageReading:
    """Turn page ``index`` of a file into text. Raises PermanentPageError when the page can never be read."""
    started = time.perf_counter()
    if media_type == TEXT:
        return PageReading(index=index, text=nfc(decode_text(data)).strip(), source="text")
    if media_type == PDF:
        text = pdf_text_layer(data, index)
        if text is not None:
            preview = render_pdf_page(data, index, PREVIEW_DPI)
            return PageReading(index=index, text=text, source="pdf_text", image=preview,
                               seconds=time.perf_counter() - started)
        image, known_dpi = pdf_page_image(data, index, dpi)
    else:
        image, known_dpi = image_frame(data, index)
    from ingest.ocr import ocr_image  # the OCR engine is only needed for scanned pages

    result = ocr_image(image, lang=lang, dpi=known_dpi)
    return PageReading(index=index, text=result.text, source="ocr", confidence=round(result.confidence, 2),
                       rotation=result.rotation, skew=result.skew, words=result.words, image=result.image,
                       seconds=time.perf_counter() - started)

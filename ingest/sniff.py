"""Recognise a file by its bytes (never by its name) and check it can be read, before anything is stored."""

from __future__ import annotations

import codecs
import io
import warnings
from dataclasses import dataclass

import pypdfium2 as pdfium
from PIL import Image, UnidentifiedImageError

from ingest.errors import IntakeError

PDF, PNG, JPEG, TIFF, TEXT = "application/pdf", "image/png", "image/jpeg", "image/tiff", "text/plain"
EXTENSIONS = {PDF: ".pdf", PNG: ".png", JPEG: ".jpg", TIFF: ".tif", TEXT: ".txt"}


@dataclass(frozen=True)
class FileInfo:
    media_type: str
    page_count: int


def media_type_of(data: bytes, name: str = "") -> str | None:
    """The media type by magic bytes; plain text only when the name says .txt (text has no magic)."""
    head = data[:1024]
    if b"%PDF-" in head:  # the PDF spec tolerates junk before the header
        return PDF
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if data.startswith(b"\xff\xd8\xff"):
        return JPEG
    if data.startswith((b"II*\x00", b"MM\x00*")):
        return TIFF
    if name.lower().endswith(".txt") or name == "-":
        return TEXT
    return None


def decode_text(data: bytes) -> str:
    """UTF-8 (with or without BOM) or UTF-16 with a BOM; anything else is refused rather than garbled."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise IntakeError(f"text file is not valid UTF-8 (byte {exc.start})", "bad_text_encoding") from exc


def _check_pdf(data: bytes, max_pages: int) -> int:
    try:
        doc = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        if "password" in str(exc).lower():
            raise IntakeError("PDF is encrypted with a password", "encrypted_pdf") from exc
        raise IntakeError(f"PDF is corrupt or truncated ({exc})", "corrupt_pdf") from exc
    try:
        pages = len(doc)
        if pages == 0:
            raise IntakeError("PDF has no pages", "corrupt_pdf")
        if pages > max_pages:
            raise IntakeError(f"PDF has {pages} pages, more than the limit of {max_pages}", "too_many_pages")
        return pages
    finally:
        doc.close()


def _check_image(data: bytes, max_pixels: int, max_pages: int) -> int:
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            img = Image.open(io.BytesIO(data))
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
            raise IntakeError("image dimensions are too large", "image_too_large") from exc
        except (UnidentifiedImageError, OSError, SyntaxError) as exc:
            raise IntakeError(f"image is corrupt ({exc})", "corrupt_image") from exc
        frames = getattr(img, "n_frames", 1)
        if frames > max_pages:
            raise IntakeError(f"image has {frames} pages, more than the limit of {max_pages}", "too_many_pages")
        for i in range(frames):
            try:
                img.seek(i)
            except (EOFError, OSError) as exc:
                raise IntakeError(f"image page {i + 1} is corrupt ({exc})", "corrupt_image") from exc
            width, height = img.size
            # Check the header's dimensions before decoding anything: a bomb is refused without allocating it.
            if width * height > max_pixels or width <= 0 or height <= 0:
                raise IntakeError(f"image page {i + 1} is {width}x{height} pixels, over the limit of {max_pixels}",
                                  "image_too_large")
        try:
            img.seek(0)
            img.load()  # decode the first page fully: truncated or damaged data shows here
        except (OSError, SyntaxError, ValueError) as exc:
            raise IntakeError(f"image is corrupt or truncated ({exc})", "corrupt_image") from exc
    return frames


def inspect(data: bytes, name: str, *, max_bytes: int, max_pages: int, max_pixels: int) -> FileInfo:
    """Identify and validate a file; raises :class:`IntakeError` with a specific code when it cannot be accepted."""
    if len(data) == 0:
        raise IntakeError("file is empty", "empty_file")
    if len(data) > max_bytes:
        raise IntakeError(f"file is {len(data)} bytes, over the limit of {max_bytes}", "file_too_large")
    media_type = media_type_of(data, name)
    if media_type is None:
        raise IntakeError("unsupported file type: accepted are PDF, PNG, JPEG, TIFF and .txt", "unsupported_type")
    if media_type == PDF:
        return FileInfo(PDF, _check_pdf(data, max_pages))
    if media_type == TEXT:
        if b"\x00" in data and not data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            raise IntakeError("unsupported file type: binary data named .txt", "unsupported_type")
        if not decode_text(data).strip():
            raise IntakeError("text file is empty", "empty_file")
        return FileInfo(TEXT, 1)
    return FileInfo(media_type, _check_image(data, max_pixels, max_pages))

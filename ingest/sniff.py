"""Recognise a file by its bytes (never by its name) and check it can be read, before anything is stored."""

from __future__ import annotations

import codecs
import io
import unicodedata
import warnings
from dataclasses import dataclass

import pypdfium2 as pdfium
from PIL import Image, UnidentifiedImageError

from ingest.errors import IntakeError

PDF, PNG, JPEG, TIFF, TEXT = "application/pdf", "image/png", "image/jpeg", "image/tiff", "text/plain"
EXTENSIONS = {PDF: ".pdf", PNG: ".png", JPEG: ".jpg", TIFF: ".tif", TEXT: ".txt"}
MAX_TEXT_CHARS = 500_000  # a .txt letter longer than ~150 typed pages is not a letter (settings.max_text_chars)

_IMAGE_MAGIC = ((b"\x89PNG\r\n\x1a\n", PNG), (b"\xff\xd8\xff", JPEG), (b"II*\x00", TIFF), (b"MM\x00*", TIFF))
# Formats we never accept, recognised at offset 0 so that a PDF hidden inside one of them (a polyglot: a ZIP
# storing a PDF, an executable with a PDF after its header) is refused rather than read as the PDF.
_FOREIGN_MAGIC = {
    b"PK\x03\x04": "ZIP archive (or DOCX/XLSX/ODT)", b"PK\x05\x06": "ZIP archive", b"PK\x07\x08": "ZIP archive",
    b"\x1f\x8b": "gzip archive", b"BZh": "bzip2 archive", b"\xfd7zXZ\x00": "xz archive",
    b"7z\xbc\xaf\x27\x1c": "7-Zip archive", b"Rar!\x1a\x07": "RAR archive", b"MZ": "Windows executable",
    b"\x7fELF": "ELF executable", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1": "old Office document (DOC/XLS)",
    b"GIF8": "GIF image", b"RIFF": "RIFF file (WebP, AVI, WAV)", b"\x00\x00\x00\x0cjP  ": "JPEG 2000 image",
}
_WIDE_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE, codecs.BOM_UTF32_BE)  # text where NUL bytes are normal
PDF_EOF_WINDOW = 1024  # Acrobat's rule: "%%EOF" must appear within the last 1024 bytes


@dataclass(frozen=True)
class FileInfo:
    media_type: str
    page_count: int


def foreign_format(data: bytes) -> str | None:
    """The name of a format we never accept when ``data`` starts like one (by magic bytes), else None."""
    for magic, label in _FOREIGN_MAGIC.items():
        if data.startswith(magic):
            return label
    if data[4:8] == b"ftyp":
        return "ISO media file (HEIC, MP4)"
    return None


def media_type_of(data: bytes, name: str = "") -> str | None:
    """The media type by magic bytes; plain text only when the name says .txt (text has no magic)."""
    for magic, media_type in _IMAGE_MAGIC:  # the leading magic wins: a JPEG quoting "%PDF-" is a JPEG
        if data.startswith(magic):
            return media_type
    if foreign_format(data):
        return None
    if b"%PDF-" in data[:1024]:  # the PDF spec tolerates junk before the header
        return PDF
    if name.lower().endswith(".txt") or name == "-":
        return TEXT
    return None


def decode_text(data: bytes) -> str:
    """UTF-8 (with or without BOM), or UTF-16/UTF-32 with a BOM; anything else is refused rather than garbled."""
    if data.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):  # before UTF-16: FF FE 00 00 starts both
        encoding = "utf-32"
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encoding = "utf-16"
    else:
        encoding = "utf-8-sig"
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        label = "UTF-8" if encoding == "utf-8-sig" else encoding.upper()
        raise IntakeError(f"text file is not valid {label} (byte {exc.start}: {exc.reason})",
                          "bad_text_encoding") from exc


def readable_text(text: str) -> str:
    """``text`` without control, format and unassigned characters: what is left to read (may be empty)."""
    return "".join(ch for ch in text if unicodedata.category(ch)[0] not in "CZ")


def _check_pdf(data: bytes, max_pages: int) -> int:
    tail = data.rstrip(b"\x00\t\n\f\r ")[-PDF_EOF_WINDOW:]
    if b"%%EOF" not in tail:
        raise IntakeError("PDF is truncated or has data after its end (no %%EOF in its last 1024 bytes)",
                          "corrupt_pdf")
    if b"PK\x05\x06" in tail[tail.rindex(b"%%EOF"):]:  # a ZIP's end record after the PDF's: a polyglot
        raise IntakeError("unsupported file type: a PDF with a ZIP archive appended", "unsupported_type")
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


def _tiff_frame_truncated(img: Image.Image, size: int) -> bool:
    """Whether the current TIFF frame's strips or tiles reach past the end of the file (a cut-off scan)."""
    tags = getattr(img, "tag_v2", {})
    offsets, counts = tags.get(273) or tags.get(324), tags.get(279) or tags.get(325)
    if offsets is None or counts is None:
        return False
    offsets = offsets if isinstance(offsets, tuple) else (offsets,)
    counts = counts if isinstance(counts, tuple) else (counts,)
    return any(o + c > size for o, c in zip(offsets, counts, strict=False))


def _check_image(data: bytes, max_pixels: int, max_pages: int) -> int:
    """Frames of an image after checking every frame's header and decoding the first; decoders fail in many ways
    on hostile bytes (OSError, SyntaxError, ValueError, TypeError, struct.error, ...): each is a corrupt image."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            img = Image.open(io.BytesIO(data))
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
            raise IntakeError("image dimensions are too large", "image_too_large") from exc
        except UnidentifiedImageError as exc:
            raise IntakeError(f"image is corrupt ({exc})", "corrupt_image") from exc
        except Exception as exc:  # noqa: BLE001 - any decoder failure on untrusted bytes
            raise IntakeError(f"image is corrupt ({type(exc).__name__}: {exc})", "corrupt_image") from exc
        try:
            frames = getattr(img, "n_frames", 1)
        except Exception as exc:  # noqa: BLE001
            raise IntakeError(f"image is corrupt ({type(exc).__name__}: {exc})", "corrupt_image") from exc
        if frames > max_pages:
            raise IntakeError(f"image has {frames} pages, more than the limit of {max_pages}", "too_many_pages")
        for i in range(frames):
            try:
                img.seek(i)
            except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
                raise IntakeError(f"image page {i + 1} is too large", "image_too_large") from exc
            except Exception as exc:  # noqa: BLE001
                raise IntakeError(f"image page {i + 1} is corrupt ({exc})", "corrupt_image") from exc
            width, height = img.size
            if width <= 0 or height <= 0:
                raise IntakeError(f"image page {i + 1} is {width}x{height} pixels", "corrupt_image")
            # Check the header's dimensions before decoding anything: a bomb is refused without allocating it.
            if width * height > max_pixels:
                raise IntakeError(f"image page {i + 1} is {width}x{height} pixels, over the limit of {max_pixels}",
                                  "image_too_large")
            if _tiff_frame_truncated(img, len(data)):
                raise IntakeError(f"image page {i + 1} is truncated", "corrupt_image")
        try:
            img.seek(0)
            img.load()  # decode the first page fully: truncated or damaged data shows here
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
            raise IntakeError("image dimensions are too large", "image_too_large") from exc
        except Exception as exc:  # noqa: BLE001
            raise IntakeError(f"image is corrupt or truncated ({exc})", "corrupt_image") from exc
    return frames


def inspect(data: bytes, name: str, *, max_bytes: int, max_pages: int, max_pixels: int,
            max_text_chars: int = MAX_TEXT_CHARS) -> FileInfo:
    """Identify and validate a file; raises :class:`IntakeError` with a specific code when it cannot be accepted."""
    if len(data) == 0:
        raise IntakeError("file is empty", "empty_file")
    if len(data) > max_bytes:
        raise IntakeError(f"file is {len(data)} bytes, over the limit of {max_bytes}", "file_too_large")
    media_type = media_type_of(data, name)
    if media_type is None:
        found = foreign_format(data)
        what = f" (this is a {found})" if found else ""
        raise IntakeError(f"unsupported file type{what}: accepted are PDF, PNG, JPEG, TIFF and .txt",
                          "unsupported_type")
    if media_type == PDF:
        return FileInfo(PDF, _check_pdf(data, max_pages))
    if media_type == TEXT:
        return FileInfo(TEXT, _check_text(data, max_text_chars))
    return FileInfo(media_type, _check_image(data, max_pixels, max_pages))


def _check_text(data: bytes, max_chars: int) -> int:
    if b"\x00" in data and not data.startswith(_WIDE_BOMS):
        raise IntakeError("unsupported file type: binary data named .txt", "unsupported_type")
    text = decode_text(data)
    if not readable_text(text):
        raise IntakeError("text file is empty (nothing but spaces and control characters)", "empty_file")
    if len(text) > max_chars:
        raise IntakeError(f"text has {len(text)} characters, over the limit of {max_chars}", "file_too_large")
    return 1


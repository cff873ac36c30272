"""Files an intake must refuse, each with the error code it must give. Generated at test time."""

from __future__ import annotations

import io
import struct
import zlib

import pikepdf
from PIL import Image

from tests.scans import scanned_pdf


def tiny_png() -> bytes:
    buf = io.BytesIO()
    Image.new("L", (40, 20), 255).save(buf, format="PNG")
    return buf.getvalue()


def bomb_png(width: int = 100_000, height: int = 100_000) -> bytes:
    """A PNG whose header claims a huge canvas: what a decompression bomb looks like before decoding."""
    data = bytearray(tiny_png())
    ihdr = data.index(b"IHDR")
    data[ihdr + 4: ihdr + 12] = struct.pack(">II", width, height)
    crc = zlib.crc32(bytes(data[ihdr: ihdr + 17])) & 0xFFFFFFFF
    data[ihdr + 17: ihdr + 21] = struct.pack(">I", crc)
    return bytes(data)


def small_pdf(pages: int = 1) -> bytes:
    return scanned_pdf([Image.new("L", (200, 280), 255) for _ in range(pages)], dpi=72)


def encrypted_pdf() -> bytes:
    src = pikepdf.open(io.BytesIO(small_pdf()))
    out = io.BytesIO()
    src.save(out, encryption=pikepdf.Encryption(user="secret", owner="owner-secret", R=6))
    return out.getvalue()


def multipage_tiff(pages: int) -> bytes:
    frames = [Image.new("L", (100, 140), 255) for _ in range(pages)]
    buf = io.BytesIO()
    frames[0].save(buf, format="TIFF", save_all=True, append_images=frames[1:])
    return buf.getvalue()


def truncated_jpeg() -> bytes:
    buf = io.BytesIO()
    Image.effect_noise((600, 400), 60).convert("L").save(buf, format="JPEG", quality=90)
    data = buf.getvalue()
    return data[: len(data) // 3]


def bad_inputs(max_pages: int) -> list[tuple[str, bytes, str]]:
    """(file name, bytes, expected error code) for every kind of bad input the intake must refuse."""
    pdf = small_pdf()
    return [
        ("empty.pdf", b"", "empty_file"),
        ("letter.docx", b"PK\x03\x04" + b"\x00" * 200, "unsupported_type"),
        ("photo.heic", b"\x00\x00\x00\x18ftypheic" + b"\x00" * 100, "unsupported_type"),
        ("corrupt.pdf", b"%PDF-1.7\n1 0 obj <<>> garbage without xref or trailer", "corrupt_pdf"),
        ("truncated.pdf", pdf[: len(pdf) // 2], "corrupt_pdf"),
        ("encrypted.pdf", encrypted_pdf(), "encrypted_pdf"),
        ("bomb.png", bomb_png(), "image_too_large"),
        ("truncated.jpg", truncated_jpeg(), "corrupt_image"),
        ("too_many_pages.pdf", small_pdf(max_pages + 1), "too_many_pages"),
        ("too_many_pages.tif", multipage_tiff(max_pages + 1), "too_many_pages"),
        ("latin1.txt", "Kính gửi".encode()[:3] + b"\xe9\xe8 abc", "bad_text_encoding"),
        ("blank.txt", b"   \n\n  ", "empty_file"),
    ]

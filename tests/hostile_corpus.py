"""A hostile input corpus, generated deterministically: truncated, corrupt, encrypted, polyglot, zip-bomb-like,
huge-dimension and 1000-page files, PDFs with JavaScript and launch actions, hostile text encodings, wrong
extensions, odd Unicode and path-traversal names (about 300 files, 15 MB, a few seconds).

``generate(folder)`` writes every file and returns what each one is and which outcome is right for it: refused at
intake with a specific code, or accepted and settled as ``ocr_done`` or ``failed``. Where the outcome honestly
depends on where a flipped byte landed (a JPEG still decodes with a damaged scan line; a PDF is repaired by
pdfium), the expectation lists every correct outcome; "stuck", "crashed" and "lost" are never among them.

The upload name (``CorpusFile.name``) is what a client would send and may hold anything (``../../etc/passwd``,
NUL, RTL marks); the file on disk (``CorpusFile.path``) always has a plain name of its own.
Used by ``tests/test_hostile_input.py`` and ``bench/hostile.py``.
"""

from __future__ import annotations

import bz2
import codecs
import datetime
import gzip
import io
import lzma
import random
import struct
import tempfile
import unicodedata
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pikepdf
from PIL import Image, PngImagePlugin

from tests.scans import FONTS

DONE, FAILED, DUPLICATE = "ocr_done", "failed", "duplicate"
SETTLED = frozenset({DONE, FAILED})  # accepted, and either outcome is right (pdfium may or may not cope)


def refused(code: str) -> str:
    return f"refused:{code}"


@dataclass(frozen=True)
class CorpusFile:
    name: str  # the upload name a client sends (may be hostile)
    path: Path  # where the bytes were written (a plain name)
    size: int
    category: str
    expect: frozenset[str]  # the correct outcomes: "refused:<code>", "ocr_done", "failed", "duplicate"
    note: str  # what the file is, for reports

    @property
    def accepted_expected(self) -> bool:
        return any(not e.startswith("refused:") for e in self.expect)

    def data(self) -> bytes:
        return self.path.read_bytes()


@dataclass(frozen=True)
class _Item:
    category: str
    name: str
    data: bytes
    expect: frozenset[str]
    note: str


def _one(*outcomes: str) -> frozenset[str]:
    return frozenset(outcomes)


# -- building blocks ------------------------------------------------------------------------------------------

LETTER = ("Kính gửi: Ban Nội chính Tỉnh ủy.\nTôi tên là Nguyễn Văn Đức, trú tại xã Hòa Bình, điện thoại 0912 345 678.\n"
          "Tôi phản ánh việc đường liên xã bị sạt lở đã ba tháng chưa được sửa chữa.\nNgười viết đơn: Nguyễn Văn Đức")
_SURNAMES = ("Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ", "Đặng", "Bùi", "Đỗ", "Hồ", "Ngô", "Dương", "Lý")
_MIDDLES = ("Văn", "Thị", "Đình", "Quốc", "Minh", "Thanh", "Hữu", "Ngọc")
_GIVEN = ("An", "Bình", "Cường", "Dũng", "Giang", "Hà", "Khánh", "Lan", "Mai", "Nam", "Oanh", "Phúc", "Quân",
          "Sơn", "Tâm", "Uyên", "Vinh", "Xuân", "Yến", "Thảo", "Hiếu", "Lộc", "Trí")
_PLACES = ("xã Yên Khánh", "phường Đông Ngàn", "xã Quảng Ngọc", "xã Tân Lập", "phường Hòa Cường", "xã Mường Lát",
           "xã Phù Lưu", "phường Bến Thủy", "xã Cát Hải", "xã Đồng Tâm", "phường Ninh Xá")
_MATTERS = ("con đường liên thôn bị sạt lở sau mưa lũ", "trạm biến áp gây tiếng ồn ban đêm",
            "bãi rác tự phát bốc mùi cạnh trường học", "mương thoát nước bị lấp khiến ruộng ngập úng",
            "việc chậm chi trả tiền hỗ trợ người có công", "cây xanh đổ chắn lối đi chưa được dọn",
            "xưởng gỗ xả khói bụi vào khu dân cư", "cầu tạm qua suối đã mục nát nguy hiểm")


def letter(k: int) -> str:
    """A short, plausible letter of its own (sender, place, phone, matter vary with ``k``): files that are read
    do not all look like one matter to the duplicate check."""
    rng = random.Random(k)
    name = f"{rng.choice(_SURNAMES)} {rng.choice(_MIDDLES)} {rng.choice(_GIVEN)}"
    phone = f"09{rng.randrange(10**7, 10**8)}"
    return (f"Kính gửi: Ban Nội chính Tỉnh ủy.\nTôi tên là {name}, trú tại {rng.choice(_PLACES)}, điện thoại "
            f"{phone}.\nTôi phản ánh việc {rng.choice(_MATTERS)} từ tháng {rng.randrange(1, 13)} đến nay chưa được "
            f"giải quyết (thư số {k}).\nNgười viết đơn: {name}")


def png(size: tuple[int, int] = (40, 20), mode: str = "L", tag: str = "", color: int | tuple = 255,
        **save: object) -> bytes:
    """A plain (blank) PNG; ``tag`` goes into a tEXt chunk so otherwise equal images differ in their bytes."""
    info = PngImagePlugin.PngInfo()
    if tag:
        info.add_text("corpus", tag)
    buf = io.BytesIO()
    Image.new(mode, size, color).save(buf, format="PNG", pnginfo=info, **save)
    return buf.getvalue()


def jpeg(size: tuple[int, int] = (120, 90), mode: str = "L", tag: str = "", noise: bool = False,
         quality: int = 85, **save: object) -> bytes:
    if noise:  # seeded (Image.effect_noise is not), so the bytes are the same on every run
        rng = np.random.default_rng(zlib.crc32(tag.encode()))
        grey = rng.normal(128, 40, (size[1], size[0])).clip(0, 255).astype(np.uint8)
        img = Image.fromarray(grey).convert(mode)
    else:
        img = Image.new(mode, size, 255 if mode == "L" else 0)
    buf = io.BytesIO()
    img.save(buf, format="JPEG", quality=quality, comment=tag.encode() if tag else b"", **save)
    return buf.getvalue()


def tiff(frames: list[Image.Image], **save: object) -> bytes:
    buf = io.BytesIO()
    frames[0].save(buf, format="TIFF", save_all=True, append_images=frames[1:], **save)
    return buf.getvalue()


EPOCH = datetime.datetime(2026, 1, 2, 3, 4, 5, tzinfo=datetime.UTC)  # every PDF's dates: same bytes each run


def blank_pdf(pages: int = 1, size: tuple[int, int] = (200, 280), tag: str = "") -> bytes:
    """A scanned-looking PDF of blank pages (Pillow), titled ``tag`` so its bytes are unique."""
    images = [Image.new("L", size, 255) for _ in range(pages)]
    buf = io.BytesIO()
    images[0].save(buf, format="PDF", save_all=True, append_images=images[1:], resolution=72.0, title=tag or None,
                   creationDate=EPOCH.timetuple(), modDate=EPOCH.timetuple())
    return buf.getvalue()


def text_pdf(text: str) -> bytes:
    """A born-digital one-page PDF with a real text layer (fpdf2, DejaVu Sans), dated ``EPOCH``."""
    from fpdf import FPDF

    pdf = FPDF(format="A4", unit="mm")
    pdf.set_creation_date(EPOCH)
    pdf.add_font("DejaVuSans", fname=str(FONTS["DejaVuSans"]))
    pdf.set_font("DejaVuSans", size=12)
    pdf.add_page()
    for paragraph in text.split("\n"):
        pdf.multi_cell(0, 6, paragraph, new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def pike_pdf(build: Callable[[pikepdf.Pdf], None], *, base: bytes | None = None, tag: str = "",
             **save: object) -> bytes:
    """A PDF made or changed with pikepdf (qpdf): ``build`` edits it before it is saved (with a fixed /ID)."""
    pdf = pikepdf.open(io.BytesIO(base)) if base else pikepdf.new()
    if not base:
        pdf.add_blank_page(page_size=(200, 280))
    if tag:
        pdf.docinfo["/Title"] = tag
    build(pdf)
    out = io.BytesIO()
    pdf.save(out, static_id=True, **save)
    return out.getvalue()


def encrypt_pdf(data: bytes, encryption: pikepdf.Encryption) -> bytes:
    """``data`` encrypted by a qpdf job with static IVs, so the bytes are the same on every run (except AES-256,
    whose salts qpdf always draws at random)."""
    with tempfile.TemporaryDirectory(prefix="corpus-") as tmp:
        src, dst = Path(tmp) / "in.pdf", Path(tmp) / "out.pdf"
        src.write_bytes(data)
        (pikepdf.JobBuilder().input(src).output(dst).encrypt(encryption).allow_weak_crypto()
         .set(static_id=True, static_aes_iv=True).run())
        return dst.read_bytes()


def raw_pdf(objects: list[bytes]) -> bytes:
    """A PDF written byte by byte: object ``i + 1`` is ``objects[i]``, object 1 the catalog; a correct xref."""
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % off for off in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def many_page_pdf(count: int) -> bytes:
    """``count`` distinct blank pages sharing one empty content stream, written directly (qpdf is quadratic)."""
    kids = b" ".join(b"%d 0 R" % (4 + i) for i in range(count))
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Count %d /Kids [%s] >>" % (count, kids),
               b"<< /Length 0 >>\nstream\n\nendstream"]
    objects += [b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 20 28] /Contents 3 0 R >>"] * count
    return raw_pdf(objects)


def many_frame_tiff(count: int, size: tuple[int, int] = (1, 1)) -> bytes:
    """A ``count``-page little-endian TIFF of tiny grey frames sharing one strip, written directly."""
    width, height = size
    strip = 8
    entries = [(256, 3, width), (257, 3, height), (258, 3, 8), (259, 3, 1), (262, 3, 1), (273, 4, strip),
               (277, 3, 1), (278, 3, height), (279, 4, width * height)]
    ifd_size = 2 + 12 * len(entries) + 4
    first = strip + width * height + (strip + width * height) % 2
    out = bytearray(b"II*\x00" + struct.pack("<I", first) + b"\xff" * (width * height))
    out += b"\x00" * (first - len(out))
    for k in range(count):
        out += struct.pack("<H", len(entries))
        for tag, kind, value in entries:
            out += struct.pack("<HHI", tag, kind, 1) + (struct.pack("<HH", value, 0) if kind == 3
                                                        else struct.pack("<I", value))
        out += struct.pack("<I", first + (k + 1) * ifd_size if k + 1 < count else 0)
    return bytes(out)


def _chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)


def png_with_header(width: int, height: int, *, depth: int = 8, color: int = 0, fix_crc: bool = True) -> bytes:
    """A small PNG whose IHDR claims another size (a decompression bomb seen from its header)."""
    data = bytearray(png())
    ihdr = data.index(b"IHDR")
    data[ihdr + 4: ihdr + 14] = struct.pack(">IIBB", width, height, depth, color)
    if fix_crc:
        data[ihdr + 17: ihdr + 21] = struct.pack(">I", zlib.crc32(bytes(data[ihdr: ihdr + 17])) & 0xFFFFFFFF)
    return bytes(data)


def png_with_chunk(kind: bytes, body: bytes, tag: str = "") -> bytes:
    """A valid PNG with one more chunk right after IHDR."""
    data = png(tag=tag)
    return data[:33] + _chunk(kind, body) + data[33:]


def jpeg_with_size(width: int, height: int, tag: str = "") -> bytes:
    """A small JPEG whose SOF marker claims another size."""
    data = bytearray(jpeg(tag=tag))
    sof = data.index(b"\xff\xc0")
    data[sof + 5: sof + 9] = struct.pack(">HH", height, width)
    return bytes(data)


def jpeg_with_segment(marker: int, body: bytes, tag: str = "") -> bytes:
    """A valid JPEG with an extra segment (COM 0xFE, APPn 0xE0-0xEF) after SOI; long bodies are split."""
    data = jpeg(tag=tag)
    segments = b"".join(struct.pack(">BBH", 0xFF, marker, len(body[i:i + 65000]) + 2) + body[i:i + 65000]
                        for i in range(0, len(body), 65000))
    return data[:2] + segments + data[2:]


def flip(data: bytes, seed: int, count: int, lo: float = 0.0, hi: float = 1.0) -> bytes:
    """``data`` with ``count`` bytes XOR-ed at offsets drawn (by ``seed``) between fractions ``lo`` and ``hi``."""
    rng = random.Random(seed)
    out = bytearray(data)
    start, stop = int(len(out) * lo), max(int(len(out) * lo) + 1, int(len(out) * hi))
    for _ in range(count):
        out[rng.randrange(start, min(stop, len(out)))] ^= rng.randrange(1, 256)
    return bytes(out)


def zip_of(members: dict[str, bytes], *, compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=compression) as zf:
        for name, body in members.items():
            zf.writestr(zipfile.ZipInfo(name, date_time=EPOCH.timetuple()[:6]), body, compress_type=compression)
    return buf.getvalue()


# -- the categories ------------------------------------------------------------------------------------------

def _empty() -> Iterator[_Item]:
    for name in ("empty.pdf", "empty.txt", "empty.png", "empty", "rỗng.jpg", ".pdf"):
        yield _Item("empty", name, b"", _one(refused("empty_file")), "0 bytes")
    for i, body in enumerate([b"   \n\n  ", b"\r\n\t \r\n", "\u3000\u00a0 \n".encode(), codecs.BOM_UTF8,
                              b"\x01\x02\x03\x1b\x7f", codecs.BOM_UTF16_LE + " \n".encode("utf-16-le")]):
        yield _Item("empty", f"blank-{i}.txt", body, _one(refused("empty_file")), "a text of whitespace/controls")


def _truncated() -> Iterator[_Item]:
    text = text_pdf(LETTER)
    for frac in (0.02, 0.05, 0.1, 0.2, 0.3, 0.45, 0.6, 0.75, 0.9, 0.97, 0.995):
        yield _Item("truncated", f"typed-cut-{frac}.pdf", text[: int(len(text) * frac)],
                    _one(refused("corrupt_pdf")), f"text PDF cut at {frac:.1%}")
    for cut in (8, 30, 60):  # inside the trailer: "startxref", its offset, "%%EOF"
        yield _Item("truncated", f"typed-cut-end-{cut}.pdf", text[:-cut], _one(refused("corrupt_pdf")),
                    f"text PDF without its last {cut} bytes")
    scan = blank_pdf(3, tag="truncated scan")
    for frac in (0.1, 0.4, 0.7, 0.95):
        yield _Item("truncated", f"scan-cut-{frac}.pdf", scan[: int(len(scan) * frac)],
                    _one(refused("corrupt_pdf")), f"3-page scanned PDF cut at {frac:.0%}")
    image = png((300, 200), tag="truncated png", color=128)
    for cut in (8, 16, 33, 45, len(image) // 2):
        yield _Item("truncated", f"cut-{cut}.png", image[:cut], _one(refused("corrupt_image")),
                    f"PNG cut after {cut} bytes")
    for cut in (12, 20):  # IEND, or IEND and the last IDAT's checksum: every pixel is still there
        yield _Item("truncated", f"cut-end-{cut}.png", image[:-cut], _one(refused("corrupt_image"), DONE),
                    f"PNG without its last {cut} bytes")
    photo = jpeg((240, 180), noise=True, tag="truncated jpeg")
    yield _Item("truncated", "cut-2.jpg", photo[:2], _one(refused("unsupported_type")),
                "the first 2 bytes of a JPEG (too few to tell it is one)")
    for cut in (4, 20, 160, len(photo) // 3, len(photo) * 2 // 3, len(photo) - 200):
        yield _Item("truncated", f"cut-{cut}.jpg", photo[:cut], _one(refused("corrupt_image")),
                    f"JPEG cut after {cut} bytes")
    yield _Item("truncated", "no-eoi.jpg", photo[:-2], _one(refused("corrupt_image"), DONE),
                "JPEG without its end marker")
    scan_tiff = tiff([Image.new("L", (120, 160), 255 - i) for i in range(4)])
    for cut in (4, 8, len(scan_tiff) // 3, len(scan_tiff) - 30):
        yield _Item("truncated", f"cut-{cut}.tif", scan_tiff[:cut], _one(refused("corrupt_image")),
                    f"4-page TIFF cut after {cut} bytes")
    utf8 = LETTER.encode()
    for cut in (utf8.index("ử".encode()) + 1, utf8.index("Đ".encode()) + 1, len(utf8) - 1):
        body = utf8[:cut]
        valid = _valid_utf8(body)
        yield _Item("truncated", f"cut-{cut}.txt", body, _one(DONE if valid else refused("bad_text_encoding")),
                    "UTF-8 text cut " + ("between" if valid else "inside") + " a character")


def _valid_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _corrupt() -> Iterator[_Item]:
    bases = [text_pdf(letter(100 + k)) for k in range(4)]  # fpdf2 embeds a font subset: ~0.1 s each
    regions = [(0.0, 0.02, "header"), (0.02, 0.5, "objects"), (0.5, 0.9, "font and streams"),
               (0.9, 0.99, "xref table"), (0.0, 1.0, "anywhere")]
    for i in range(15):
        lo, hi, where = regions[i % len(regions)]
        count = 1 + (i * 7) % 13
        header = (refused("unsupported_type"),) if lo == 0 else ()  # "%PDF-" itself may be hit
        text = bases[i % len(bases)]
        yield _Item("corrupt", f"typed-flip-{i}.pdf", flip(text, seed=100 + i, count=count, lo=lo, hi=hi),
                    _one(refused("corrupt_pdf"), *SETTLED, *header),
                    f"text PDF, {count} byte(s) flipped in the {where}")
    yield _Item("corrupt", "header-only.pdf", b"%PDF-1.7\n%%EOF\n", _one(refused("corrupt_pdf")), "header only")
    yield _Item("corrupt", "garbage.pdf", b"%PDF-1.4\n" + random.Random(7).randbytes(3000) + b"\n%%EOF\n",
                _one(refused("corrupt_pdf")), "PDF header over random bytes")

    def no_pages(pdf: pikepdf.Pdf) -> None:
        pdf.Root.Pages.Kids = pikepdf.Array()
        pdf.Root.Pages.Count = 0

    yield _Item("corrupt", "no-pages.pdf", pike_pdf(no_pages, tag="no pages"), _one(refused("corrupt_pdf")),
                "a PDF with an empty page tree")

    def lying_count(pdf: pikepdf.Pdf) -> None:
        pdf.Root.Pages.Count = 1_000_000

    yield _Item("corrupt", "lying-count.pdf", pike_pdf(lying_count, tag="lying"), _one(DONE),
                "page tree claims a million pages, holds one")

    def page_loop(pdf: pikepdf.Pdf) -> None:
        pdf.Root.Pages.Kids.append(pdf.Root.Pages)  # the tree contains itself
        pdf.Root.Pages.Count = 2

    yield _Item("corrupt", "page-tree-loop.pdf", pike_pdf(page_loop, tag="loop"),
                _one(refused("corrupt_pdf"), *SETTLED), "page tree that contains itself")

    def bad_stream(pdf: pikepdf.Pdf) -> None:
        page = pdf.pages[0]
        page.Contents = pikepdf.Stream(pdf, b"\x78\x9c this is not deflate data")
        page.Contents.Filter = pikepdf.Name.FlateDecode

    yield _Item("corrupt", "bad-content-stream.pdf", pike_pdf(bad_stream, tag="bad stream", compress_streams=False),
                _one(*SETTLED), "page content is broken deflate data")

    def bad_font(pdf: pikepdf.Pdf) -> None:
        font = pikepdf.Dictionary(Type=pikepdf.Name.Font, Subtype=pikepdf.Name.TrueType, BaseFont=pikepdf.Name.X,
                                  FontFile2=pikepdf.Stream(pdf, b"not a font at all"))
        page = pdf.pages[0]
        page.Resources = pikepdf.Dictionary(Font=pikepdf.Dictionary(F1=font))
        page.Contents = pikepdf.Stream(pdf, b"BT /F1 12 Tf 20 200 Td (Kinh gui Tinh uy, toi la Le Van Tam) Tj ET")

    yield _Item("corrupt", "bad-font.pdf", pike_pdf(bad_font, tag="bad font"), _one(*SETTLED),
                "text drawn with a font whose program is garbage")

    def deep_nesting(pdf: pikepdf.Pdf) -> None:
        pdf.pages[0].Contents = pikepdf.Stream(pdf, b"[" * 5000 + b"]" * 5000 + b" q Q")

    yield _Item("corrupt", "deep-nesting.pdf", pike_pdf(deep_nesting, tag="deep"), _one(*SETTLED),
                "content stream with 5000 nested arrays")
    image = png((200, 150), tag="corrupt png", color=200)
    idat = image.index(b"IDAT")
    yield _Item("corrupt", "bad-ihdr-crc.png", png_with_header(200, 150, fix_crc=False),
                _one(refused("corrupt_image")), "PNG whose IHDR checksum is wrong")
    yield _Item("corrupt", "zero-width.png", png_with_header(0, 150), _one(refused("corrupt_image")),
                "PNG 0 pixels wide")
    yield _Item("corrupt", "bad-depth.png", png_with_header(200, 150, depth=7), _one(refused("corrupt_image")),
                "PNG with bit depth 7")
    yield _Item("corrupt", "bad-color-type.png", png_with_header(200, 150, color=5), _one(refused("corrupt_image")),
                "PNG with colour type 5")
    broken = bytearray(image)
    broken[idat + 4: idat + 8] = b"\x00\x00\x00\x00"
    yield _Item("corrupt", "bad-idat.png", bytes(broken), _one(refused("corrupt_image")),
                "PNG whose compressed pixels are broken")
    for i in range(6):
        yield _Item("corrupt", f"png-flip-{i}.png", flip(image, seed=200 + i, count=1 + i, lo=0.1, hi=0.95),
                    _one(refused("corrupt_image"), DONE), f"PNG with {1 + i} byte(s) flipped")
    photos = [jpeg((160, 120), noise=True, tag="corrupt jpeg"), jpeg((240, 180), tag="corrupt blank jpeg")]
    for i in range(8):
        lo, hi = ((0.0, 0.15), (0.15, 0.5), (0.5, 0.99))[i % 3]
        yield _Item("corrupt", f"jpeg-flip-{i}.jpg", flip(photos[i % 2], seed=300 + i, count=1 + 2 * i, lo=lo, hi=hi),
                    _one(refused("corrupt_image"), DONE),
                    f"{'noisy' if i % 2 == 0 else 'blank'} JPEG with {1 + 2 * i} byte(s) flipped")
    yield _Item("corrupt", "zero-size.jpg", jpeg_with_size(0, 0, tag="zero"), _one(refused("corrupt_image")),
                "JPEG whose frame is 0×0")
    scan_tiff = tiff([Image.new("L", (100, 80), 255)], compression="tiff_lzw")
    bad_offsets = bytearray(scan_tiff)
    bad_offsets[4:8] = struct.pack("<I", len(scan_tiff) + 10_000)
    yield _Item("corrupt", "ifd-past-end.tif", bytes(bad_offsets), _one(refused("corrupt_image")),
                "TIFF whose first directory lies past the end")
    yield _Item("corrupt", "ifd-loop.tif", _tiff_ifd_loop(), _one(DONE, refused("corrupt_image")),
                "TIFF whose directory chain loops onto itself")
    yield _Item("corrupt", "unknown-compression.tif", _tiff_tag(scan_tiff, {259: 60000}),
                _one(refused("corrupt_image")), "TIFF with an unknown compression scheme")
    for i, (magic, code, ext) in enumerate([(b"%PDF-1.5\n", "corrupt_pdf", "pdf"),
                                            (b"\x89PNG\r\n\x1a\n", "corrupt_image", "png"),
                                            (b"\xff\xd8\xff\xe0", "corrupt_image", "jpg"),
                                            (b"II*\x00", "corrupt_image", "tif"),
                                            (b"MM\x00*", "corrupt_image", "tif")]):
        for j in range(2):
            body = magic + random.Random(i * 10 + j).randbytes(200 + 700 * j)
            yield _Item("corrupt", f"magic-then-noise-{i}-{j}.{ext}", body, _one(refused(code)),
                        f"{ext} magic bytes followed by random bytes")


def _tiff_ifd_loop() -> bytes:
    data = bytearray(tiff([Image.new("L", (60, 40), 255)]))
    ifd = struct.unpack("<I", data[4:8])[0]
    entries = struct.unpack("<H", data[ifd: ifd + 2])[0]
    end = ifd + 2 + 12 * entries
    data[end: end + 4] = struct.pack("<I", ifd)
    return bytes(data)


def _tiff_tag(data: bytes, values: dict[int, int], frame: int = 0) -> bytes:
    """``data`` (a little-endian TIFF) with the SHORT or LONG values of ``values``' tags in directory ``frame``."""
    out = bytearray(data)
    ifd = struct.unpack("<I", out[4:8])[0]
    for _ in range(frame):
        ifd = struct.unpack("<I", out[ifd + 2 + 12 * struct.unpack("<H", out[ifd: ifd + 2])[0]:][:4])[0]
    for k in range(struct.unpack("<H", out[ifd: ifd + 2])[0]):
        entry = ifd + 2 + 12 * k
        tag, kind = struct.unpack("<HH", out[entry: entry + 4])
        if tag in values:
            out[entry + 8: entry + 12] = struct.pack("<HH" if kind == 3 else "<I", *(
                (values[tag], 0) if kind == 3 else (values[tag],)))
    return bytes(out)


def _encrypted() -> Iterator[_Item]:
    base = blank_pdf(1, tag="encrypted")
    for r, label in ((2, "RC4 40-bit"), (3, "RC4 128-bit"), (4, "AES-128"), (6, "AES-256")):
        enc = pikepdf.Encryption(user="mat-khau", owner="chu-so-huu", R=r, aes=r >= 4, metadata=r >= 4)
        yield _Item("encrypted", f"locked-r{r}.pdf", encrypt_pdf(base, enc), _one(refused("encrypted_pdf")),
                    f"user password, {label}")
    for r in (4, 6):
        enc = pikepdf.Encryption(user="", owner="chu-so-huu", R=r, allow=pikepdf.Permissions(extract=False))
        yield _Item("encrypted", f"owner-only-r{r}.pdf", encrypt_pdf(blank_pdf(tag=f"owner {r}"), enc), _one(DONE),
                    "owner password only (opens without one), copying forbidden")
    enc = pikepdf.Encryption(user="", owner="o", R=4)
    text_locked = encrypt_pdf(text_pdf(letter(200)), enc)
    yield _Item("encrypted", "owner-only-text.pdf", text_locked, _one(DONE), "text PDF with an owner password")
    yield _Item("encrypted", "locked.zip", _zip_crypto(), _one(refused("unsupported_type")),
                "a password-protected ZIP")
    damaged = bytearray(encrypt_pdf(base, pikepdf.Encryption(user="x", owner="y", R=4)))
    at = damaged.index(b"/Encrypt")
    damaged[at + 1: at + 8] = b"Encrypq"
    yield _Item("encrypted", "broken-encrypt.pdf", bytes(damaged),
                _one(refused("corrupt_pdf"), refused("encrypted_pdf"), *SETTLED),
                "encrypted PDF whose /Encrypt key is misspelt")


def _zip_crypto() -> bytes:
    """A ZIP whose member is flagged as encrypted (the general-purpose bit 0)."""
    data = bytearray(zip_of({"don.pdf": blank_pdf(tag="in zip")}, compression=zipfile.ZIP_STORED))
    data[6] |= 1
    central = data.index(b"PK\x01\x02")
    data[central + 8] |= 1
    return bytes(data)


def _polyglot() -> Iterator[_Item]:
    pdf = blank_pdf(1, tag="polyglot pdf")
    small_pdf_bytes = pike_pdf(lambda p: None, tag="tiny")
    yield _Item("polyglot", "pdf-in-jpeg.jpg", jpeg_with_segment(0xFE, small_pdf_bytes, tag="pdf in jpeg"),
                _one(DONE), "JPEG carrying a whole PDF in a comment segment (read as the JPEG it starts as)")
    yield _Item("polyglot", "pdf-in-jpeg.pdf", jpeg_with_segment(0xE1, small_pdf_bytes, tag="pdf in app1"),
                _one(DONE), "JPEG carrying a PDF in an APP1 segment, named .pdf")
    yield _Item("polyglot", "png-then-pdf.png", png(tag="png+pdf") + pdf, _one(DONE),
                "PNG with a PDF appended after IEND")
    yield _Item("polyglot", "pdf-then-jpeg.pdf", pdf + jpeg((200, 200), noise=True, tag="tail"),
                _one(refused("corrupt_pdf")), "PDF with a JPEG appended after %%EOF (no %%EOF at the end)")
    yield _Item("polyglot", "pdf-then-zip.pdf", pdf + zip_of({"x.txt": b"hello" * 300}),
                _one(refused("unsupported_type")), "PDF with a small ZIP appended (its end record in the PDF's tail)")
    yield _Item("polyglot", "pdf-then-big-zip.pdf", pdf + zip_of({"x.bin": random.Random(5).randbytes(3000)}),
                _one(refused("corrupt_pdf")), "PDF with a 3 KB ZIP appended")
    yield _Item("polyglot", "html-then-pdf.pdf", b"<html><script>alert(1)</script></html>\n" + pdf, _one(DONE),
                "markup before the PDF header (PDF readers skip junk there)")
    yield _Item("polyglot", "zip-with-pdf.pdf", zip_of({"a.pdf": pdf}, compression=zipfile.ZIP_STORED),
                _one(refused("unsupported_type")), "ZIP archive storing a PDF uncompressed, named .pdf")
    yield _Item("polyglot", "exe-with-pdf.pdf", b"MZ\x90\x00" + b"\x00" * 60 + pdf, _one(refused("unsupported_type")),
                "Windows executable header before a PDF")
    yield _Item("polyglot", "elf-with-pdf.pdf", b"\x7fELF\x02\x01\x01" + b"\x00" * 57 + pdf,
                _one(refused("unsupported_type")), "ELF header before a PDF")
    yield _Item("polyglot", "gifar.gif", b"GIF89a\x01\x00\x01\x00\x00\x00\x00;" + zip_of({"a": b"b"}),
                _one(refused("unsupported_type")), "GIF with a ZIP appended")
    tiff_pdf = tiff([Image.new("L", (64, 48), 255)], description="%PDF-1.4 pretending")
    yield _Item("polyglot", "tiff-says-pdf.tif", tiff_pdf, _one(DONE), "TIFF whose description tag says %PDF-")
    yield _Item("polyglot", "gzip-then-pdf.pdf", gzip.compress(b"x" * 100, mtime=0) + pdf,
                _one(refused("unsupported_type")), "gzip stream before a PDF")
    yield _Item("polyglot", "js-in-text.txt", b"%PDF-1.4 is mentioned but this is text\n" + LETTER.encode(),
                _one(refused("corrupt_pdf")), "a .txt whose first line holds %PDF- (read as a broken PDF)")


def _active_content() -> Iterator[_Item]:
    """PDFs that try to do something when opened: never run, only read."""
    def action(kind: str, **entries: object) -> Callable[[pikepdf.Pdf], None]:
        def build(pdf: pikepdf.Pdf) -> None:
            pdf.Root.OpenAction = pikepdf.Dictionary(S=pikepdf.Name(kind), **entries)

        return build

    yield _Item("active-content", "javascript.pdf",
                pike_pdf(action("/JavaScript", JS=pikepdf.String("app.alert('x'); this.exportDataObject({})")),
                         tag="js"), _one(DONE), "JavaScript run on open")
    yield _Item("active-content", "launch.pdf",
                pike_pdf(action("/Launch", F=pikepdf.String("cmd.exe"), Win=pikepdf.Dictionary(
                    F=pikepdf.String("cmd.exe"), P=pikepdf.String("/c calc"))), tag="launch"), _one(DONE),
                "Launch action starting a program")
    yield _Item("active-content", "uri.pdf", pike_pdf(action("/URI", URI=pikepdf.String("http://198.51.100.7/x")),
                                                      tag="uri"), _one(DONE), "opens a web address on open")

    def attachment(pdf: pikepdf.Pdf) -> None:
        pdf.attachments["setup.exe"] = pikepdf.AttachedFileSpec(pdf, b"MZ\x90\x00" + b"\x00" * 200,
                                                                 filename="setup.exe")

    yield _Item("active-content", "attachment.pdf", pike_pdf(attachment, tag="attachment"), _one(DONE),
                "an executable embedded as an attachment")

    def page_actions(pdf: pikepdf.Pdf) -> None:
        pdf.pages[0].AA = pikepdf.Dictionary(O=pikepdf.Dictionary(S=pikepdf.Name.JavaScript,
                                                                  JS=pikepdf.String("while(true){}")))
        pdf.Root.AcroForm = pikepdf.Dictionary(Fields=pikepdf.Array(), XFA=pikepdf.String("<xdp:xdp/>"))

    yield _Item("active-content", "page-open-loop.pdf", pike_pdf(page_actions, tag="aa"), _one(DONE),
                "an endless JavaScript loop on page open, an XFA form")


def _bombs() -> Iterator[_Item]:
    zeros = b"\x00" * 20_000_000
    gz = gzip.compress(zeros, compresslevel=9, mtime=0)
    for name in ("bomb.gz", "bomb.pdf", "bomb.txt"):
        yield _Item("zip-bomb", name, gz, _one(refused("unsupported_type")), "gzip of 20 MB of zeros")
    deflated = zip_of({"zeros.bin": zeros})
    yield _Item("zip-bomb", "bomb.zip", deflated, _one(refused("unsupported_type")), "ZIP of 20 MB of zeros")
    yield _Item("zip-bomb", "bomb.docx", deflated, _one(refused("unsupported_type")), "ZIP bomb named .docx")
    yield _Item("zip-bomb", "nested.zip.pdf", zip_of({f"{i}.zip": deflated for i in range(4)}),
                _one(refused("unsupported_type")), "ZIP of ZIP bombs")
    yield _Item("zip-bomb", "bomb.bz2.txt", bz2.compress(zeros[:5_000_000]), _one(refused("unsupported_type")),
                "bzip2 of zeros named .txt")
    yield _Item("zip-bomb", "bomb.xz.pdf", lzma.compress(zeros[:1_000_000]), _one(refused("unsupported_type")),
                "xz of zeros named .pdf")
    yield _Item("zip-bomb", "ztxt-bomb.png", png_with_chunk(b"zTXt", b"k\x00\x00" + zlib.compress(zeros, 9)),
                _one(refused("corrupt_image")), "PNG whose compressed text chunk inflates to 20 MB")
    yield _Item("zip-bomb", "iccp-bomb.png", png_with_chunk(b"iCCP", b"p\x00\x00" + zlib.compress(zeros, 9)),
                _one(refused("corrupt_image")), "PNG whose colour profile inflates to 20 MB")
    yield _Item("zip-bomb", "pixels-81M.png", png((9000, 9000), mode="1", tag="81M"),
                _one(refused("image_too_large")), "real 9000×9000 PNG (81 M pixels, ~10 KB)")
    yield _Item("zip-bomb", "pixels-59M.png", png((7700, 7700), mode="1", tag="59M"), _one(DONE),
                "real 7700×7700 PNG, just under the pixel limit")
    yield _Item("zip-bomb", "pixels-59M-72dpi.png", png((7700, 7700), mode="1", tag="59M 72", dpi=(72, 72)),
                _one(DONE), "real 7700×7700 PNG stating 72 dpi (a 3× upscale would be 533 M pixels)")
    yield _Item("zip-bomb", "wide-40000.png", png((40_000, 1000), mode="1", tag="wide"), _one(DONE),
                "real 40000×1000 PNG (wider than Tesseract reads)")

    def content_bomb(pdf: pikepdf.Pdf) -> None:
        stream = pikepdf.Stream(pdf, zlib.compress(b" " * 32_000_000, 9))
        stream.Filter = pikepdf.Name.FlateDecode
        pdf.pages[0].Contents = stream

    yield _Item("zip-bomb", "content-bomb.pdf", pike_pdf(content_bomb, tag="content bomb", compress_streams=False),
                _one(*SETTLED), "page content inflating to 32 MB")

    def image_bomb(pdf: pikepdf.Pdf) -> None:
        n = 20_000
        raw = zlib.compress(b"\xff" * (n // 8) * n, 9)
        image = pikepdf.Stream(pdf, raw, Type=pikepdf.Name.XObject, Subtype=pikepdf.Name.Image, Width=n, Height=n,
                               BitsPerComponent=1, ColorSpace=pikepdf.Name.DeviceGray, Filter=pikepdf.Name.FlateDecode)
        page = pdf.pages[0]
        page.MediaBox = [0, 0, n * 72 / 300, n * 72 / 300]  # a 67-inch page: the image is "a 300 dpi scan"
        page.Resources = pikepdf.Dictionary(XObject=pikepdf.Dictionary(Im0=image))
        page.Contents = pikepdf.Stream(pdf, f"q {n * 72 / 300} 0 0 {n * 72 / 300} 0 0 cm /Im0 Do Q".encode())

    yield _Item("zip-bomb", "image-bomb.pdf", pike_pdf(image_bomb, tag="image bomb", compress_streams=False),
                _one(*SETTLED), "PDF page holding a 20000×20000 image (400 M pixels) in 50 KB")
    yield _Item("zip-bomb", "bomb-201.tif", many_frame_tiff(201, (8, 8)), _one(refused("too_many_pages")),
                "TIFF of 201 tiny pages")


def _huge_images() -> Iterator[_Item]:
    for w, h in ((100_000, 100_000), (1, 100_000_000), (60_001, 1_000), (2**31 - 1, 2**31 - 1)):
        yield _Item("huge-image", f"header-{w}x{h}.png", png_with_header(w, h), _one(refused("image_too_large")),
                    f"PNG header claiming {w}×{h}")
    for w, h in ((65_500, 65_500), (60_000, 1_001)):
        yield _Item("huge-image", f"header-{w}x{h}.jpg", jpeg_with_size(w, h), _one(refused("image_too_large")),
                    f"JPEG header claiming {w}×{h}")
    big_second = _tiff_tag(tiff([Image.new("L", (50, 50), 255)] * 2), {256: 20_000, 257: 20_000}, frame=1)
    yield _Item("huge-image", "second-page-huge.tif", big_second, _one(refused("image_too_large")),
                "TIFF whose second page is 20000×20000")
    for size in ((1, 1), (2, 2), (3, 3), (1, 5000), (5000, 1), (7, 3000), (3000, 7)):
        yield _Item("huge-image", f"tiny-{size[0]}x{size[1]}.png", png(size, tag=f"tiny {size}"), _one(DONE),
                    f"degenerate {size[0]}×{size[1]} image")
    yield _Item("huge-image", "gray16.png", png((1200, 1600), mode="I;16", color=40000, tag="16-bit"), _one(DONE),
                "16-bit greyscale page")
    yield _Item("huge-image", "float.tif", tiff([Image.new("F", (300, 400), 0.5)]), _one(DONE),
                "32-bit float TIFF")
    yield _Item("huge-image", "rgba.png", png((500, 300), mode="RGBA", color=(0, 0, 0, 0), tag="rgba"), _one(DONE),
                "fully transparent RGBA")
    yield _Item("huge-image", "cmyk.jpg", jpeg((300, 400), mode="CMYK", tag="cmyk"), _one(DONE), "CMYK JPEG")
    yield _Item("huge-image", "palette.png", png((300, 300), mode="P", color=3, tag="palette", transparency=3),
                _one(DONE), "palette PNG with transparency")
    yield _Item("huge-image", "black.png", png((800, 1100), color=0, tag="black"), _one(DONE), "an all-black page")
    yield _Item("huge-image", "noise.jpg", jpeg((300, 400), noise=True, tag="noise page", quality=60), _one(DONE),
                "a page of pure noise")
    yield _Item("huge-image", "exif-rotated.jpg", jpeg((200, 100), tag="exif", exif=_exif_orientation(6)), _one(DONE),
                "JPEG with an EXIF orientation tag")
    yield _Item("huge-image", "bad-exif.jpg", jpeg_with_segment(0xE1, b"Exif\x00\x00II*\x00" + b"\xff" * 64, tag="x"),
                _one(DONE, refused("corrupt_image")), "JPEG with a garbage EXIF block")
    yield _Item("huge-image", "wide-dpi.png", png((600, 400), tag="dpi", dpi=(1, 99999)), _one(DONE),
                "PNG stating 1×99999 dpi")

    def huge_box(pdf: pikepdf.Pdf) -> None:
        pdf.pages[0].MediaBox = [0, 0, 14400, 14400]

    yield _Item("huge-image", "page-200in.pdf", pike_pdf(huge_box, tag="200in"), _one(*SETTLED),
                "PDF page of 200×200 inches (60000² pixels at 300 dpi)")

    def user_unit(pdf: pikepdf.Pdf) -> None:
        pdf.pages[0].MediaBox = [0, 0, 14400, 14400]
        pdf.pages[0].obj.UserUnit = 75

    yield _Item("huge-image", "page-userunit.pdf", pike_pdf(user_unit, tag="userunit"), _one(*SETTLED),
                "PDF page of 14400 pt with UserUnit 75")
    for label, box in (("zero", [0, 0, 0, 0]), ("negative", [0, 0, -500, -800]), ("sliver", [0, 0, 0.01, 5000]),
                       ("enormous", [0, 0, 1e12, 100])):
        def set_box(pdf: pikepdf.Pdf, box: list = box) -> None:
            pdf.pages[0].MediaBox = box

        yield _Item("huge-image", f"page-{label}.pdf", pike_pdf(set_box, tag=f"box {label}"),
                    _one(refused("corrupt_pdf"), *SETTLED), f"PDF page with a {label} MediaBox")

    def rotate(pdf: pikepdf.Pdf) -> None:
        pdf.pages[0].Rotate = 45

    yield _Item("huge-image", "rotate-45.pdf", pike_pdf(rotate, tag="rotate"), _one(*SETTLED),
                "PDF page /Rotate 45 (only multiples of 90 are valid)")


def _exif_orientation(value: int) -> bytes:
    exif = Image.Exif()
    exif[0x0112] = value
    return exif.tobytes()


def _many_pages() -> Iterator[_Item]:
    for count in (201, 1000, 5000, 50_000):
        yield _Item("1000-pages", f"pages-{count}.pdf", many_page_pdf(count), _one(refused("too_many_pages")),
                    f"a {count}-page PDF")
    yield _Item("1000-pages", "pages-1000-scanned.pdf", blank_pdf(1000, size=(20, 28), tag="1000 scanned"),
                _one(refused("too_many_pages")), "1000 scanned pages, each its own image")
    yield _Item("1000-pages", "pages-200.pdf", many_page_pdf(200), _one(DONE), "exactly the page limit: 200 pages")
    yield _Item("1000-pages", "pages-1000.tif", many_frame_tiff(1000), _one(refused("too_many_pages")),
                "a 1000-page TIFF")
    yield _Item("1000-pages", "pages-40.tif", many_frame_tiff(40, (30, 40)), _one(DONE), "a 40-page TIFF")

    def deep_tree(pdf: pikepdf.Pdf) -> None:
        node = pdf.Root.Pages
        leaf = pdf.pages[0].obj
        for _ in range(300):  # a page tree 300 levels deep around one page
            child = pdf.make_indirect(pikepdf.Dictionary(Type=pikepdf.Name.Pages, Kids=pikepdf.Array(), Count=1))
            node.Kids = pikepdf.Array([child])
            child.Parent = node
            node = child
        node.Kids = pikepdf.Array([leaf])
        leaf.Parent = node

    yield _Item("1000-pages", "deep-page-tree.pdf", pike_pdf(deep_tree, tag="deep tree"),
                _one(refused("corrupt_pdf"), *SETTLED), "one page at the bottom of a 300-level page tree")


_SIGNATURES = {
    "webp": b"RIFF\x24\x00\x00\x00WEBPVP8 ", "gif": b"GIF89a\x01\x00\x01\x00\x80\x00\x00", "bmp": b"BM6\x00\x00\x00",
    "heic": b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00", "jp2": b"\x00\x00\x00\x0cjP  \r\n\x87\n",
    "svg": b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
    "html": b"<!DOCTYPE html><html><body onload=alert(1)>",
    "ole": b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "rar": b"Rar!\x1a\x07\x00", "7z": b"7z\xbc\xaf\x27\x1c",
    "elf": b"\x7fELF\x02\x01\x01\x00", "exe": b"MZ\x90\x00\x03\x00",
}


def _wrong_extensions() -> Iterator[_Item]:
    for i, name in enumerate(["scan.pdf", "scan.jpg", "scan.txt", "scan.tif", "scan", "scan.PNG.exe"]):
        yield _Item("wrong-extension", name, png((64 + i, 48), tag=f"png as {name}"), _one(DONE), "a PNG named " + name)
    for i, name in enumerate(["photo.png", "photo.pdf", "photo.docx"]):
        yield _Item("wrong-extension", name, jpeg((80 + i, 60), tag=f"jpeg as {name}"), _one(DONE),
                    "a JPEG named " + name)
    for name in ("doc.jpg", "doc.png", "doc.txt", "doc.exe"):
        yield _Item("wrong-extension", name, blank_pdf(tag=f"pdf as {name}"), _one(DONE), "a PDF named " + name)
    yield _Item("wrong-extension", "pages.pdf", tiff([Image.new("L", (90, 70), 255)] * 2, description="as pdf"),
                _one(DONE), "a TIFF named .pdf")
    for name in ("letter.pdf", "letter.doc", "letter.jpg", "letter", "letter.txt.pdf"):
        yield _Item("wrong-extension", name, (LETTER + f"\n{name}").encode(), _one(refused("unsupported_type")),
                    "plain text not named .txt")
    for i, name in enumerate(("LETTER.TXT", "letter.pdf.txt", "letter.Txt")):
        yield _Item("wrong-extension", name, letter(300 + i).encode(), _one(DONE), "plain text named " + name)
    for kind, head in _SIGNATURES.items():
        yield _Item("wrong-extension", f"{kind}-as.jpg" if kind != "html" else "page.pdf", head + b"\x00" * 64,
                    _one(refused("unsupported_type")), f"{kind} content with an accepted name")
    yield _Item("wrong-extension", "docx-as.pdf", zip_of({"word/document.xml": b"<w:document/>"}),
                _one(refused("unsupported_type")), "a DOCX named .pdf")
    yield _Item("wrong-extension", "svg-as.txt", _SIGNATURES["svg"], _one(DONE),
                "SVG markup named .txt (taken as the text it is)")


_ODD_NAMES = [
    "don\u202efdp.exe", "\u200fđơn\u200f khiếu nại.pdf", "đơn\u200d\u200c\u2060.pdf", "\ufeffdon.pdf",
    unicodedata.normalize("NFD", "Đơn khiếu nại của bà Nguyễn Thị Hoà.pdf"), "📄 đơn tố cáo 🔥.pdf",
    "a" * 300 + ".pdf", "đ" * 2000 + ".pdf", "line\nbreak\r\ttab.pdf", "nul\x00byte.pdf", "\x01\x02\x1b[31mred.pdf",
    "del\x7f\x85\x9b.pdf", "lone\udcffsurrogate.pdf", "z\u0336a\u0336l\u0336g\u0336o\u0336" * 40 + ".pdf",
    "信件.pdf", "رسالة.pdf", "   .pdf", "   ", ".", "..", "...", "CON", "nul.pdf", "COM1.pdf", "\u3000", "",
    "%00.pdf", "x" * 254 + ".txt",
]

_TRAVERSAL_NAMES = [
    "../../etc/passwd.pdf", "..\\..\\windows\\system32\\drivers\\etc\\hosts.pdf", "/etc/passwd", "C:\\scan\\don.pdf",
    "....//....//etc/passwd.pdf", "..%2f..%2fetc%2fpasswd.pdf", "%2e%2e/%2e%2e/x.pdf", "files/ab/../../../../x.pdf",
    "\\\\server\\share\\don.pdf", "a/../../b.pdf", "~/.ssh/authorized_keys", "/dev/zero", "../" * 40 + "root.pdf",
    "..", "files/../secret_key", "./././don.pdf", "..\u2215..\u2215etc\u2215passwd.pdf", "..\uff0f..\uff0fx.pdf",
]


def _odd_names() -> Iterator[_Item]:
    for i, name in enumerate(_ODD_NAMES):
        data = letter(400 + i).encode() if name.endswith(".txt") else png((50 + i, 40), tag=f"odd name {i}")
        yield _Item("odd-name", name, data, _one(DONE), f"name {name[:40]!r}")


def _traversal_names() -> Iterator[_Item]:
    shared = blank_pdf(tag="traversal shared")
    for i, name in enumerate(_TRAVERSAL_NAMES):
        yield _Item("path-traversal", name, blank_pdf(tag=f"traversal {i}"), _one(DONE), f"name {name[:40]!r}")
    # the same bytes under two hostile names: the second is the first letter again, nothing is written twice
    yield _Item("path-traversal", "../../../../../../tmp/first.pdf", shared, _one(DONE), "shared bytes, first")
    yield _Item("path-traversal", "..\\..\\second.pdf", shared, _one(DUPLICATE), "the same bytes again")


def _texts() -> Iterator[_Item]:
    for k, (bom, codec) in enumerate(((codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be"),
                                      (codecs.BOM_UTF32_LE, "utf-32-le"), (codecs.BOM_UTF32_BE, "utf-32-be"))):
        yield _Item("text", f"{codec}.txt", bom + letter(520 + k).encode(codec), _one(DONE), f"{codec} with BOM")
    yield _Item("text", "utf8-bom.txt", codecs.BOM_UTF8 + letter(504).encode(), _one(DONE), "UTF-8 with BOM")
    yield _Item("text", "utf16-odd.txt", codecs.BOM_UTF16_LE + letter(505).encode("utf-16-le") + b"x",
                _one(refused("bad_text_encoding")), "UTF-16 with an odd number of bytes")
    yield _Item("text", "utf16-surrogate.txt", codecs.BOM_UTF16_LE + "ab".encode("utf-16-le") + b"\x00\xd8c\x00",
                _one(refused("bad_text_encoding")), "UTF-16 with an unpaired surrogate")
    yield _Item("text", "utf16-nul.txt", codecs.BOM_UTF16_LE + "Kính gửi\x00\x00Tỉnh ủy".encode("utf-16-le"),
                _one(DONE), "UTF-16 text holding NUL characters")
    yield _Item("text", "latin1.txt", "Kính gửi Tỉnh ủy".encode()[:3] + "café señor".encode("latin-1"),
                _one(refused("bad_text_encoding")), "Latin-1")
    yield _Item("text", "cp1258.txt", b"Kinh gui Tinh uy, toi la Nguyen Van An" + b" \xd0\xf2\xec\xde",
                _one(refused("bad_text_encoding")), "Windows-1258 (legacy Vietnamese)")
    yield _Item("text", "tcvn3.txt", b"K\xadnh g\xa7i T\xabnh \xf1y", _one(refused("bad_text_encoding")),
                "TCVN3 (legacy Vietnamese)")
    yield _Item("text", "overlong.txt", b"Kinh gui \xc0\xaf\xe0\x80\xaf", _one(refused("bad_text_encoding")),
                "overlong UTF-8 sequences")
    yield _Item("text", "cesu.txt", b"Kinh gui \xed\xa0\xbd\xed\xb2\xa9", _one(refused("bad_text_encoding")),
                "UTF-8-encoded surrogates (CESU-8)")
    yield _Item("text", "nul.txt", (letter(506) + "\x00 binary").encode(), _one(refused("unsupported_type")),
                "UTF-8 with a NUL byte")
    yield _Item("text", "controls.txt", ("\x1b[2J\x07\x08" + letter(507) + "\x0b\x0c\x1f\x7f\x85").encode(), _one(DONE),
                "terminal escapes and control characters around a letter")
    yield _Item("text", "bidi.txt", ("\u202e" + letter(508) + "\u202c\u2066\u2069\u200f").encode(), _one(DONE),
                "letter wrapped in bidi overrides")
    yield _Item("text", "zalgo.txt", ("Kính gửi " + "a" + "\u0336\u0301\u0323" * 5_000 + " Tỉnh ủy").encode(),
                _one(DONE), "one letter carrying 15000 combining marks")
    yield _Item("text", "one-line.txt", ("Kính gửi Tỉnh ủy " + "ạ" * 1_000_000).encode(),
                _one(refused("file_too_large")), "a 3 MB single line (a million characters)")
    yield _Item("text", "over-limit.txt", "\n".join(f"{LETTER} {i}" for i in range(3000)).encode(),
                _one(refused("file_too_large")), "a 750 KB letter (3000 repetitions, 650 000 characters)")
    yield _Item("text", "long.txt", "\n\n".join(letter(600 + i) for i in range(150)).encode(), _one(DONE),
                "a 40 KB letter (150 repetitions)")
    yield _Item("text", "cr-only.txt", letter(509).replace("\n", "\r").encode() + b"\r cr", _one(DONE),
                "old Mac line endings")
    markup = "\n<script>alert(1)</script><img src=x onerror=alert(1)>"
    yield _Item("text", "markup.txt", (letter(510) + markup).encode(),
                _one(DONE), "HTML injection in the text")
    yield _Item("text", "fts-syntax.txt", (letter(511) + '\nNEAR(a b) AND OR "open * ^col: {x} -- \';').encode(),
                _one(DONE), "FTS5 and SQL syntax in the text")
    yield _Item("text", "private-use.txt", ("Kính gửi \ue000\U000f0000\U0010fffd Tỉnh ủy " + letter(512)).encode(),
                _one(DONE), "private-use and last-plane characters")
    yield _Item("text", "noncharacters.txt", ("\ufffe\uffff\U0001fffe " + letter(513)).encode(), _one(DONE),
                "Unicode noncharacters")


CATEGORIES: list[Callable[[], Iterator[_Item]]] = [
    _empty, _truncated, _corrupt, _encrypted, _polyglot, _active_content, _bombs, _huge_images, _many_pages,
    _wrong_extensions, _odd_names, _traversal_names, _texts,
]


def items() -> list[_Item]:
    return [item for make in CATEGORIES for item in make()]


def generate(folder: Path) -> list[CorpusFile]:
    """Write the corpus into ``folder`` (plain names ``NNN-category.bin``) and describe every file."""
    folder.mkdir(parents=True, exist_ok=True)
    out: list[CorpusFile] = []
    for i, item in enumerate(items()):
        path = folder / f"{i:03d}-{item.category}.bin"
        path.write_bytes(item.data)
        out.append(CorpusFile(item.name, path, len(item.data), item.category, item.expect, item.note))
    return out


def expected_duplicates(files: list[CorpusFile]) -> dict[int, int]:
    """Index of each file expected as a duplicate → index of the earlier file with the same bytes."""
    first: dict[bytes, int] = {}
    dups: dict[int, int] = {}
    for i, f in enumerate(files):
        data = f.data()
        if DUPLICATE in f.expect:
            dups[i] = first[data]
        elif f.accepted_expected:
            first.setdefault(data, i)
    return dups

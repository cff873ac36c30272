"""The printable forwarding slip and guidance letter: Vietnamese text comes out exactly, and a protected
denouncer's identity is nowhere in the PDF (text layer, metadata, decompressed streams)."""

from __future__ import annotations

import dataclasses
import io
import unicodedata
import zlib
from datetime import date
from pathlib import Path

import pdfplumber
import pikepdf
import pytest

from web import slips
from web.slips import (
    ForwardingSlip,
    GuidanceLetter,
    SlipLetter,
    format_vn_date,
    forwarding_slip_pdf,
    guidance_letter_pdf,
)

SECRET_SENDER = "Trần Thị Mật, trú tại số 5 Lê Lợi"
SECRETS = ("Trần Thị Mật", "Lê Lợi")
LETTERS = (
    SlipLetter("0125/2026", date(2026, 3, 4), "Bưu điện"),
    SlipLetter("0131/2026", date(2026, 10, 19), "Nộp trực tiếp"),
)


def make_slip(**changes: object) -> ForwardingSlip:
    slip = ForwardingSlip(
        number="12/PC-BNC", issued=date(2026, 11, 5), place="Đà Nẵng", office_parent="TỈNH ỦY ĐÀ NẴNG",
        office="BAN NỘI CHÍNH", recipient="Thanh tra tỉnh", dossier_number="HS-2026-0042", type_label="Tố cáo",
        field_label="Đất đai, nhà ở",
        summary="Tố cáo ông Phạm Văn Quyền, cán bộ địa chính xã, nhũng nhiễu khi cấp giấy chứng nhận quyền sử dụng "
                "đất và giả mạo chữ ký trong hồ sơ giải phóng mặt bằng.",
        letters=LETTERS, sender=SECRET_SENDER,
        request="xem xét, giải quyết theo thẩm quyền và thông báo kết quả",
        signer_title="TL. BAN THƯỜNG VỤ\nTRƯỞNG BAN", signer_name="Nguyễn Văn Ký", protected=False)
    return dataclasses.replace(slip, **changes)


def make_guidance(**changes: object) -> GuidanceLetter:
    letter = GuidanceLetter(
        number="7/HD-BNC", issued=date(2026, 2, 3), place="Đà Nẵng", office_parent="TỈNH ỦY ĐÀ NẴNG",
        office="BAN NỘI CHÍNH", addressee=f"Ông/Bà {SECRET_SENDER}", letters=LETTERS[:1],
        summary="Khiếu nại Quyết định số 15/QĐ-UBND về thu hồi đất, đề nghị hủy quyết định và bồi thường lại.",
        competent_body="Ủy ban nhân dân tỉnh",
        reason="nội dung đơn không thuộc thẩm quyền giải quyết của Ban Nội chính Tỉnh ủy",
        signer_title="TL. BAN THƯỜNG VỤ\nPHÓ TRƯỞNG BAN", signer_name="Lê Thị Hồng", protected=False)
    return dataclasses.replace(letter, **changes)


def page_texts(pdf_bytes: bytes) -> list[str]:
    with pdfplumber.open(io.BytesIO(pdf_bytes)) as pdf:
        return [page.extract_text() or "" for page in pdf.pages]


def flat(text: str) -> str:
    """Line breaks fall anywhere in wrapped text: compare with whitespace collapsed."""
    return " ".join(text.split())


def full_text(pdf_bytes: bytes) -> str:
    return flat(" ".join(page_texts(pdf_bytes)))


def _strings(obj: object, top: bool = True) -> list[str]:
    """Every string value inside one object and its direct parts (indirect parts are visited on their own)."""
    if isinstance(obj, pikepdf.String):
        return [str(obj)]
    if not top and isinstance(obj, pikepdf.Object) and obj.is_indirect:
        return []
    if isinstance(obj, pikepdf.Array):
        return [s for item in obj for s in _strings(item, top=False)]
    if isinstance(obj, pikepdf.Dictionary | pikepdf.Stream):
        return [s for _, value in obj.items() for s in _strings(value, top=False)]
    return []


def exposures(pdf_bytes: bytes, needle: str) -> list[str]:
    """Where `needle` can be found in a PDF: extracted text, document info, XMP, any object's strings, any
    stream's decompressed bytes (UTF-8 or UTF-16), the raw file."""
    found = []
    needle = unicodedata.normalize("NFC", needle)
    forms = [needle.encode("utf-8"), needle.encode("utf-16-be")]
    if needle in full_text(pdf_bytes):
        found.append("text")
    if needle.encode("utf-8") in pdf_bytes or needle.encode("utf-16-be") in pdf_bytes:
        found.append("raw file")
    with pikepdf.open(io.BytesIO(pdf_bytes)) as pdf:
        if any(needle in str(value) for value in pdf.docinfo.values()):
            found.append("document info")
        with pdf.open_metadata() as xmp:
            if any(needle in str(value) for value in xmp.values()):
                found.append("xmp")
        for obj in pdf.objects:
            if any(needle in s for s in _strings(obj)):
                found.append(f"object {obj.objgen} string")
            if isinstance(obj, pikepdf.Stream):
                data = obj.read_bytes()  # decompressed
                if any(form in data for form in forms):
                    found.append(f"object {obj.objgen} stream")
    return found


# --- format_vn_date -------------------------------------------------------------------------------------------


def test_format_vn_date_zero_pads_day_and_months_1_2() -> None:
    assert format_vn_date(date(2026, 11, 5), "Đà Nẵng") == "Đà Nẵng, ngày 05 tháng 11 năm 2026"
    assert format_vn_date(date(2026, 1, 9), "Huế") == "Huế, ngày 09 tháng 01 năm 2026"
    assert format_vn_date(date(2026, 2, 28), "Huế") == "Huế, ngày 28 tháng 02 năm 2026"
    # From March the month is written plainly, as Party and state documents do ("tháng 3", not "tháng 03").
    assert format_vn_date(date(2026, 3, 1), "Huế") == "Huế, ngày 01 tháng 3 năm 2026"


# --- forwarding slip -------------------------------------------------------------------------------------------


def test_forwarding_slip_text_is_exact_vietnamese() -> None:
    data = forwarding_slip_pdf(make_slip())
    assert data.startswith(b"%PDF")
    text = full_text(data)
    for expected in ("PHIẾU CHUYỂN ĐƠN", "TỈNH ỦY ĐÀ NẴNG", "BAN NỘI CHÍNH", "ĐẢNG CỘNG SẢN VIỆT NAM",
                     "Số: 12/PC-BNC", "Đà Nẵng, ngày 05 tháng 11 năm 2026", "Kính gửi: Thanh tra tỉnh",
                     "HS-2026-0042", "Tố cáo", "Đất đai, nhà ở", "0125/2026", "04/03/2026", "Bưu điện",
                     "0131/2026", "19/10/2026", "Nộp trực tiếp", "giả mạo chữ ký trong hồ sơ giải phóng mặt bằng",
                     "xem xét, giải quyết theo thẩm quyền và thông báo kết quả", "TL. BAN THƯỜNG VỤ", "TRƯỞNG BAN",
                     "Nguyễn Văn Ký"):
        assert expected in text, expected
    assert f"Người gửi đơn: {SECRET_SENDER}" in text  # unprotected: the sender is printed
    assert "bí mật" not in text


def test_forwarding_slip_metadata_and_page() -> None:
    data = forwarding_slip_pdf(make_slip())
    with pikepdf.open(io.BytesIO(data)) as pdf:
        assert str(pdf.docinfo["/Creator"]) == "Donthu"
        assert str(pdf.docinfo["/Title"]) == "Phiếu chuyển đơn số 12/PC-BNC"
    with pdfplumber.open(io.BytesIO(data)) as pdf:
        page = pdf.pages[0]
        assert (round(page.width), round(page.height)) == (595, 842)  # A4 in points
        words = page.extract_words()
    # Margins ~20 mm (57 pt) on the left; the Party heading sits in the right half, the office in the left.
    assert min(w["x0"] for w in words) == pytest.approx(56.7, abs=3)
    heading = next(w for w in words if w["text"] == "ĐẢNG")
    office = next(w for w in words if w["text"] == "TỈNH")
    assert heading["x0"] > page.width / 2 - 40 > office["x0"]
    assert abs(heading["top"] - office["top"]) < 2


def test_protected_slip_hides_the_sender_everywhere() -> None:
    data = forwarding_slip_pdf(make_slip(protected=True))
    text = full_text(data)
    for secret in SECRETS:
        assert exposures(data, secret) == [], secret
    assert "được giữ bí mật" in text and "Luật Tố cáo năm 2018" in text
    assert "phiếu này không ghi thông tin về người gửi đơn" in text
    assert "Người gửi đơn: Giữ bí mật theo quy định của Luật Tố cáo" in text
    assert "Thanh tra tỉnh" in text and "0131/2026" in text  # the rest of the slip is intact


def test_leak_detector_sees_each_channel() -> None:
    """The hiding test above could pass vacuously: show `exposures` finds a name in text, metadata and a
    compressed stream."""
    plain = forwarding_slip_pdf(make_slip())
    assert "text" in exposures(plain, "Trần Thị Mật")

    titled = forwarding_slip_pdf(make_slip(number="12/PC-Trần Thị Mật", protected=True, sender=None))
    assert "document info" in exposures(titled, "Trần Thị Mật")

    protected = forwarding_slip_pdf(make_slip(protected=True))
    with pikepdf.open(io.BytesIO(protected)) as pdf:
        hidden = pikepdf.Stream(pdf, zlib.compress("Lê Lợi".encode("utf-16-be")))
        hidden["/Filter"] = pikepdf.Name.FlateDecode
        pdf.Root["/Leak"] = pdf.make_indirect(hidden)
        out = io.BytesIO()
        pdf.save(out)
    tampered = out.getvalue()
    assert "Lê Lợi".encode("utf-16-be") not in tampered  # only found after decompression
    assert any(place.endswith("stream") for place in exposures(tampered, "Lê Lợi"))


def test_protected_slip_refuses_a_summary_naming_the_sender() -> None:
    with pytest.raises(ValueError, match="protected sender"):
        forwarding_slip_pdf(make_slip(protected=True, summary="Bà Trần Thị Mật tố cáo ông Phạm Văn Quyền."))
    # A longer name that merely starts with the sender's is someone else.
    forwarding_slip_pdf(make_slip(protected=True, sender="Phạm Văn Quy, trú tại thôn 2",
                                  summary="Tố cáo ông Phạm Văn Quyền nhũng nhiễu."))


def test_anonymous_unprotected_slip_prints_no_sender() -> None:
    text = full_text(forwarding_slip_pdf(make_slip(sender=None)))
    assert "Người gửi đơn: Không ghi trong phiếu" in text
    assert "Trần Thị Mật" not in text


def test_decomposed_input_prints_precomposed() -> None:
    decomposed = unicodedata.normalize("NFD", "Thanh tra tỉnh Quảng Trị")
    text = full_text(forwarding_slip_pdf(make_slip(recipient=decomposed)))
    assert "Kính gửi: Thanh tra tỉnh Quảng Trị" in text


def test_long_summary_wraps_onto_a_second_page() -> None:
    sentences = [f"Ý kiến thứ {i}: người dân phản ánh việc đền bù giải phóng mặt bằng chưa thỏa đáng." for i in range(40)]
    summary = " ".join(sentences) + " HẾT PHẦN TÓM TẮT."
    pages = page_texts(forwarding_slip_pdf(make_slip(summary=summary)))
    assert len(pages) >= 2
    assert "PHIẾU CHUYỂN ĐƠN" in pages[0]
    # Pages after the first carry their number on the top line, as administrative documents do.
    for number, page in enumerate(pages[1:], start=2):
        first, _, rest = page.partition("\n")
        assert first == str(number)
        pages[number - 1] = rest
    assert "HẾT PHẦN TÓM TẮT" in flat(" ".join(pages[1:]))
    assert "Nguyễn Văn Ký" in pages[-1]  # the signer block follows the text
    text = flat(" ".join(pages))
    assert all(sentence in text for sentence in sentences)  # nothing lost at the page break
    assert max(len(line) for page in pages for line in page.splitlines()) < 110  # wrapped, not run off the page


def test_missing_font_names_the_package(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(slips, "FONT_DIR", tmp_path)
    with pytest.raises(RuntimeError, match="fonts-dejavu-core"):
        forwarding_slip_pdf(make_slip())


# --- guidance letter -------------------------------------------------------------------------------------------


def test_guidance_letter_text() -> None:
    data = guidance_letter_pdf(make_guidance())
    assert data.startswith(b"%PDF")
    text = full_text(data)
    for expected in ("VĂN BẢN HƯỚNG DẪN", "Số: 7/HD-BNC", "Đà Nẵng, ngày 03 tháng 02 năm 2026",
                     f"Kính gửi: Ông/Bà {SECRET_SENDER}", "0125/2026", "04/03/2026",
                     "Khiếu nại Quyết định số 15/QĐ-UBND về thu hồi đất", "Ủy ban nhân dân tỉnh",
                     "không thuộc thẩm quyền giải quyết của Ban Nội chính Tỉnh ủy", "PHÓ TRƯỞNG BAN", "Lê Thị Hồng"):
        assert expected in text, expected
    with pikepdf.open(io.BytesIO(data)) as pdf:
        assert str(pdf.docinfo["/Creator"]) == "Donthu"
        assert "Văn bản hướng dẫn" in str(pdf.docinfo["/Title"])


def test_protected_guidance_letter_hides_the_addressee() -> None:
    data = guidance_letter_pdf(make_guidance(protected=True))
    text = full_text(data)
    for secret in SECRETS:
        assert exposures(data, secret) == [], secret
    assert "Kính gửi: Người gửi đơn" in text
    assert "được giữ bí mật" in text and "Luật Tố cáo năm 2018" in text
    assert "Ủy ban nhân dân tỉnh" in text


def test_guidance_letter_without_addressee() -> None:
    text = full_text(guidance_letter_pdf(make_guidance(addressee=None)))
    assert "Kính gửi: Người gửi đơn" in text
    assert "Trần Thị Mật" not in text


def test_protected_guidance_refuses_a_reason_naming_the_addressee() -> None:
    with pytest.raises(ValueError, match="protected sender"):
        guidance_letter_pdf(make_guidance(protected=True, reason="ông Trần Thị Mật đã được trả lời"))

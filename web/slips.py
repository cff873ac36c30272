"""Printable PDF documents of a matter: the forwarding slip (phiếu chuyển đơn) and the letter guiding a sender to
the competent body (văn bản hướng dẫn), laid out like a Party office's administrative document.

A denouncer's identity is protected by law (Luật Tố cáo 2018): when a document is `protected` it never prints the
sender or addressee, not in the text and not in the PDF metadata, and it refuses to render when another printed
field still carries the protected person's name.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from fpdf import FPDF, FontFace

# fonts-dejavu-core ships the two faces we need; the oblique face comes with fonts-dejavu-extra and is optional.
from core.fonts import FAMILY as _FAMILY
from core.fonts import FONT_DIR  # a module name of its own: tests point it elsewhere
from core.fonts import font_files as _font_files

MARGIN = 20.0  # mm
BODY_SIZE = 11.5  # DejaVu Sans runs wide: 11.5 pt reads like the customary 13-14 pt Times
LINE = 6.2  # mm per body line
SIGNATURE_SPACE = 24.0  # mm left blank for the handwritten signature and the seal

PROTECTED_SENDER = "Giữ bí mật theo quy định của Luật Tố cáo"
FORWARDING_CONFIDENTIALITY = (
    "Đây là đơn có nội dung tố cáo. Theo quy định của Luật Tố cáo năm 2018, họ tên, địa chỉ, bút tích và các "
    "thông tin cá nhân khác của người tố cáo phải được giữ bí mật; phiếu này không ghi thông tin về người gửi đơn. "
    "Đề nghị cơ quan tiếp nhận thực hiện việc bảo vệ bí mật thông tin của người tố cáo theo quy định."
)
GUIDANCE_CONFIDENTIALITY = (
    "Theo quy định của Luật Tố cáo năm 2018, họ tên, địa chỉ, bút tích và các thông tin cá nhân khác của người "
    "tố cáo được giữ bí mật; văn bản này không ghi thông tin về người gửi đơn."
)
_HONORIFICS = ("ông/bà", "ông", "bà", "anh", "chị", "cụ")


@dataclass(frozen=True)
class SlipLetter:
    """One letter of the matter, as the register records it."""

    register_no: str
    received_date: date
    channel_label: str  # e.g. "Bưu điện"


@dataclass(frozen=True)
class ForwardingSlip:
    """Phiếu chuyển đơn: sends the matter to the competent body."""

    number: str  # slip number, e.g. "12/PC-BNC"
    issued: date
    place: str  # e.g. "Đà Nẵng"
    office_parent: str  # e.g. "TỈNH ỦY ĐÀ NẴNG"
    office: str  # e.g. "BAN NỘI CHÍNH"
    recipient: str  # agency name, e.g. "Thanh tra tỉnh"
    dossier_number: str
    type_label: str  # "Tố cáo"
    field_label: str
    summary: str  # content summary, already free of any identity the caller must hide
    letters: tuple[SlipLetter, ...]
    sender: str | None  # name + address line; None when the sender must not be revealed (denunciation, anonymous)
    request: str  # what the recipient is asked to do
    signer_title: str  # may hold several lines separated by "\n", e.g. "TL. BAN THƯỜNG VỤ\nTRƯỞNG BAN"
    signer_name: str
    protected: bool  # a denunciation: states the denouncer's identity is kept confidential, never prints `sender`


@dataclass(frozen=True)
class GuidanceLetter:
    """Văn bản hướng dẫn: tells the sender which body can resolve the matter (done once per matter)."""

    number: str
    issued: date
    place: str
    office_parent: str
    office: str
    addressee: str | None  # "Ông/Bà Nguyễn Văn A, trú tại ..." or None -> "Người gửi đơn"
    letters: tuple[SlipLetter, ...]
    summary: str
    competent_body: str  # where the sender should send the matter
    reason: str  # why (not within the office's authority ...)
    signer_title: str
    signer_name: str
    protected: bool  # when True never print addressee (use "Người gửi đơn")


def format_vn_date(d: date, place: str) -> str:
    """The place-and-date line of an administrative document: "Đà Nẵng, ngày 05 tháng 11 năm 2026".

    The day always has two digits; the month has a leading zero only for January and February (as Party and state
    document rules require, so "tháng 1" cannot be turned into "tháng 10"-"tháng 12" by hand)."""
    month = f"{d.month:02d}" if d.month < 3 else str(d.month)
    return f"{_nfc(place)}, ngày {d.day:02d} tháng {month} năm {d.year}"


def forwarding_slip_pdf(slip: ForwardingSlip) -> bytes:
    """The forwarding slip as PDF bytes (A4)."""
    if slip.protected and slip.sender:
        _refuse_if_named(slip.sender, [slip.summary, slip.request, slip.recipient, slip.dossier_number])
    pdf = _new_document(f"Phiếu chuyển đơn số {_nfc(slip.number)}", slip.office_parent, slip.office)
    _letterhead(pdf, slip.office_parent, slip.office, slip.number, format_vn_date(slip.issued, slip.place))
    _title(pdf, "PHIẾU CHUYỂN ĐƠN")
    _addressee_line(pdf, slip.recipient)

    _labelled(pdf, "Hồ sơ vụ việc số: ", slip.dossier_number)
    _labelled(pdf, "Loại đơn: ", slip.type_label)
    _labelled(pdf, "Lĩnh vực: ", slip.field_label)
    # A protected slip never reads slip.sender, whatever the caller passed.
    sender = PROTECTED_SENDER if slip.protected else slip.sender or "Không ghi trong phiếu"
    _labelled(pdf, "Người gửi đơn: ", sender)
    _letters_table(pdf, slip.letters)
    _labelled(pdf, "Tóm tắt nội dung đơn:", "")
    _paragraph(pdf, slip.summary)
    pdf.ln(1)
    request = _nfc(slip.request).strip().rstrip(".")
    _paragraph(pdf, f"Căn cứ quy định về xử lý đơn, chuyển đơn nêu trên (kèm theo) đến {_nfc(slip.recipient)} "
                    f"để {request}.")
    if slip.protected:
        _paragraph(pdf, FORWARDING_CONFIDENTIALITY, style="I")
    _signature(pdf, slip.signer_title, slip.signer_name,
               ["- Như trên;", f"- Lưu: VT, hồ sơ {_nfc(slip.dossier_number)}."])
    return _output(pdf)


def guidance_letter_pdf(letter: GuidanceLetter) -> bytes:
    """The letter guiding the sender to the competent body, as PDF bytes (A4)."""
    if letter.protected and letter.addressee:
        _refuse_if_named(letter.addressee, [letter.summary, letter.competent_body, letter.reason])
    named = bool(letter.addressee) and not letter.protected
    pdf = _new_document(f"Văn bản hướng dẫn số {_nfc(letter.number)}", letter.office_parent, letter.office)
    _letterhead(pdf, letter.office_parent, letter.office, letter.number, format_vn_date(letter.issued, letter.place))
    _title(pdf, "VĂN BẢN HƯỚNG DẪN", "V/v gửi đơn đến cơ quan có thẩm quyền giải quyết")
    _addressee_line(pdf, letter.addressee if named and letter.addressee else "Người gửi đơn")

    _paragraph(pdf, "Đơn gửi đến cơ quan chúng tôi đã được tiếp nhận như sau:")
    _letters_table(pdf, letter.letters)
    _labelled(pdf, "Tóm tắt nội dung đơn:", "")
    _paragraph(pdf, letter.summary)
    pdf.ln(1)
    _labelled(pdf, "Lý do hướng dẫn: ", letter.reason)
    _labelled(pdf, "Cơ quan có thẩm quyền giải quyết: ", letter.competent_body)
    pdf.ln(1)
    whom = "Ông/Bà" if named else "người gửi đơn"
    _paragraph(pdf, f"Đề nghị {whom} gửi đơn và các tài liệu kèm theo đến {_nfc(letter.competent_body)} để được "
                    "xem xét, giải quyết theo quy định của pháp luật.")
    # The office guides a sender once per matter; later letters with the same content are filed (lưu đơn).
    _paragraph(pdf, "Việc hướng dẫn được thực hiện một lần; đơn có cùng nội dung gửi lại sau khi đã được hướng dẫn "
                    "sẽ được lưu theo quy định.")
    if letter.protected:
        _paragraph(pdf, GUIDANCE_CONFIDENTIALITY, style="I")
    _signature(pdf, letter.signer_title, letter.signer_name, ["- Như trên;", "- Lưu: VT."])
    return _output(pdf)


class _Document(FPDF):
    """A4 portrait with page numbers from page 2 at the top centre, as administrative documents number them."""

    def header(self) -> None:
        if self.page_no() > 1:
            self.set_font(_FAMILY, "", 10)
            self.set_xy(self.l_margin, 10)
            self.cell(self.epw, 5, str(self.page_no()), align="C")
            self.set_xy(self.l_margin, self.t_margin)


def _nfc(text: str) -> str:
    """Decomposed accents would print as loose combining marks; the font has every precomposed letter."""
    return unicodedata.normalize("NFC", text)


def _new_document(title: str, office_parent: str, office: str) -> _Document:
    """An empty A4 document with the fonts loaded and metadata that never names a person."""
    fonts = _font_files(FONT_DIR)
    pdf = _Document(orientation="P", unit="mm", format="A4")
    for style, path in fonts.items():
        pdf.add_font(_FAMILY, style, str(path))
    pdf.set_margins(MARGIN, MARGIN, MARGIN)
    pdf.set_auto_page_break(auto=True, margin=MARGIN)
    pdf.set_title(title)
    pdf.set_author(f"{_nfc(office)} - {_nfc(office_parent)}")
    pdf.set_creator("Donthu")
    pdf.set_lang("vi")
    pdf.add_page()
    return pdf


def _letterhead(pdf: FPDF, office_parent: str, office: str, number: str, dated: str) -> None:
    """Issuing body and number top left, the Party heading and place-date top right."""
    top = pdf.get_y()
    left_w, right_x = 72.0, MARGIN + 78.0
    right_w = pdf.w - MARGIN - right_x

    pdf.set_xy(MARGIN, top)
    pdf.set_font(_FAMILY, "", 11)
    pdf.multi_cell(left_w, 5.5, _nfc(office_parent), align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(_FAMILY, "B", 11)
    pdf.multi_cell(left_w, 5.5, _nfc(office), align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(_FAMILY, "", 11)
    pdf.cell(left_w, 5.5, "*", align="C", new_x="LMARGIN", new_y="NEXT")  # the star under a Party body's name
    pdf.cell(left_w, 6, f"Số: {_nfc(number)}", align="C", new_x="LMARGIN", new_y="NEXT")
    left_bottom = pdf.get_y()

    pdf.set_xy(right_x, top)
    pdf.set_font(_FAMILY, "B", 11.5)
    heading = "ĐẢNG CỘNG SẢN VIỆT NAM"
    pdf.cell(right_w, 5.5, heading, align="C", new_x="LEFT", new_y="NEXT")
    # A rule as long as the heading separates it from the place and date.
    rule = pdf.get_string_width(heading)
    rule_x = right_x + (right_w - rule) / 2
    pdf.set_line_width(0.3)
    pdf.line(rule_x, pdf.get_y() + 0.8, rule_x + rule, pdf.get_y() + 0.8)
    pdf.set_xy(right_x, pdf.get_y() + 5)
    pdf.set_font(_FAMILY, "I", 11)
    pdf.multi_cell(right_w, 5.5, dated, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_y(max(left_bottom, pdf.get_y()) + 8)


def _title(pdf: FPDF, title: str, subtitle: str | None = None) -> None:
    pdf.set_font(_FAMILY, "B", 14)
    pdf.cell(pdf.epw, 8, title, align="C", new_x="LMARGIN", new_y="NEXT")
    if subtitle:
        pdf.set_font(_FAMILY, "I", 11)
        pdf.cell(pdf.epw, 6, subtitle, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)


def _addressee_line(pdf: FPDF, name: str) -> None:
    pdf.set_font(_FAMILY, "", 12)
    pdf.multi_cell(pdf.epw, 6.5, f"Kính gửi: {_nfc(name)}", align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)


def _labelled(pdf: FPDF, label: str, value: str) -> None:
    """A bold label followed by its value, wrapping at the right margin (write() keeps caller text literal)."""
    pdf.set_x(pdf.l_margin)
    pdf.set_font(_FAMILY, "B", BODY_SIZE)
    pdf.write(LINE, label)
    if value:
        pdf.set_font(_FAMILY, "", BODY_SIZE)
        pdf.write(LINE, _nfc(value))
    pdf.ln(LINE)


def _paragraph(pdf: FPDF, text: str, style: str = "") -> None:
    """Justified body text; multi_cell wraps and breaks pages by itself, so long summaries just flow on."""
    pdf.set_font(_FAMILY, style, BODY_SIZE)
    for part in _nfc(text).strip().splitlines() or [""]:
        pdf.multi_cell(pdf.epw, LINE, part.strip(), align="J", new_x="LMARGIN", new_y="NEXT")


def _letters_table(pdf: FPDF, letters: Iterable[SlipLetter]) -> None:
    """The letters of the matter: register number, date received (dd/mm/yyyy), channel."""
    rows = list(letters)
    if not rows:
        return
    pdf.ln(1)
    pdf.set_font(_FAMILY, "", 10.5)
    with pdf.table(col_widths=(12, 45, 38, 75), width=pdf.epw, line_height=6,
                   text_align=("CENTER", "CENTER", "CENTER", "LEFT"),
                   headings_style=FontFace(emphasis="BOLD")) as table:
        heading = table.row()
        for text in ("STT", "Số đến", "Ngày nhận", "Hình thức nhận"):
            heading.cell(text)
        for index, letter in enumerate(rows, start=1):
            row = table.row()
            row.cell(str(index))
            row.cell(_nfc(letter.register_no))
            row.cell(letter.received_date.strftime("%d/%m/%Y"))
            row.cell(_nfc(letter.channel_label))
    pdf.ln(3)


def _signature(pdf: FPDF, signer_title: str, signer_name: str, recipients: list[str]) -> None:
    """Recipients bottom left, signer block bottom right; the block moves whole to a new page rather than split."""
    title_lines = [line.strip() for line in _nfc(signer_title).splitlines() if line.strip()]
    needed = 6 + 6 * len(title_lines) + SIGNATURE_SPACE + 6
    if pdf.get_y() + needed > pdf.page_break_trigger:
        pdf.add_page()
    top = pdf.get_y() + 6
    left_w, right_x = 70.0, MARGIN + 75.0
    right_w = pdf.w - MARGIN - right_x

    pdf.set_xy(MARGIN, top)
    pdf.set_font(_FAMILY, "B", 10.5)
    pdf.cell(left_w, 5.5, "Nơi nhận:", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(_FAMILY, "", 10)
    for line in recipients:
        pdf.multi_cell(left_w, 5, line, align="L", new_x="LMARGIN", new_y="NEXT")

    pdf.set_xy(right_x, top)
    pdf.set_font(_FAMILY, "B", 11.5)
    for line in title_lines:
        pdf.multi_cell(right_w, 6, line, align="C", new_x="LEFT", new_y="NEXT")
    pdf.set_xy(right_x, pdf.get_y() + SIGNATURE_SPACE)
    pdf.multi_cell(right_w, 6, _nfc(signer_name), align="C", new_x="LMARGIN", new_y="NEXT")


def _refuse_if_named(identity: str, printed: list[str]) -> None:
    """Raise when a field to be printed still holds the protected person's name: better no slip than a leak."""
    name = _nfc(identity).split(",")[0].strip()
    lowered = name.casefold()
    for honorific in _HONORIFICS:
        if lowered.startswith(honorific + " "):
            name = name[len(honorific) + 1:].strip()
            break
    if len(name) < 3:
        return
    pattern = re.compile(rf"(?<!\w){re.escape(name.casefold())}(?!\w)")
    for text in printed:
        if pattern.search(_nfc(text).casefold()):
            raise ValueError("a printed field names the protected sender: remove the name before printing")


def _output(pdf: FPDF) -> bytes:
    return bytes(pdf.output())

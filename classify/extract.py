"""Facts a clerk would copy by hand: sender, address, phones, citizen IDs, letter date, addressees, accused
persons, decision numbers, number of signers and anonymity. Pure functions over the letter's text."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from datetime import date

from core.vntext import fold, normalize

_UPPER = "A-ZÀÁẢÃẠĂẰẮẲẴẶÂẦẤẨẪẬĐÈÉẺẼẸÊỀẾỂỄỆÌÍỈĨỊÒÓỎÕỌÔỒỐỔỖỘƠỜỚỞỠỢÙÚỦŨỤƯỪỨỬỮỰỲÝỶỸỴ"
_LOWER = "a-zàáảãạăằắẳẵặâầấẩẫậđèéẻẽẹêềếểễệìíỉĩịòóỏõọôồốổỗộơờớởỡợùúủũụưừứửữựỳýỷỹỵ"
# One capitalised syllable of a name; ethnic names may carry an apostrophe (H'Hen, K'Brơi, Y'Dhăm).
_NAME_WORD = rf"[{_UPPER}](?:'[ ]?[{_UPPER}{_LOWER}])?[{_LOWER}]*"
_NAME = rf"{_NAME_WORD}(?:[ \t]+{_NAME_WORD}){{1,4}}"
# A one-word name only when it is unmistakably an ethnic given name (K'Thương, H'Hen)
_NAME_OR_ETHNIC = rf"(?:{_NAME}|[{_UPPER}]'[ ]?[{_UPPER}{_LOWER}][{_LOWER}]*)"
_TITLE = r"(?:(?:ông|bà|anh|chị|cô|chú|bác|cụ|em|đồng chí|Luật sư|luật sư|Ông|Bà|Anh|Chị|Cô|Đồng chí)\s+)?"

# Who writes: "Tôi là X", "Tôi tên là X", "Họ và tên: X", "Người khiếu nại: X", "Đại diện: ông X", ...
_SENDER_INTRO = re.compile(
    r"(?:^|[\n.;]\s*|\()(?:[Tt]ôi|Tui|Em|Con|Cháu|Chúng tôi|Tên tôi|tên tôi)\s*(?:tên\s*)?(?:là\s*)?:?\s+" + _TITLE
    + rf"(?P<name>{_NAME_OR_ETHNIC})"
    r"|(?:Họ và tên|Họ tên|Người (?:khiếu nại|tố cáo|kiến nghị|đề nghị|làm đơn|viết đơn|viết|phản ánh|đứng tên|"
    r"đứng đơn|trình bày|đại diện|liên hệ)|[Đđ]ại diện(?: các hộ| liên hệ| nhóm)?(?: là)?)\s*:?\s*" + _TITLE
    + rf"(?P<name2>{_NAME_OR_ETHNIC})",
    re.MULTILINE,
)
_ON_BEHALF = re.compile(rf"(?:Mẹ|Bố|Cha|Ông|Bà|Chồng|Vợ) tôi là (?:ông |bà |cụ )?(?P<name>{_NAME})")
_SIGN_HEADER = re.compile(
    r"^\s*(?:Người (?:làm|viết|đứng) đơn|(?:Những |Các )?[Nn]gười (?:khiếu nại|tố cáo|kiến nghị|đề nghị|phản ánh|"
    r"trình bày|viết|ký đơn)|"
    r"Đại diện[^\n:]{0,40}|Thay mặt[^\n:]{0,40}|Kính đơn|Người gửi|[^\n]{0,50}ký tên(?: dưới đây)?"
    r"(?:\s*\([^)]*\))?)\s*:?",
    re.MULTILINE | re.IGNORECASE,
)
_SIGN_NOTE = re.compile(r"^\s*\(?(?:ký|đã ký|điểm chỉ|ký,? ghi rõ họ tên|ký và ghi rõ họ tên)[^\n]*\)?\s*$",
                        re.MULTILINE | re.IGNORECASE)
# a signer on its own line, possibly numbered and followed by a role or a phone ("3. Lê Văn Nhạn - Chi hội trưởng")
_NAME_LINE = re.compile(rf"^\s*(?:\d+[.)]\s*)?{_TITLE}(?P<name>{_NAME_OR_ETHNIC})\s*(?:\([^)]*\))?"
                        r"\s*(?:[-–,:]\s*[^\n]*)?[.,]?\s*$", re.MULTILINE)
_BARE_NAME_LINE = re.compile(rf"^\s*{_TITLE}(?P<name>{_NAME_OR_ETHNIC})\s*(?:[-–,(]?\s*(?:\+84|0)[\d .]{{8,13}}\)?)?\s*$")
_MORE_SIGNERS = re.compile(r"(?:cùng|và|với)\s+(\d{1,4})\s+(?:chữ ký|người|hộ|công dân)(?:\s+khác)?", re.IGNORECASE)
_DATED = re.compile(r"\b(?:ngày|tháng|năm)\s+\d|\d{1,2}/\d{1,2}/\d{2,4}", re.IGNORECASE)
_NOT_A_NAME = re.compile(r"^(?:Kính|Ngày|Đại|Người|Thay|Các|Bà con|Nhân|Xác|Trưởng|Chủ|Phó|Bí|Tổ|Ban|Hội|Đảng|"
                         r"Ủy|UBND|Thôn|Xóm|Bản|Xã|Phường|Tỉnh|Công|Chi|Trân|Xin|Tôi|Chúng|Đồng)\b")

_ANON_CUES = re.compile(
    r"nặc danh|giấu tên|xin giấu tên|không (?:dám|tiện|thể) (?:ghi|nêu|để|ký) (?:rõ )?(?:họ )?tên|"
    r"không (?:ghi|nêu) tên|xin không nêu tên|quần chúng nhân dân|một nhóm (?:cán bộ|đảng viên|công dân|người dân|"
    r"giáo viên|công nhân|hộ dân)|một (?:đảng viên|cán bộ|công dân|người dân|giáo viên|cựu chiến binh) (?:xã|phường|"
    r"thôn|ở|đang|tại|của)|nhóm cán bộ|người dân (?:thôn|xóm|bản|ấp|tổ)\s[^\n]{0,30}$",
    re.IGNORECASE | re.MULTILINE,
)
_PHONE = re.compile(r"(?<![\d/])(?:\+84[\s.]?|0)(?:\d[\s.\-]?){8,9}\d(?![\d/])")
_CITIZEN_ID = re.compile(r"(?<!\d)\d{12}(?!\d)")
_DECISION = re.compile(
    rf"(?<![\w/])(\d{{1,5}}(?:/\d{{4}})?/[{_UPPER}0-9][{_UPPER}{_LOWER}0-9]*(?:-[{_UPPER}{_LOWER}0-9]+)*)"
)
_REGULATION = re.compile(r"NĐ-CP|QĐ-TTg|/TT-|/QH\d*|/NQ-CP|/CT-TTg|/UBTVQH|/L-CTN|/QĐ-BCT", re.IGNORECASE)
_DATE_WORDS = re.compile(r"ngày\s+(\d{1,2})\s+tháng\s+(\d{1,2})\s+năm\s+(\d{4})", re.IGNORECASE)
_DATE_NUMERIC = re.compile(r"(?:ngày\s+)?(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})", re.IGNORECASE)
_DATE_LINE = re.compile(r"^[^\n]{0,60}?(?:,\s*)?(?:[Nn]gày\s+\d{1,2}\s+tháng\s+\d{1,2}\s+năm\s+\d{4}|"
                        r"[Nn]gày\s+\d{1,2}[/.-]\d{1,2}[/.-]\d{4}|\d{1,2}/\d{1,2}/\d{4})\s*[.]?\s*$", re.MULTILINE)
_ADDRESSEE = re.compile(r"^\s*(Đồng kính gửi|Kính gửi|Đồng gửi|Gửi)\s*:?\s*(.*)$", re.MULTILINE | re.IGNORECASE)
_ADDRESS = re.compile(
    r"(?:[Đđ]ịa chỉ(?: thường trú| liên hệ| cư trú)?|[Tt]rú tại|[Cc]ư trú tại|[Tt]hường trú(?: tại)?|[Hh]iện ở|"
    r"[Hh]iện cư trú tại|[Nn]ơi ở|[Ởở] tại|, ở)\s*:?\s*(?P<addr>[^\n.;]{4,160})"
)
_ACCUSED = re.compile(
    r"(?:tố cáo|tố giác|phản ánh việc|khiếu nại|đối với|hành vi của|vi phạm của|về việc)\s+(?:(?:ông|bà|anh|chị|"
    r"đồng chí|Ông|Bà|đối tượng|cán bộ)\s+)(?P<name>" + _NAME + ")"
    r"|(?:ông|bà|đồng chí|Ông|Bà|anh|chị)\s+(?P<name2>" + _NAME + r")\s*(?:\(|,|–|-)\s*(?P<pos>(?:nguyên |"
    r"hiện là |là )?(?:Chủ tịch|Phó Chủ tịch|Bí thư|Phó Bí thư|Trưởng|Phó trưởng|Giám đốc|Phó Giám đốc|Chánh|"
    r"Phó Chánh|Cán bộ|cán bộ|Công chức|công chức|Điều tra viên|Kiểm sát viên|Thẩm phán|Chấp hành viên|Hiệu trưởng|"
    r"Kế toán|Thủ quỹ|Địa chính|Tổ trưởng|trưởng|chủ|Chủ|đảng viên|Đảng viên)[^\n,.;)]{0,80})"
)
_SIGNER_COUNT = re.compile(
    r"\b(\d{1,4})\s*(?:chủ hộ|hộ(?: dân| gia đình)?|người|công dân|chữ ký|đảng viên|cán bộ|giáo viên|công nhân|"
    r"xã viên)\b[^\n.;]{0,25}?\b(?:ký tên|cùng ký|đồng ký|ký|đứng tên|đứng đơn)\b",
    re.IGNORECASE,
)
_SIGNER_COUNT_2 = re.compile(
    r"(?:danh sách|có chữ ký của|gồm|kèm theo|\()\s*(?:chữ ký của\s*)?(\d{1,4})\s*(?:chủ hộ|hộ|người|công dân|"
    r"chữ ký|đảng viên)\b",
    re.IGNORECASE,
)


@dataclass
class Extracted:
    sender: str | None = None
    address: str | None = None
    phones: list[str] = field(default_factory=list)
    citizen_ids: list[str] = field(default_factory=list)
    letter_date: str | None = None
    addressees: list[str] = field(default_factory=list)
    sent_to_many: bool = False
    accused: list[dict] = field(default_factory=list)
    decision_numbers: list[str] = field(default_factory=list)
    signers: int = 1
    anonymous: bool = False

    def as_dict(self) -> dict:
        return asdict(self)


def _clean_name(name: str) -> str:
    return " ".join(name.split())


def _unique(values: list[str]) -> list[str]:
    seen: dict[str, None] = {}
    for v in values:
        seen.setdefault(v, None)
    return list(seen)


def signature_names(text: str) -> list[str]:
    """Names in the signature block: after "Người làm đơn", "Các hộ ký tên:", "(ký, ghi rõ họ tên)" and the
    like, one per line or separated by commas."""
    tail = text[max(0, len(text) - 4000):]
    headers = list(_SIGN_HEADER.finditer(tail)) + list(_SIGN_NOTE.finditer(tail))
    if headers:
        block = tail[min(m.start() for m in headers):]
        line_pattern = _NAME_LINE
    else:  # no "Người làm đơn": a name standing alone on one of the last lines is the signature
        block = "\n".join([line for line in tail.splitlines() if line.strip()][-3:])
        line_pattern = _BARE_NAME_LINE
    names: list[str] = []
    for line in block.splitlines():
        if _DATED.search(line):  # "Nha Trang, ngày 2/3/2026": a place, not a signer
            continue
        body = line.split(":", 1)[1] if ":" in line else line
        listed = headers and body.count(",") >= 2  # "Các hộ ký tên: A, B, C" — never in a sentence
        parts = [p for p in re.split(r"[,;]", body) if p.strip()] if listed else [body]
        for part in parts:
            m = line_pattern.match(part)
            if m and not _NOT_A_NAME.match(m.group("name")):
                names.append(_clean_name(m.group("name")))
    return _unique(names)


def find_sender(text: str) -> str | None:
    """The writer (or the first signer of a group): introduced in the body, else the signature block."""
    behalf = _ON_BEHALF.search(text[:1500])
    for m in _SENDER_INTRO.finditer(text):
        name = m.group("name") or m.group("name2")
        if name:
            if behalf and m.group("name") and re.match(r"(?:Con|Cháu|Em)\b", m.group(0).strip(" \n.;(")):
                return _clean_name(behalf.group("name"))  # a child writing for a parent: the parent asks
            return _clean_name(name)
    signed = signature_names(text)
    return signed[0] if signed else None


def find_anonymous(text: str, sender: str | None) -> bool:
    if sender is not None:
        return False
    return True if _ANON_CUES.search(text) else not signature_names(text)


def find_phones(text: str) -> list[str]:
    out = []
    for m in _PHONE.finditer(text):
        value = m.group(0).strip(" .-")
        digits = re.sub(r"\D", "", value)
        if len(digits) in (10, 11) or value.startswith("+84"):
            out.append(value)
    return _unique(out)


def find_citizen_ids(text: str) -> list[str]:
    return _unique(_CITIZEN_ID.findall(text))


def find_decision_numbers(text: str) -> list[str]:
    """Numbers of individual documents (decisions, notices, judgments), not of decrees, circulars or laws."""
    found = []
    for m in _DECISION.finditer(text):
        number = m.group(1).rstrip("-")
        if _REGULATION.search(number) or re.fullmatch(r"\d{1,2}/\d{1,2}/?\d*", number):
            continue
        if not re.search(rf"[{_UPPER}]", number):
            continue
        found.append(number)
    return _unique(found)


def _to_iso(day: str, month: str, year: str) -> str | None:
    try:
        return date(int(year), int(month), int(day)).isoformat()
    except ValueError:
        return None


def find_letter_date(text: str) -> str | None:
    """The date the letter is written on: a date standing on its own line ("Hà Nội, ngày 2 tháng 3 năm 2026"),
    preferring the signature's, else the last such line."""
    lines = [m.group(0) for m in _DATE_LINE.finditer(text)]
    for line in reversed(lines):
        m = _DATE_WORDS.search(line) or _DATE_NUMERIC.search(line)
        if m:
            iso = _to_iso(*m.groups())
            if iso:
                return iso
    return None


def find_addressees(text: str) -> tuple[list[str], bool]:
    """("Kính gửi" targets, sent_to_many): many when "Đồng kính gửi" or several targets are listed."""
    targets: list[str] = []
    many = False
    head = text[:2500]
    for m in _ADDRESSEE.finditer(head):
        label, rest = m.group(1).lower(), m.group(2).strip(" :-–")
        if label.startswith("đồng"):
            many = True
        if rest:
            targets.append(rest)
        else:  # the targets follow as "- ..." lines
            after = head[m.end():].lstrip("\n")
            for line in after.splitlines():
                stripped = line.strip()
                if not stripped.startswith(("-", "+", "•")):
                    break
                targets.append(stripped.lstrip("-+• ").rstrip(";.,"))
    if len(targets) > 1:
        many = True
    return [t.rstrip(";.,") for t in targets], many


def find_address(text: str, sender: str | None) -> str | None:
    start = text.find(sender) if sender else 0
    window = text[max(0, start): max(0, start) + 600] if start >= 0 else text[:1500]
    m = _ADDRESS.search(window) or _ADDRESS.search(text[:2000])
    if not m:
        return None
    addr = re.split(r",?\s*(?:số điện thoại|điện thoại|SĐT|ĐT|sđt|CCCD|số CCCD|căn cước)", m.group("addr"))[0]
    return addr.strip(" ,:") or None


def find_accused(text: str, sender: str | None, signers: list[str]) -> list[dict]:
    people: dict[str, dict] = {}
    own = {fold(n) for n in [sender or "", *signers] if n}
    for m in _ACCUSED.finditer(text):
        name = _clean_name(m.group("name") or m.group("name2"))
        if fold(name) in own or len(name.split()) < 2:
            continue
        position = (m.group("pos") or "").strip() or None
        entry = people.setdefault(name, {"name": name, "position": None})
        if position and not entry["position"]:
            entry["position"] = position
    return list(people.values())


def count_signers(text: str, sender: str | None) -> int:
    """Explicit counts ("27 hộ dân ký tên", "cùng 41 chữ ký khác") or the names listed under the signature,
    whichever is larger."""
    counts = [int(m.group(1)) for m in _SIGNER_COUNT.finditer(text)]
    counts += [int(m.group(1)) for m in _SIGNER_COUNT_2.finditer(text)]
    listed = len(signature_names(text))
    extra = sum(int(m.group(1)) for m in _MORE_SIGNERS.finditer(text[-1500:]))
    best = max([listed + extra, *[c for c in counts if c < 5000]], default=1)
    return max(1, best)


def extract(text: str) -> Extracted:
    text = normalize(text)
    sender = find_sender(text)
    signers = signature_names(text)
    addressees, many = find_addressees(text)
    anonymous = find_anonymous(text, sender)
    return Extracted(
        sender=None if anonymous else sender,
        address=None if anonymous else find_address(text, sender),
        phones=find_phones(text),
        citizen_ids=find_citizen_ids(text),
        letter_date=find_letter_date(text),
        addressees=addressees,
        sent_to_many=many,
        accused=find_accused(text, sender, signers),
        decision_numbers=find_decision_numbers(text),
        signers=1 if anonymous else count_signers(text, sender),
        anonymous=anonymous,
    )

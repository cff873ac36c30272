"""Legal routing rules from the domain notes, applied on top of the learned agency ranking.

"Complaints go to whoever issued the decision": a first-round complaint about a commune's decision goes to the
commune; a second-round complaint about it, or a complaint about a provincial decision, to the province; a
complaint about an enforcement decision to civil judgment enforcement. "Reporting a crime is handled by the
police". The learned model sees too few letters of each pattern to learn these exactly."""

from __future__ import annotations

import re

_I = re.IGNORECASE
_DOC = r"(?:quyết định|thông báo|công văn|văn bản)(?: số)?\s*[\w/.-]*(?:\s*ngày\s*[\d/.-]+)?\s*(?:của\s+)?(?:ông |bà )?"
_ISSUER_COMMUNE = re.compile(_DOC + r"(?:chủ tịch\s+)?(?:ubnd|ủy ban nhân dân|uỷ ban nhân dân)\s+(?:xã|phường|thị trấn)",
                             _I)
_ISSUER_PROVINCE = re.compile(_DOC + r"(?:chủ tịch\s+)?(?:ubnd|ủy ban nhân dân|uỷ ban nhân dân)\s+(?:tỉnh|thành phố)",
                              _I)
_ISSUER_ENFORCEMENT = re.compile(_DOC + r"(?:chấp hành viên|(?:chi cục |cục |phòng )?thi hành án)", _I)
_SECOND_ROUND = re.compile(r"(?:khiếu nại|đơn)\s*(?:\()?lần\s*(?:hai|2|thứ hai)|giải quyết khiếu nại lần đầu|"
                           r"quyết định giải quyết khiếu nại|không đồng ý với (?:kết quả|quyết định) giải quyết", _I)


def route(text: str, type_label: str) -> tuple[str, str] | None:
    """(agency code, reason) when a routing rule decides the handler, else None. ``text`` is the letter's body."""
    if type_label != "khieu_nai":
        return None
    commune = _ISSUER_COMMUNE.search(text)
    if _ISSUER_ENFORCEMENT.search(text):
        return "THADS", "khiếu nại quyết định thi hành án → cơ quan thi hành án"
    if commune and _SECOND_ROUND.search(text):
        return "UBND_TINH", "khiếu nại lần hai quyết định của cấp xã → UBND tỉnh"
    if commune and not _ISSUER_PROVINCE.search(text):
        return "UBND_XA", "khiếu nại lần đầu quyết định của UBND cấp xã → người ban hành quyết định"
    return None

"""Deadlines for citizens' letters: processing, handling decisions, their state, and a holiday calendar.

Pure functions over ``datetime.date``; no I/O. The rules follow the "Handling decisions" and "Deadlines" sections
of the domain notes:

* ``add_days``: calendar days (the law's default) or working days (Mon-Fri, not a public holiday).
* ``processing_deadline``: the deadline to classify a received letter and decide how to handle it.
* ``decision_deadline``: the deadline a handling decision sets (resolve, forward, answer ...), or ``None``.
* ``deadline_state``: "none" / "ok" / "due_soon" / "overdue" for dashboards.
* ``DEFAULT_HOLIDAYS``: a starting calendar of Vietnamese public holidays that an admin edits.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

DECISIONS = ("thu_ly", "chuyen_don", "huong_dan", "tra_lai", "luu_don", "don_doc")
DECISION_LABELS: dict[str, str] = {
    "thu_ly": "Thụ lý",
    "chuyen_don": "Chuyển đơn",
    "huong_dan": "Hướng dẫn",
    "tra_lai": "Trả lại đơn",
    "luu_don": "Lưu đơn",
    "don_doc": "Đôn đốc",
}
LETTER_TYPES = ("khieu_nai", "to_cao", "kien_nghi", "phan_anh")
IN_PERSON_CHANNELS = ("in_person", "reception")

PROCESS_DAYS = 10  # classify and decide handling, calendar days from receipt
ANSWER_IN_PERSON_DAYS = 10  # working days
ACCEPT_COMPLAINT_DAYS = 10  # calendar days from receipt
FIRST_HANDLE_DENUNCIATION_DAYS = 7  # working days; the law allows up to 10 when verification is needed
FORWARD_DENUNCIATION_DAYS = 5  # working days
RESOLVE_DENUNCIATION_DAYS = 30  # calendar days from acceptance, and per extension
# Complaint resolution: (round, complex) -> calendar days.
RESOLVE_COMPLAINT_DAYS: dict[tuple[int, bool], int] = {(1, False): 30, (1, True): 45, (2, False): 45, (2, True): 60}
# Not a legal deadline from the domain notes: the office's own practice for answering or closing a letter
# after the handling decision (answer a recommendation, forward a non-denunciation, guide, return).
AFTER_DECISION_DAYS = 10


@dataclass(frozen=True)
class Deadline:
    """One computed deadline: what must be done, from when, by when, and how it was counted."""

    step: str
    label: str
    start: date
    due: date
    days: int
    working_days: bool

    def as_dict(self) -> dict[str, Any]:
        """JSON-friendly form: dates as ISO strings."""
        return {
            "step": self.step,
            "label": self.label,
            "start": self.start.isoformat(),
            "due": self.due.isoformat(),
            "days": self.days,
            "working_days": self.working_days,
        }


def is_working_day(day: date, holidays: Collection[date] = ()) -> bool:
    """Mon-Fri and not a public holiday."""
    return day.weekday() < 5 and day not in holidays


def add_days(start: date, days: int, *, working: bool, holidays: Collection[date] = ()) -> date:
    """``start`` plus ``days`` calendar days, or plus ``days`` working days counted from the day after ``start``.

    A calendar due date is never moved off a weekend or holiday: the law counts calendar days.
    """
    if days < 0:
        raise ValueError(f"days must be >= 0, got {days}")
    if not working:
        return start + timedelta(days=days)
    # A set makes the membership test O(1) whatever collection the caller passed.
    off = holidays if isinstance(holidays, set | frozenset) else frozenset(holidays)
    day, left = start, days
    while left:
        day += timedelta(days=1)
        if is_working_day(day, off):
            left -= 1
    return day


def _check_type(type: str | None) -> None:
    if type is not None and type not in LETTER_TYPES:
        raise ValueError(f"unknown letter type: {type!r}")


def _deadline(step: str, label: str, start: date, days: int, working: bool, holidays: Collection[date]) -> Deadline:
    due = add_days(start, days, working=working, holidays=holidays)
    return Deadline(step=step, label=label, start=start, due=due, days=days, working_days=working)


def processing_deadline(
    received: date, *, type: str | None, channel: str, holidays: Collection[date] = ()
) -> Deadline:
    """The deadline to classify a received letter and decide its handling.

    A denunciation's own (shorter, working-day) rule wins over the in-person rule.
    """
    _check_type(type)
    if type == "to_cao":
        return _deadline("first_handle_denunciation", "Thụ lý/xử lý ban đầu tố cáo", received,
                         FIRST_HANDLE_DENUNCIATION_DAYS, True, holidays)
    if channel in IN_PERSON_CHANNELS:
        return _deadline("answer_in_person", "Trả lời công dân đến trình bày trực tiếp", received,
                         ANSWER_IN_PERSON_DAYS, True, holidays)
    return _deadline("process", "Xử lý đơn (phân loại, đề xuất hướng xử lý)", received, PROCESS_DAYS, False, holidays)


def complaint_acceptance_deadline(received: date) -> Deadline:
    """The deadline to accept (thụ lý) a complaint: 10 calendar days from receipt."""
    return _deadline("accept_complaint", "Thụ lý khiếu nại", received, ACCEPT_COMPLAINT_DAYS, False, ())


def max_denunciation_extensions(complex: bool) -> int:
    """Extensions allowed to resolve a denunciation: once, twice if very complex."""
    return 2 if complex else 1


def decision_deadline(
    decision: str,
    *,
    type: str | None,
    start: date,
    round: int = 1,
    complex: bool = False,
    extensions: int = 0,
    holidays: Collection[date] = (),
) -> Deadline | None:
    """The deadline a handling decision sets, counted from ``start`` (the decision date); ``None`` if it sets none.

    ``round`` and ``complex`` matter for complaints; ``complex`` and ``extensions`` for denunciations.
    Raises ``ValueError`` for an unknown decision or type, a round other than 1 or 2, or too many extensions.
    """
    if decision not in DECISIONS:
        raise ValueError(f"unknown handling decision: {decision!r}")
    _check_type(type)
    if round not in (1, 2):
        raise ValueError(f"round must be 1 or 2, got {round!r}")
    if extensions < 0:
        raise ValueError(f"extensions must be >= 0, got {extensions}")
    resolving_denunciation = decision == "thu_ly" and type == "to_cao"
    if extensions and not resolving_denunciation:
        # Only a denunciation's resolution can be extended; a stray count points at a caller bug.
        raise ValueError("extensions apply only to resolving a denunciation (thu_ly + to_cao)")

    if decision in ("luu_don", "don_doc"):
        return None
    if decision == "thu_ly":
        if type == "khieu_nai":
            label = "Giải quyết khiếu nại lần đầu" if round == 1 else "Giải quyết khiếu nại lần hai"
            return _deadline("resolve_complaint", label, start, RESOLVE_COMPLAINT_DAYS[(round, complex)], False,
                             holidays)
        if type == "to_cao":
            allowed = max_denunciation_extensions(complex)
            if extensions > allowed:
                raise ValueError(f"a denunciation's resolution may be extended at most {allowed} time(s)")
            label = "Giải quyết tố cáo" + (f" (gia hạn {extensions} lần)" if extensions else "")
            return _deadline("resolve_denunciation", label, start, RESOLVE_DENUNCIATION_DAYS * (1 + extensions),
                             False, holidays)
        return _deadline("process_after_decision", "Trả lời kiến nghị, phản ánh", start, AFTER_DECISION_DAYS, False,
                         holidays)
    if decision == "chuyen_don":
        if type == "to_cao":
            return _deadline("forward_denunciation", "Chuyển đơn tố cáo", start, FORWARD_DENUNCIATION_DAYS, True,
                             holidays)
        return _deadline("process_after_decision", "Chuyển đơn đến cơ quan có thẩm quyền", start, AFTER_DECISION_DAYS,
                         False, holidays)
    if decision == "huong_dan":
        return _deadline("process_after_decision", "Trả lời/hướng dẫn người gửi", start, AFTER_DECISION_DAYS, False,
                         holidays)
    # tra_lai: the only decision left.
    return _deadline("process_after_decision", "Trả lại đơn", start, AFTER_DECISION_DAYS, False, holidays)


def deadline_state(due: date | None, today: date, *, done: bool = False, soon_days: int = 3) -> str:
    """"none" (no deadline, or done), "overdue" (past due), "due_soon" (within ``soon_days``), else "ok"."""
    if due is None or done:
        return "none"
    if today > due:
        return "overdue"
    if (due - today).days <= soon_days:
        return "due_soon"
    return "ok"


def _span(first: date, last: date, label: str) -> tuple[tuple[date, str], ...]:
    return tuple((first + timedelta(days=i), label) for i in range((last - first).days + 1))


_TET_DL = "Tết Dương lịch"
_TET_NGUYEN_DAN = "Tết Nguyên đán"
_HUNG_VUONG = "Giỗ Tổ Hùng Vương (10/3 âm lịch)"
_GIAI_PHONG = "Ngày Giải phóng miền Nam, thống nhất đất nước"
_LAO_DONG = "Ngày Quốc tế Lao động"
_QUOC_KHANH = "Quốc khánh"
# The 2nd of September comes with one adjacent day; the government picks 1/9 or 3/9 each year. 1/9 is assumed
# here (it was 1/9 in 2025); admins should correct it once the year's choice is announced.
_QUOC_KHANH_ADJ = "Quốc khánh (ngày liền kề)"
_BU = "Nghỉ bù "

# Labour Code 2019 art. 112 holidays for 2025-2027. Lunar dates were checked with Hồ Ngọc Đức's algorithm for
# the Vietnamese calendar (UTC+7), which gives Tết 2024-02-10 and Hùng Vương 2024-04-18, 2025-04-07 as observed.
# Compensatory days ("nghỉ bù") follow art. 111(3): a holiday on a weekly rest day (Sat/Sun for public bodies)
# moves the rest to the next working day. Day swaps the government announces each year (e.g. extra days around
# 30/4 or Tết in exchange for a working Saturday) are not predictable and are left to the admin.
DEFAULT_HOLIDAYS: tuple[tuple[date, str], ...] = (
    # 2025
    (date(2025, 1, 1), _TET_DL),
    # Officially announced schedule: 28 tháng Chạp to mùng 5 (Tết = 2025-01-29), weekends included.
    *_span(date(2025, 1, 25), date(2025, 2, 2), _TET_NGUYEN_DAN),
    (date(2025, 4, 7), _HUNG_VUONG),
    (date(2025, 4, 30), _GIAI_PHONG),
    (date(2025, 5, 1), _LAO_DONG),
    (date(2025, 9, 1), _QUOC_KHANH_ADJ),
    (date(2025, 9, 2), _QUOC_KHANH),
    # 2026
    (date(2026, 1, 1), _TET_DL),
    # Mùng 1 is 2026-02-17: the eve plus 4 days (the legal minimum of 5 days, all Mon-Fri). The announced
    # schedule is usually longer (with swapped days); admins should adjust.
    *_span(date(2026, 2, 16), date(2026, 2, 20), _TET_NGUYEN_DAN),
    (date(2026, 4, 26), _HUNG_VUONG),  # a Sunday
    (date(2026, 4, 27), _BU + _HUNG_VUONG),
    (date(2026, 4, 30), _GIAI_PHONG),
    (date(2026, 5, 1), _LAO_DONG),
    (date(2026, 9, 1), _QUOC_KHANH_ADJ),
    (date(2026, 9, 2), _QUOC_KHANH),
    # 2027
    (date(2027, 1, 1), _TET_DL),
    # Mùng 1 is 2027-02-06 (a Saturday): the eve plus 4 days is Fri 5 - Tue 9, and the Saturday and Sunday
    # inside it are made up on Wed 10 and Thu 11. The announced schedule may differ; admins should adjust.
    *_span(date(2027, 2, 5), date(2027, 2, 9), _TET_NGUYEN_DAN),
    (date(2027, 2, 10), _BU + _TET_NGUYEN_DAN),
    (date(2027, 2, 11), _BU + _TET_NGUYEN_DAN),
    (date(2027, 4, 16), _HUNG_VUONG),
    (date(2027, 4, 30), _GIAI_PHONG),
    (date(2027, 5, 1), _LAO_DONG),  # a Saturday
    (date(2027, 5, 3), _BU + _LAO_DONG),
    (date(2027, 9, 1), _QUOC_KHANH_ADJ),
    (date(2027, 9, 2), _QUOC_KHANH),
)


def holiday_dates(rows: Iterable[tuple[date, str]]) -> frozenset[date]:
    """The dates of a holiday calendar given as (date, label) rows, ready for ``add_days``."""
    return frozenset(day for day, _label in rows)

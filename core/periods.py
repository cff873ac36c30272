"""Report periods: weeks, months, quarters, the first 6 and 9 months, years and ad hoc ranges.

Pure functions over ``datetime.date``; no I/O. Two families of windows (see "Periodic reports" in the domain notes):

* calendar periods: Q1 = 1/1 – 31/3, the first 6 months = 1/1 – 30/6, and so on;
* the state's statistical periods (Thông tư 01/2024/TT-TTCP), which cut at the 14th/15th: the statistical year
  N runs 15/12/N-1 – 14/12/N, Q1 = 15/12 – 14/3, 6 months = to 14/6, 9 months = to 14/9. A day from 15/12 on
  therefore belongs to the *next* statistical year.

Weeks (ISO, Monday – Sunday), months and custom ranges exist only as calendar periods.

"6 months" and "9 months" are cumulative from the start of the year, not a partition of it: they hold no day after
30/6 (14/6) or 30/9 (14/9). Their ``previous()`` is the same window a year earlier (cùng kỳ năm trước), and so is
the previous of a year.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta

from core.dates import parse_day

KINDS = ("week", "month", "quarter", "half", "nine_months", "year", "custom")
STATISTICAL_KINDS = ("quarter", "half", "nine_months", "year")  # kinds the statistical windows exist for
KIND_LABELS: dict[str, str] = {
    "week": "Tuần",
    "month": "Tháng",
    "quarter": "Quý",
    "half": "6 tháng đầu năm",
    "nine_months": "9 tháng",
    "year": "Năm",
    "custom": "Tùy chọn",
}
DEFAULT_KIND = "month"
MIN_YEAR, MAX_YEAR = 1970, 2100  # beyond any letter the office holds; keeps date arithmetic far from its limits
ROMAN = ("I", "II", "III", "IV")

_STAT_CUT = 15  # statistical windows start on the 15th and end on the 14th
_TRUE = ("1", "true", "on", "yes", "co", "có")
_FALSE = ("", "0", "false", "off", "no", "khong", "không")


def _fmt(d: date) -> str:
    return d.strftime("%d/%m/%Y")


def _range(start: date, end: date) -> str:
    return f"{_fmt(start)} – {_fmt(end)}"


@dataclass(frozen=True)
class Period:
    """A closed range of days with its kind and a Vietnamese label; build it with the functions of this module."""

    kind: str
    start: date
    end: date  # inclusive
    statistical: bool
    label: str

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown period kind {self.kind!r}")
        if self.end < self.start:
            raise ValueError(f"period ends ({self.end}) before it starts ({self.start})")

    @property
    def days(self) -> int:
        """Number of days, both ends included."""
        return (self.end - self.start).days + 1

    def contains(self, d: date) -> bool:
        return self.start <= d <= self.end

    def previous(self) -> Period:
        """The period of the same kind just before: the week, month or quarter before; for 6 months, 9 months and
        years the same window a year earlier; for a custom range the range of the same length ending the day
        before this one starts."""
        if self.kind == "custom":
            return custom(self.start - timedelta(days=self.days), self.start - timedelta(days=1))
        if self.kind in ("week", "month", "quarter"):
            return period_containing(self.kind, self.start - timedelta(days=1), statistical=self.statistical)
        year = _year_number(self)
        return _cumulative(self.kind, year - 1, self.statistical)

    def next(self) -> Period:
        """The period of the same kind just after (the counterpart of ``previous``)."""
        if self.kind == "custom":
            return custom(self.end + timedelta(days=1), self.end + timedelta(days=self.days))
        if self.kind in ("week", "month", "quarter"):
            return period_containing(self.kind, self.end + timedelta(days=1), statistical=self.statistical)
        return _cumulative(self.kind, _year_number(self) + 1, self.statistical)

    def to_args(self) -> dict[str, str]:
        """Request arguments that ``parse_period`` turns back into this period (for links and forms)."""
        if self.kind == "custom":
            return {"kind": "custom", "start": _fmt(self.start), "end": _fmt(self.end)}
        args = {"kind": self.kind, "date": _fmt(self.start)}
        if self.statistical:
            args["stat"] = "1"
        return args


# --- constructors ---------------------------------------------------------------------------------------------

def week_of(d: date) -> Period:
    """The ISO week (Monday – Sunday) holding ``d``; its number and year are ISO's, so 29/12/2025 is week 1 of 2026."""
    iso_year, week, weekday = d.isocalendar()
    start = d - timedelta(days=weekday - 1)
    end = start + timedelta(days=6)
    return Period("week", start, end, False, f"Tuần {week} năm {iso_year} ({_range(start, end)})")


def iso_week(year: int, week: int) -> Period:
    """ISO week ``week`` of ISO year ``year``; ValueError if the year has no such week."""
    _check_year(year)
    try:
        start = date.fromisocalendar(year, week, 1)
    except ValueError:
        raise ValueError(f"Năm {year} không có tuần {week}") from None
    return week_of(start)


def month_of(d: date) -> Period:
    start = d.replace(day=1)
    end = _month_end(d.year, d.month)
    return Period("month", start, end, False, f"Tháng {d.month}/{d.year}")


def quarter(year: int, q: int, *, statistical: bool = False) -> Period:
    """Quarter ``q`` (1–4) of ``year``; statistical Q1 = 15/12 of the previous year – 14/3, Q2 = 15/3 – 14/6 ..."""
    _check_year(year)
    if q not in (1, 2, 3, 4):
        raise ValueError(f"Quý không hợp lệ: {q} (chọn 1 đến 4)")
    last_month = 3 * q
    name = f"Quý {ROMAN[q - 1]} năm {year}"
    if not statistical:
        start = date(year, last_month - 2, 1)
        end = _month_end(year, last_month)
        return Period("quarter", start, end, False, name)
    start = _stat_start(year, last_month - 3)
    end = date(year, last_month, _STAT_CUT - 1)
    return Period("quarter", start, end, True, f"{name} (kỳ thống kê {_range(start, end)})")


def half_year(year: int, *, statistical: bool = False) -> Period:
    """The first 6 months: 1/1 – 30/6, or statistically 15/12 of the previous year – 14/6."""
    return _cumulative("half", year, statistical)


def nine_months(year: int, *, statistical: bool = False) -> Period:
    """The first 9 months: 1/1 – 30/9, or statistically 15/12 of the previous year – 14/9."""
    return _cumulative("nine_months", year, statistical)


def year_period(year: int, *, statistical: bool = False) -> Period:
    """The year: 1/1 – 31/12, or statistically 15/12 of the previous year – 14/12."""
    return _cumulative("year", year, statistical)


def custom(start: date, end: date) -> Period:
    """An ad hoc range, both ends included."""
    if end < start:
        raise ValueError(f"Ngày kết thúc {_fmt(end)} trước ngày bắt đầu {_fmt(start)}")
    return Period("custom", start, end, False, f"Từ {_fmt(start)} đến {_fmt(end)}")


def statistical_year(d: date) -> int:
    """The statistical year holding ``d``: from 15 December on, the next one."""
    return d.year + 1 if (d.month, d.day) >= (12, _STAT_CUT) else d.year


def period_containing(kind: str, d: date, *, statistical: bool = False) -> Period:
    """The period of ``kind`` that holds ``d``. ValueError for "custom", for a statistical week or month (there is
    none), and for 6 or 9 months when ``d`` lies after the window of its year (they do not cover the whole year)."""
    if kind not in KINDS or kind == "custom":
        raise ValueError(f"Không có kỳ loại {kind!r} chứa một ngày cho trước")
    if statistical and kind not in STATISTICAL_KINDS:
        raise ValueError(f"Kỳ thống kê chỉ có theo quý, 6 tháng, 9 tháng và năm, không có theo {KIND_LABELS[kind]}")
    if kind == "week":
        return week_of(d)
    if kind == "month":
        return month_of(d)
    if kind == "quarter":
        return _quarter_containing(d, statistical)
    period = _cumulative(kind, statistical_year(d) if statistical else d.year, statistical)
    if not period.contains(d):
        raise ValueError(f"Ngày {_fmt(d)} nằm ngoài kỳ {period.label}")
    return period


def latest(kind: str, d: date, *, statistical: bool = False) -> Period:
    """The latest period of ``kind`` that has begun by ``d``: the one holding ``d``, except for 6 and 9 months,
    where it is the window of ``d``'s (statistical) year even when that window has already ended."""
    if kind in ("half", "nine_months"):
        return _cumulative(kind, statistical_year(d) if statistical else d.year, statistical)
    return period_containing(kind, d, statistical=statistical)


def recent(kind: str, count: int, today: date, *, statistical: bool = False) -> list[Period]:
    """The last ``count`` periods of ``kind`` ending with the current one (see ``latest``), oldest first."""
    if count < 1:
        raise ValueError("count must be at least 1")
    if kind == "custom":
        raise ValueError("custom ranges have no sequence")
    periods = [latest(kind, today, statistical=statistical)]
    while len(periods) < count:
        periods.append(periods[-1].previous())
    periods.reverse()
    return periods


# --- request arguments ----------------------------------------------------------------------------------------

def parse_period(args: Mapping[str, str], today: date) -> Period:
    """The period named by request arguments.

    ``kind`` (week | month | quarter | half | nine_months | year | custom; default month), ``year``, ``q`` (1–4),
    ``month`` (1–12), ``week`` (ISO week number), ``date`` (any day in the period; it wins over year/q/month/week),
    ``start`` and ``end`` for a custom range (dd/mm/yyyy or yyyy-mm-dd), ``stat=1`` for the statistical windows
    (ignored for weeks, months and custom ranges, which have none). Missing values come from the period holding
    ``today``: a missing year is today's (statistical) year, a missing month/quarter/week today's; a custom range
    without a start begins on the first of its end's month, and without an end ends today.
    Raises ValueError with a Vietnamese message for bad values.
    """
    kind = _arg(args, "kind") or DEFAULT_KIND
    if kind not in KINDS:
        raise ValueError(f"Loại kỳ báo cáo không hợp lệ: {kind!r}")
    statistical = _flag(_arg(args, "stat")) and kind in STATISTICAL_KINDS

    if kind == "custom":
        end = parse_day(_arg(args, "end")) or today
        start = parse_day(_arg(args, "start")) or end.replace(day=1)
        _check_year(start.year)
        _check_year(end.year)
        return custom(start, end)

    day = parse_day(_arg(args, "date"))
    if day is not None:
        _check_year(day.year)
        return period_containing(kind, day, statistical=statistical)

    year = _int_arg(args, "year", "Năm")
    if year is not None:
        _check_year(year)
    if kind == "week":
        this_year, this_week, _ = today.isocalendar()
        year = this_year if year is None else year
        week = _int_arg(args, "week", "Tuần")
        if week is None:  # today's week number; a 53rd week the chosen year lacks becomes its last week
            week = min(this_week, _weeks_in(year))
        return iso_week(year, week)

    current = latest(kind, today, statistical=statistical)
    year = _year_number(current) if year is None else year
    if kind == "month":
        month = _int_arg(args, "month", "Tháng")
        month = today.month if month is None else month
        if not 1 <= month <= 12:
            raise ValueError(f"Tháng không hợp lệ: {month} (chọn 1 đến 12)")
        return month_of(date(year, month, 1))
    if kind == "quarter":
        q = _int_arg(args, "q", "Quý")
        return quarter(year, _quarter_number(current) if q is None else q, statistical=statistical)
    return _cumulative(kind, year, statistical)


# --- helpers --------------------------------------------------------------------------------------------------

def _arg(args: Mapping[str, str], name: str) -> str:
    value = args.get(name)
    return (value or "").strip()


def _int_arg(args: Mapping[str, str], name: str, label: str) -> int | None:
    raw = _arg(args, name)
    if not raw:
        return None
    if not (raw.isascii() and raw.isdigit()):  # int() would also take "+3", "٣" and "1_000"
        raise ValueError(f"{label} không hợp lệ: {raw!r}")
    return int(raw)


def _flag(raw: str) -> bool:
    value = raw.casefold()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ValueError(f"Giá trị kỳ thống kê không hợp lệ: {raw!r} (dùng 1 hoặc 0)")


def _check_year(year: int) -> None:
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise ValueError(f"Năm không hợp lệ: {year} (từ {MIN_YEAR} đến {MAX_YEAR})")


def _month_end(year: int, month: int) -> date:
    first_of_next = date(year + 1, 1, 1) if month == 12 else date(year, month + 1, 1)
    return first_of_next - timedelta(days=1)


def _stat_start(year: int, month: int) -> date:
    """15th of ``month`` of ``year``; month 0 is December of the year before."""
    return date(year - 1, 12, _STAT_CUT) if month == 0 else date(year, month, _STAT_CUT)


def _weeks_in(year: int) -> int:
    return date(year, 12, 28).isocalendar()[1]  # 28 December is always in the year's last ISO week


_CUMULATIVE = {  # kind -> (last month, label)
    "half": (6, "6 tháng đầu năm {year}"),
    "nine_months": (9, "9 tháng năm {year}"),
    "year": (12, "Năm {year}"),
}


def _cumulative(kind: str, year: int, statistical: bool) -> Period:
    """6 months, 9 months or the year: from the start of the (statistical) year to the end of its last month."""
    _check_year(year)
    last_month, template = _CUMULATIVE[kind]
    name = template.format(year=year)
    if not statistical:
        return Period(kind, date(year, 1, 1), _month_end(year, last_month), False, name)
    start, end = _stat_start(year, 0), date(year, last_month, _STAT_CUT - 1)
    return Period(kind, start, end, True, f"{name} (kỳ thống kê {_range(start, end)})")


def _quarter_containing(d: date, statistical: bool) -> Period:
    if not statistical:
        return quarter(d.year, (d.month - 1) // 3 + 1)
    # Shift the day so that the 15th becomes the 1st of the next month: statistical quarters then fall on
    # calendar quarters of the shifted date (15/12/2025 -> January 2026 -> Q1 2026).
    shifted_month = d.month + (1 if d.day >= _STAT_CUT else 0)
    year = d.year
    if shifted_month == 13:
        shifted_month, year = 1, year + 1
    return quarter(year, (shifted_month - 1) // 3 + 1, statistical=True)


def _year_number(period: Period) -> int:
    """The year a non-custom period is named after (ISO year for weeks; the end's year otherwise)."""
    if period.kind == "week":
        return period.start.isocalendar()[0]
    return period.end.year


def _quarter_number(period: Period) -> int:
    return (period.end.month - 1) // 3 + 1

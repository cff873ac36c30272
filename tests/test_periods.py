"""Report periods: calendar and statistical windows (TT 01/2024/TT-TTCP), labels, previous(), request arguments."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.periods import (
    Period,
    custom,
    half_year,
    iso_week,
    latest,
    month_of,
    nine_months,
    parse_period,
    period_containing,
    quarter,
    recent,
    statistical_year,
    week_of,
    year_period,
)

TODAY = date(2026, 11, 24)  # a Tuesday in ISO week 48, calendar Q4, statistical Q4 2026
days = st.dates(min_value=date(1990, 1, 1), max_value=date(2090, 12, 31))


def span(p: Period) -> tuple[date, date]:
    return p.start, p.end


# --- calendar periods -----------------------------------------------------------------------------------------

def test_iso_week_1_of_2026_starts_on_monday_29_december_2025() -> None:
    p = week_of(date(2026, 1, 1))
    assert span(p) == (date(2025, 12, 29), date(2026, 1, 4))
    assert p.label == "Tuần 1 năm 2026 (29/12/2025 – 04/01/2026)"
    assert week_of(date(2025, 12, 29)) == p
    assert iso_week(2026, 1) == p


def test_week_label_and_bounds() -> None:
    p = week_of(TODAY)
    assert p.kind == "week" and not p.statistical
    assert span(p) == (date(2026, 11, 23), date(2026, 11, 29))
    assert p.label == "Tuần 48 năm 2026 (23/11/2026 – 29/11/2026)"
    assert p.days == 7
    assert week_of(date(2026, 11, 29)) == p  # Sunday closes the week
    assert week_of(date(2026, 11, 30)) != p


def test_month() -> None:
    p = month_of(TODAY)
    assert span(p) == (date(2026, 11, 1), date(2026, 11, 30))
    assert p.label == "Tháng 11/2026"
    assert span(month_of(date(2028, 2, 10))) == (date(2028, 2, 1), date(2028, 2, 29))  # leap year


def test_calendar_quarter_half_nine_months_year() -> None:
    assert span(quarter(2026, 1)) == (date(2026, 1, 1), date(2026, 3, 31))
    assert span(quarter(2026, 4)) == (date(2026, 10, 1), date(2026, 12, 31))
    assert quarter(2026, 3).label == "Quý III năm 2026"
    assert span(half_year(2026)) == (date(2026, 1, 1), date(2026, 6, 30))
    assert half_year(2026).label == "6 tháng đầu năm 2026"
    assert span(nine_months(2026)) == (date(2026, 1, 1), date(2026, 9, 30))
    assert nine_months(2026).label == "9 tháng năm 2026"
    assert span(year_period(2026)) == (date(2026, 1, 1), date(2026, 12, 31))
    assert year_period(2026).label == "Năm 2026"
    assert year_period(2026).days == 365


def test_quarter_number_is_checked() -> None:
    for q in (0, 5):
        with pytest.raises(ValueError, match="Quý không hợp lệ"):
            quarter(2026, q)


# --- statistical periods --------------------------------------------------------------------------------------

def test_statistical_quarters_cut_at_the_14th_and_15th() -> None:
    q1 = quarter(2026, 1, statistical=True)
    assert span(q1) == (date(2025, 12, 15), date(2026, 3, 14))
    assert q1.statistical
    assert q1.label == "Quý I năm 2026 (kỳ thống kê 15/12/2025 – 14/03/2026)"
    assert span(quarter(2026, 2, statistical=True)) == (date(2026, 3, 15), date(2026, 6, 14))
    assert span(quarter(2026, 3, statistical=True)) == (date(2026, 6, 15), date(2026, 9, 14))
    assert span(quarter(2026, 4, statistical=True)) == (date(2026, 9, 15), date(2026, 12, 14))
    assert quarter(2026, 4, statistical=True).label == "Quý IV năm 2026 (kỳ thống kê 15/09/2026 – 14/12/2026)"


def test_statistical_half_nine_months_and_year() -> None:
    assert span(half_year(2026, statistical=True)) == (date(2025, 12, 15), date(2026, 6, 14))
    assert span(nine_months(2026, statistical=True)) == (date(2025, 12, 15), date(2026, 9, 14))
    y = year_period(2026, statistical=True)
    assert span(y) == (date(2025, 12, 15), date(2026, 12, 14))
    assert y.label == "Năm 2026 (kỳ thống kê 15/12/2025 – 14/12/2026)"
    assert half_year(2026, statistical=True).label == "6 tháng đầu năm 2026 (kỳ thống kê 15/12/2025 – 14/06/2026)"


def test_20_december_2026_falls_in_statistical_year_2027() -> None:
    d = date(2026, 12, 20)
    assert statistical_year(d) == 2027
    assert period_containing("year", d, statistical=True) == year_period(2027, statistical=True)
    assert span(period_containing("year", d, statistical=True)) == (date(2026, 12, 15), date(2027, 12, 14))
    assert period_containing("quarter", d, statistical=True) == quarter(2027, 1, statistical=True)
    assert period_containing("half", d, statistical=True) == half_year(2027, statistical=True)
    assert period_containing("year", d) == year_period(2026)  # calendar year unchanged
    # the boundary itself: 14/12 is still 2026, 15/12 already 2027
    assert statistical_year(date(2026, 12, 14)) == 2026
    assert statistical_year(date(2026, 12, 15)) == 2027


@pytest.mark.parametrize(("d", "q", "year"), [
    (date(2026, 3, 14), 1, 2026), (date(2026, 3, 15), 2, 2026), (date(2026, 6, 14), 2, 2026),
    (date(2026, 6, 15), 3, 2026), (date(2026, 9, 14), 3, 2026), (date(2026, 9, 15), 4, 2026),
    (date(2026, 12, 14), 4, 2026), (date(2026, 12, 15), 1, 2027), (date(2026, 1, 5), 1, 2026),
])
def test_statistical_quarter_containing(d: date, q: int, year: int) -> None:
    assert period_containing("quarter", d, statistical=True) == quarter(year, q, statistical=True)


def test_6_and_9_months_do_not_hold_days_after_their_window() -> None:
    with pytest.raises(ValueError, match="nằm ngoài kỳ"):
        period_containing("half", date(2026, 8, 20))
    with pytest.raises(ValueError, match="nằm ngoài kỳ"):
        period_containing("nine_months", date(2026, 9, 15), statistical=True)
    # the latest such window that has begun is still this year's
    assert latest("half", date(2026, 8, 20)) == half_year(2026)
    assert latest("nine_months", date(2026, 9, 15), statistical=True) == nine_months(2026, statistical=True)


def test_weeks_and_months_have_no_statistical_window() -> None:
    with pytest.raises(ValueError, match="Kỳ thống kê"):
        period_containing("month", TODAY, statistical=True)
    with pytest.raises(ValueError):
        period_containing("custom", TODAY)


@given(days, st.sampled_from(["week", "month", "quarter", "year"]), st.booleans())
def test_partitioning_kinds_hold_the_day_and_follow_on_from_the_previous(d: date, kind: str, stat: bool) -> None:
    stat = stat and kind in ("quarter", "year")
    p = period_containing(kind, d, statistical=stat)
    assert p.contains(d)
    assert p.previous().end == p.start - timedelta(days=1)
    assert p.previous().kind == kind and p.previous().statistical == stat
    assert p.next().start == p.end + timedelta(days=1)
    assert p.previous().next() == p


# --- previous -------------------------------------------------------------------------------------------------

def test_previous_of_a_month() -> None:
    assert month_of(date(2026, 3, 10)).previous() == month_of(date(2026, 2, 1))
    assert span(month_of(date(2026, 3, 10)).previous()) == (date(2026, 2, 1), date(2026, 2, 28))
    assert month_of(date(2026, 1, 31)).previous().label == "Tháng 12/2025"


def test_previous_of_statistical_q1_is_q4_of_the_previous_year() -> None:
    prev = quarter(2026, 1, statistical=True).previous()
    assert prev == quarter(2025, 4, statistical=True)
    assert span(prev) == (date(2025, 9, 15), date(2025, 12, 14))
    assert prev.statistical


def test_previous_of_a_calendar_q1_and_of_a_week() -> None:
    assert quarter(2026, 1).previous() == quarter(2025, 4)
    assert week_of(date(2026, 1, 1)).previous().label == "Tuần 52 năm 2025 (22/12/2025 – 28/12/2025)"


def test_previous_of_a_custom_range_is_the_same_length_just_before() -> None:
    p = custom(date(2026, 11, 1), date(2026, 11, 24))
    assert p.days == 24
    prev = p.previous()
    assert span(prev) == (date(2026, 10, 8), date(2026, 10, 31))
    assert prev.days == 24 and prev.kind == "custom"
    assert prev.label == "Từ 08/10/2026 đến 31/10/2026"
    one_day = custom(TODAY, TODAY)
    assert span(one_day.previous()) == (TODAY - timedelta(days=1), TODAY - timedelta(days=1))


def test_previous_of_6_months_9_months_and_year_is_the_same_window_a_year_earlier() -> None:
    assert half_year(2026).previous() == half_year(2025)
    assert nine_months(2026, statistical=True).previous() == nine_months(2025, statistical=True)
    assert span(year_period(2026, statistical=True).previous()) == (date(2024, 12, 15), date(2025, 12, 14))


def test_custom_rejects_an_end_before_the_start() -> None:
    with pytest.raises(ValueError, match="trước ngày bắt đầu"):
        custom(date(2026, 11, 24), date(2026, 11, 23))
    assert custom(TODAY, TODAY).days == 1
    assert custom(date(2026, 11, 1), date(2026, 11, 24)).label == "Từ 01/11/2026 đến 24/11/2026"


def test_contains_includes_both_ends() -> None:
    p = quarter(2026, 1, statistical=True)
    assert p.contains(date(2025, 12, 15)) and p.contains(date(2026, 3, 14))
    assert not p.contains(date(2025, 12, 14)) and not p.contains(date(2026, 3, 15))


# --- recent ---------------------------------------------------------------------------------------------------

def test_recent_months_oldest_first_across_new_year() -> None:
    months = recent("month", 3, date(2026, 1, 10))
    assert [p.label for p in months] == ["Tháng 11/2025", "Tháng 12/2025", "Tháng 1/2026"]
    assert months[-1].contains(date(2026, 1, 10))


def test_recent_weeks_and_statistical_quarters() -> None:
    weeks = recent("week", 4, TODAY)
    assert [p.start for p in weeks] == [date(2026, 11, 2), date(2026, 11, 9), date(2026, 11, 16), date(2026, 11, 23)]
    quarters = recent("quarter", 2, date(2026, 12, 20), statistical=True)
    assert quarters == [quarter(2026, 4, statistical=True), quarter(2027, 1, statistical=True)]
    assert recent("year", 1, TODAY) == [year_period(2026)]
    with pytest.raises(ValueError):
        recent("month", 0, TODAY)
    with pytest.raises(ValueError):
        recent("custom", 2, TODAY)


# --- parse_period ---------------------------------------------------------------------------------------------

def test_parse_defaults_to_the_month_holding_today() -> None:
    assert parse_period({}, TODAY) == month_of(TODAY)
    assert parse_period({"kind": ""}, TODAY) == month_of(TODAY)


@pytest.mark.parametrize(("args", "expected"), [
    ({"kind": "week"}, week_of(TODAY)),
    ({"kind": "month"}, month_of(TODAY)),
    ({"kind": "quarter"}, quarter(2026, 4)),
    ({"kind": "quarter", "stat": "1"}, quarter(2026, 4, statistical=True)),
    ({"kind": "half"}, half_year(2026)),
    ({"kind": "nine_months", "stat": "1"}, nine_months(2026, statistical=True)),
    ({"kind": "year"}, year_period(2026)),
    ({"kind": "custom"}, custom(date(2026, 11, 1), TODAY)),
])
def test_parse_missing_values_come_from_today(args: dict[str, str], expected: Period) -> None:
    assert parse_period(args, TODAY) == expected


def test_parse_statistical_defaults_follow_the_statistical_year() -> None:
    late_december = date(2026, 12, 20)
    assert parse_period({"kind": "year", "stat": "1"}, late_december) == year_period(2027, statistical=True)
    assert parse_period({"kind": "quarter", "stat": "on"}, late_december) == quarter(2027, 1, statistical=True)
    assert parse_period({"kind": "year"}, late_december) == year_period(2026)


def test_parse_explicit_values() -> None:
    assert parse_period({"kind": "quarter", "year": "2025", "q": "2"}, TODAY) == quarter(2025, 2)
    assert parse_period({"kind": "month", "year": "2025", "month": "2"}, TODAY) == month_of(date(2025, 2, 1))
    assert parse_period({"kind": "month", "month": "3"}, TODAY) == month_of(date(2026, 3, 1))
    assert parse_period({"kind": "week", "year": "2026", "week": "1"}, TODAY) == iso_week(2026, 1)
    assert parse_period({"kind": "year", "year": "2024", "stat": "1"}, TODAY) == year_period(2024, statistical=True)
    assert parse_period({"kind": "half", "year": " 2025 "}, TODAY) == half_year(2025)


def test_parse_date_picks_the_period_holding_it() -> None:
    args = {"kind": "quarter", "stat": "1", "date": "20/12/2026"}
    assert parse_period(args, TODAY) == quarter(2027, 1, statistical=True)
    assert parse_period({"kind": "week", "date": "2026-01-01"}, TODAY) == iso_week(2026, 1)


def test_parse_custom_range_in_both_date_formats() -> None:
    args = {"kind": "custom", "start": "01/11/2026", "end": "2026-11-24"}
    assert parse_period(args, TODAY) == custom(date(2026, 11, 1), date(2026, 11, 24))
    assert parse_period({"kind": "custom", "start": "2026-10-01"}, TODAY) == custom(date(2026, 10, 1), TODAY)


def test_parse_ignores_stat_for_kinds_without_statistical_windows() -> None:
    assert parse_period({"kind": "month", "stat": "1"}, TODAY) == month_of(TODAY)


@pytest.mark.parametrize(("args", "message"), [
    ({"kind": "fortnight"}, "Loại kỳ báo cáo không hợp lệ"),
    ({"kind": "month", "month": "13"}, "Tháng không hợp lệ"),
    ({"kind": "month", "month": "0"}, "Tháng không hợp lệ"),
    ({"kind": "month", "month": "ba"}, "Tháng không hợp lệ"),
    ({"kind": "quarter", "q": "5"}, "Quý không hợp lệ"),
    ({"kind": "quarter", "q": "-1"}, "Quý không hợp lệ"),
    ({"kind": "week", "year": "2025", "week": "53"}, "không có tuần 53"),
    ({"kind": "year", "year": "20x6"}, "Năm không hợp lệ"),
    ({"kind": "year", "year": "99999"}, "Năm không hợp lệ"),
    ({"kind": "week", "year": "１２３"}, "Năm không hợp lệ"),  # full-width digits
    ({"kind": "custom", "start": "25/11/2026", "end": "24/11/2026"}, "trước ngày bắt đầu"),
    ({"kind": "custom", "start": "hôm qua"}, "ngày không hợp lệ"),
    ({"kind": "month", "date": "31/02/2026"}, "ngày không hợp lệ"),
    ({"kind": "half", "date": "20/08/2026"}, "nằm ngoài kỳ"),
    ({"kind": "year", "stat": "maybe"}, "kỳ thống kê không hợp lệ"),
])
def test_parse_bad_values_raise_vietnamese_errors(args: dict[str, str], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_period(args, TODAY)


def test_a_53_week_year_accepts_week_53() -> None:
    p = parse_period({"kind": "week", "year": "2020", "week": "53"}, TODAY)
    assert span(p) == (date(2020, 12, 28), date(2021, 1, 3))
    assert p.label == "Tuần 53 năm 2020 (28/12/2020 – 03/01/2021)"
    # today is in week 48, so a missing week number stays 48 in another year
    assert parse_period({"kind": "week", "year": "2020"}, TODAY) == iso_week(2020, 48)


@given(days, st.sampled_from(["week", "month", "quarter", "half", "nine_months", "year"]), st.booleans())
def test_to_args_round_trips_through_parse_period(d: date, kind: str, stat: bool) -> None:
    stat = stat and kind not in ("week", "month")
    p = latest(kind, d, statistical=stat)
    assert parse_period(p.to_args(), TODAY) == p


def test_to_args_of_a_custom_range() -> None:
    p = custom(date(2026, 11, 1), TODAY)
    assert p.to_args() == {"kind": "custom", "start": "01/11/2026", "end": "24/11/2026"}
    assert parse_period(p.to_args(), TODAY) == p

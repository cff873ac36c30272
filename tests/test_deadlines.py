"""Deadlines: calendar and working-day arithmetic, processing and decision deadlines, states, holiday calendar."""

from __future__ import annotations

import dataclasses
from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.deadlines import (
    DECISION_LABELS,
    DECISIONS,
    DEFAULT_HOLIDAYS,
    Deadline,
    add_days,
    complaint_acceptance_deadline,
    deadline_state,
    decision_deadline,
    holiday_dates,
    processing_deadline,
)

HOLIDAYS = holiday_dates(DEFAULT_HOLIDAYS)
FRI = date(2025, 6, 6)  # a Friday with no holiday in the following weeks


# --- add_days -------------------------------------------------------------------------------------------------

def test_five_working_days_from_a_friday_is_the_next_friday() -> None:
    assert add_days(FRI, 5, working=True) == date(2025, 6, 13)


def test_a_holiday_inside_the_window_pushes_the_due_date_one_working_day() -> None:
    start = date(2025, 4, 4)  # Friday; Monday 2025-04-07 is Giỗ Tổ Hùng Vương
    assert add_days(start, 5, working=True) == date(2025, 4, 11)
    assert add_days(start, 5, working=True, holidays={date(2025, 4, 7)}) == date(2025, 4, 14)
    assert add_days(start, 5, working=True, holidays=[date(2025, 4, 7)]) == date(2025, 4, 14)  # any collection


def test_working_days_skip_the_national_day_and_tet_in_the_default_calendar() -> None:
    # Fri 29/8/2025: Mon 1/9 and Tue 2/9 are off, so the 5th working day is Tue 9/9.
    assert add_days(date(2025, 8, 29), 5, working=True, holidays=HOLIDAYS) == date(2025, 9, 9)
    # Fri 13/2/2026: Tết closes 16-20/2, so 5 working days end on Fri 27/2.
    assert add_days(date(2026, 2, 13), 5, working=True, holidays=HOLIDAYS) == date(2026, 2, 27)


def test_working_days_start_counting_the_day_after_start() -> None:
    assert add_days(date(2025, 6, 14), 1, working=True) == date(2025, 6, 16)  # Saturday -> Monday
    assert add_days(date(2025, 6, 9), 1, working=True) == date(2025, 6, 10)  # Monday -> Tuesday
    assert add_days(FRI, 0, working=True) == FRI


def test_calendar_days_ignore_weekends_and_holidays_and_are_not_moved() -> None:
    assert add_days(FRI, 10, working=False) == date(2025, 6, 16)
    assert add_days(date(2025, 6, 4), 10, working=False) == date(2025, 6, 14)  # a Saturday stays a Saturday
    assert add_days(date(2025, 8, 29), 3, working=False, holidays=HOLIDAYS) == date(2025, 9, 1)  # a holiday stays
    assert add_days(date(2025, 3, 31), 30, working=False, holidays=HOLIDAYS) == date(2025, 4, 30)


def test_negative_days_are_refused() -> None:
    with pytest.raises(ValueError):
        add_days(FRI, -1, working=False)
    with pytest.raises(ValueError):
        add_days(FRI, -1, working=True)


@given(start=st.dates(min_value=date(2024, 12, 1), max_value=date(2027, 12, 31)), days=st.integers(1, 40))
def test_working_due_date_is_the_nth_working_day_after_start(start: date, days: int) -> None:
    due = add_days(start, days, working=True, holidays=HOLIDAYS)
    assert due.weekday() < 5 and due not in HOLIDAYS
    between = [start + timedelta(days=i) for i in range(1, (due - start).days + 1)]
    assert sum(1 for d in between if d.weekday() < 5 and d not in HOLIDAYS) == days


# --- processing_deadline --------------------------------------------------------------------------------------

def test_a_denunciation_gets_seven_working_days_whatever_the_channel() -> None:
    for channel in ("post", "in_person", "reception"):
        dl = processing_deadline(FRI, type="to_cao", channel=channel)
        assert dl == Deadline("first_handle_denunciation", "Thụ lý/xử lý ban đầu tố cáo", FRI, date(2025, 6, 17),
                              7, True)


def test_a_citizen_received_in_person_gets_an_answer_in_ten_working_days() -> None:
    for channel in ("in_person", "reception"):
        dl = processing_deadline(FRI, type="khieu_nai", channel=channel)
        assert (dl.step, dl.due, dl.days, dl.working_days) == ("answer_in_person", date(2025, 6, 20), 10, True)
        assert dl.label == "Trả lời công dân đến trình bày trực tiếp"
    # Giỗ Tổ Hùng Vương (Mon 7/4/2025) inside the window pushes it a day.
    dl = processing_deadline(date(2025, 4, 4), type=None, channel="in_person", holidays=HOLIDAYS)
    assert dl.due == date(2025, 4, 21)


def test_other_letters_get_ten_calendar_days_to_be_processed() -> None:
    for type in (None, "khieu_nai", "kien_nghi", "phan_anh"):
        dl = processing_deadline(FRI, type=type, channel="post", holidays=HOLIDAYS)
        assert dl == Deadline("process", "Xử lý đơn (phân loại, đề xuất hướng xử lý)", FRI, date(2025, 6, 16),
                              10, False)


def test_processing_refuses_an_unknown_type() -> None:
    with pytest.raises(ValueError):
        processing_deadline(FRI, type="to_giac", channel="post")


def test_a_complaint_must_be_accepted_within_ten_calendar_days() -> None:
    dl = complaint_acceptance_deadline(FRI)
    assert (dl.step, dl.due, dl.days, dl.working_days) == ("accept_complaint", date(2025, 6, 16), 10, False)


# --- decision_deadline ----------------------------------------------------------------------------------------

START = date(2025, 6, 2)


@pytest.mark.parametrize(("round", "complex", "days", "due", "label"), [
    (1, False, 30, date(2025, 7, 2), "Giải quyết khiếu nại lần đầu"),
    (1, True, 45, date(2025, 7, 17), "Giải quyết khiếu nại lần đầu"),
    (2, False, 45, date(2025, 7, 17), "Giải quyết khiếu nại lần hai"),
    (2, True, 60, date(2025, 8, 1), "Giải quyết khiếu nại lần hai"),
])
def test_complaint_resolution_by_round_and_complexity(round: int, complex: bool, days: int, due: date,
                                                      label: str) -> None:
    dl = decision_deadline("thu_ly", type="khieu_nai", start=START, round=round, complex=complex)
    assert dl == Deadline("resolve_complaint", label, START, due, days, False)


def test_denunciation_resolution_and_its_extensions() -> None:
    base = decision_deadline("thu_ly", type="to_cao", start=START)
    assert base == Deadline("resolve_denunciation", "Giải quyết tố cáo", START, date(2025, 7, 2), 30, False)
    once = decision_deadline("thu_ly", type="to_cao", start=START, extensions=1)
    assert once is not None and (once.days, once.due) == (60, date(2025, 8, 1))
    assert once.label == "Giải quyết tố cáo (gia hạn 1 lần)"
    twice = decision_deadline("thu_ly", type="to_cao", start=START, complex=True, extensions=2)
    assert twice is not None and (twice.days, twice.due) == (90, date(2025, 8, 31))  # a Sunday: not moved


def test_too_many_denunciation_extensions_raise() -> None:
    with pytest.raises(ValueError):
        decision_deadline("thu_ly", type="to_cao", start=START, extensions=2)
    with pytest.raises(ValueError):
        decision_deadline("thu_ly", type="to_cao", start=START, complex=True, extensions=3)
    with pytest.raises(ValueError):
        decision_deadline("thu_ly", type="to_cao", start=START, extensions=-1)


def test_extensions_only_apply_to_resolving_a_denunciation() -> None:
    with pytest.raises(ValueError):
        decision_deadline("thu_ly", type="khieu_nai", start=START, extensions=1)
    with pytest.raises(ValueError):
        decision_deadline("chuyen_don", type="to_cao", start=START, extensions=1)


@pytest.mark.parametrize("type", ["kien_nghi", "phan_anh", None])
def test_accepting_a_recommendation_or_reflection_gives_ten_calendar_days(type: str | None) -> None:
    dl = decision_deadline("thu_ly", type=type, start=START)
    assert dl == Deadline("process_after_decision", "Trả lời kiến nghị, phản ánh", START, date(2025, 6, 12), 10,
                          False)


def test_forwarding_a_denunciation_takes_five_working_days() -> None:
    start = date(2025, 4, 4)  # Friday before Giỗ Tổ Hùng Vương
    dl = decision_deadline("chuyen_don", type="to_cao", start=start, holidays=HOLIDAYS)
    assert dl == Deadline("forward_denunciation", "Chuyển đơn tố cáo", start, date(2025, 4, 14), 5, True)
    plain = decision_deadline("chuyen_don", type="to_cao", start=FRI)
    assert plain is not None and plain.due == date(2025, 6, 13)


@pytest.mark.parametrize("type", ["khieu_nai", "kien_nghi", "phan_anh", None])
def test_forwarding_other_letters_takes_ten_calendar_days(type: str | None) -> None:
    dl = decision_deadline("chuyen_don", type=type, start=FRI, holidays=HOLIDAYS)
    assert dl == Deadline("process_after_decision", "Chuyển đơn đến cơ quan có thẩm quyền", FRI, date(2025, 6, 16),
                          10, False)


def test_guiding_and_returning_take_ten_calendar_days() -> None:
    guide = decision_deadline("huong_dan", type="khieu_nai", start=FRI)
    back = decision_deadline("tra_lai", type="to_cao", start=FRI)
    assert guide is not None and (guide.label, guide.due, guide.working_days) == (
        "Trả lời/hướng dẫn người gửi", date(2025, 6, 16), False)
    assert back is not None and (back.label, back.due, back.working_days) == ("Trả lại đơn", date(2025, 6, 16), False)


@pytest.mark.parametrize("type", ["khieu_nai", "to_cao", "kien_nghi", "phan_anh", None])
def test_keeping_on_file_and_urging_set_no_deadline(type: str | None) -> None:
    assert decision_deadline("luu_don", type=type, start=START) is None
    assert decision_deadline("don_doc", type=type, start=START) is None


def test_decision_validation() -> None:
    with pytest.raises(ValueError):
        decision_deadline("giai_quyet", type="khieu_nai", start=START)
    for bad_round in (0, 3):
        with pytest.raises(ValueError):
            decision_deadline("thu_ly", type="khieu_nai", start=START, round=bad_round)
    with pytest.raises(ValueError):
        decision_deadline("luu_don", type="khieu_nai", start=START, round=3)
    with pytest.raises(ValueError):
        decision_deadline("thu_ly", type="to_giac", start=START)


def test_every_decision_has_a_vietnamese_label() -> None:
    assert tuple(DECISION_LABELS) == DECISIONS
    assert DECISION_LABELS["tra_lai"] == "Trả lại đơn" and DECISION_LABELS["don_doc"] == "Đôn đốc"


def test_deadline_as_dict_is_json_friendly_and_frozen() -> None:
    dl = decision_deadline("chuyen_don", type="to_cao", start=FRI)
    assert dl is not None
    assert dl.as_dict() == {"step": "forward_denunciation", "label": "Chuyển đơn tố cáo", "start": "2025-06-06",
                            "due": "2025-06-13", "days": 5, "working_days": True}
    with pytest.raises(dataclasses.FrozenInstanceError):
        dl.due = FRI  # type: ignore[misc]


# --- deadline_state -------------------------------------------------------------------------------------------

def test_deadline_state_boundaries() -> None:
    due = date(2025, 6, 10)
    assert deadline_state(due, date(2025, 6, 11)) == "overdue"
    assert deadline_state(due, date(2025, 6, 10)) == "due_soon"  # due today is not yet overdue
    assert deadline_state(due, date(2025, 6, 7)) == "due_soon"  # exactly soon_days left
    assert deadline_state(due, date(2025, 6, 6)) == "ok"
    assert deadline_state(due, date(2025, 6, 9), soon_days=0) == "ok"
    assert deadline_state(due, date(2025, 6, 10), soon_days=0) == "due_soon"
    assert deadline_state(due, date(2025, 6, 11), done=True) == "none"
    assert deadline_state(None, date(2025, 6, 11)) == "none"


# --- holidays -------------------------------------------------------------------------------------------------

def test_default_holidays_cover_the_fixed_dates_for_three_years() -> None:
    for year in (2025, 2026, 2027):
        for month, day in ((1, 1), (4, 30), (5, 1), (9, 1), (9, 2)):
            assert date(year, month, day) in HOLIDAYS


def test_default_holidays_lunar_dates() -> None:
    assert {date(2025, 1, 25) + timedelta(days=i) for i in range(9)} <= HOLIDAYS  # Tết 2025: 25/1-2/2
    assert {date(2026, 2, d) for d in range(16, 21)} <= HOLIDAYS  # Tết 2026: eve of 17/2 + 4 days
    assert {date(2027, 2, d) for d in range(5, 10)} <= HOLIDAYS  # Tết 2027: eve of 6/2 + 4 days
    for hung_vuong in (date(2025, 4, 7), date(2026, 4, 26), date(2027, 4, 16)):
        assert hung_vuong in HOLIDAYS
    assert date(2026, 2, 21) not in HOLIDAYS and date(2025, 1, 24) not in HOLIDAYS


def test_default_holidays_include_compensatory_days_for_weekend_holidays() -> None:
    labels = dict(DEFAULT_HOLIDAYS)
    assert labels[date(2026, 4, 27)].startswith("Nghỉ bù")  # Hùng Vương 2026 is a Sunday
    assert labels[date(2027, 5, 3)].startswith("Nghỉ bù")  # 1/5/2027 is a Saturday
    assert labels[date(2027, 2, 10)].startswith("Nghỉ bù") and labels[date(2027, 2, 11)].startswith("Nghỉ bù")


def test_default_holidays_are_sorted_unique_labelled_rows() -> None:
    days = [d for d, _ in DEFAULT_HOLIDAYS]
    assert days == sorted(days) and len(days) == len(set(days))
    assert all(label.strip() for _, label in DEFAULT_HOLIDAYS)
    assert {d.year for d in days} == {2025, 2026, 2027}


def test_holiday_dates_drops_labels() -> None:
    rows = [(date(2025, 1, 1), "Tết Dương lịch"), (date(2025, 1, 1), "dup"), (date(2025, 9, 2), "Quốc khánh")]
    assert holiday_dates(rows) == frozenset({date(2025, 1, 1), date(2025, 9, 2)})
    assert holiday_dates([]) == frozenset()

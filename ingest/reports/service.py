"""A report for a period: the five forms, the charts, the drill-down behind any cell, and the weekly report the
scheduled job files for download."""

from __future__ import annotations

from bisect import bisect_right
from collections import Counter
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.periods import Period, week_of
from ingest.reports.forms import FORMS, Computed, agency_names, compute_forms, drill_form, received_rows
from ingest.reports.reception_form import compute_reception
from ingest.reports.tables import Chart
from models import Dossier
from models.dossiers import OPEN_STATUSES

FORM_ORDER = (*FORMS, "TCD01")
TYPE_NAMES = {"khieu_nai": "Khiếu nại", "to_cao": "Tố cáo", "kien_nghi": "Kiến nghị", "phan_anh": "Phản ánh"}
FIELD_NAMES = {"dat_dai": "Đất đai, nhà ở", "chinh_sach": "Chế độ, chính sách", "tu_phap": "Tư pháp",
               "dang_doan_the": "Đảng, đoàn thể", "tham_nhung": "Tham nhũng", "cong_vu": "Công vụ", "khac": "Khác"}


@dataclass
class Report:
    period: Period
    forms: dict[str, Computed]
    charts: list[Chart]

    def tables(self):  # noqa: ANN201
        return [self.forms[f].table for f in FORM_ORDER if f in self.forms]


def buckets(period: Period) -> list[tuple[str, date, date]]:
    """The chart's x axis: weeks for a period up to about a quarter, months beyond."""
    out: list[tuple[str, date, date]] = []
    if period.days <= 100:
        start = period.start
        while start <= period.end:
            end = min(period.end, start + timedelta(days=6 - start.weekday()))
            out.append((f"{start:%d/%m}", start, end))
            start = end + timedelta(days=1)
        return out
    start = period.start
    while start <= period.end:
        following = (start.replace(day=1) + timedelta(days=32)).replace(day=1)
        end = min(period.end, following - timedelta(days=1))
        out.append((f"{start:%m/%Y}", start, end))
        start = end + timedelta(days=1)
    return out


def charts_for(session: Session, period: Period, names: dict[str, str]) -> list[Chart]:
    """Letters received per week or month by type, by field, by agency (the largest six and the rest), and how
    many matters were overdue at the end of each week or month."""
    axis = buckets(period)
    starts = [start for _, start, _ in axis]
    received = received_rows(session, period)
    placed = [(bisect_right(starts, day) - 1, kind, subject, unit) for day, kind, subject, unit in received]

    def per_bucket(pick) -> dict[str, list[int]]:  # noqa: ANN001
        series: dict[str, list[int]] = {}
        for row in placed:
            series.setdefault(pick(row), [0] * len(axis))[row[0]] += 1
        return dict(sorted(series.items()))

    by_type = {TYPE_NAMES.get(k, "Chưa phân loại"): v for k, v in per_bucket(lambda r: r[1] or "").items()}
    by_field = {FIELD_NAMES.get(k, "Chưa phân loại"): v for k, v in per_bucket(lambda r: r[2] or "").items()}
    top = {code for code, _ in Counter(r[3] for r in placed).most_common(6)}
    by_agency = {names.get(k, k) if k in top else "Cơ quan khác": v
                 for k, v in per_bucket(lambda r: r[3] if r[3] in top else "~other").items()}
    overdue = [session.scalar(select(func.count()).select_from(Dossier).where(
        Dossier.deadline < end, Dossier.opened_at <= end + timedelta(days=1),
        (Dossier.status.in_(OPEN_STATUSES)) | (Dossier.result_at > Dossier.deadline))) or 0 for _, _, end in axis]
    categories = [label for label, _, _ in axis]
    return [Chart("Đơn tiếp nhận theo loại", "stacked", categories, by_type),
            Chart("Đơn tiếp nhận theo lĩnh vực", "stacked", categories, by_field),
            Chart("Đơn tiếp nhận theo cơ quan xử lý", "stacked", categories, by_agency),
            Chart("Vụ việc quá hạn", "line", categories, {"Quá hạn": overdue}, y_label="Số vụ việc")]


def build_report(session: Session, period: Period, *, with_charts: bool = True) -> Report:
    names = agency_names(session)
    forms = compute_forms(session, period, names)
    forms["TCD01"] = compute_reception(session, period)
    return Report(period, forms, charts_for(session, period, names) if with_charts else [])


def drill(session: Session, period: Period, key: str) -> tuple[str, list[int]]:
    """("letters" | "visits", ids) behind the cell named by ``key`` (``FORM:column:unit``)."""
    form, column, unit = key.split(":", 2)
    if form == "TCD01":
        computed = compute_reception(session, period)
        label = next((r.label for r in computed.table.rows if r.drill.get(column) == key), None)
        return "visits", computed.cells.get((label, column), []) if label else []
    return "letters", drill_form(session, period, form, column, unit)


def last_full_week(today: date) -> Period:
    return week_of(today - timedelta(days=7))

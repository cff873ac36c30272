"""A report for a period: the five forms, the charts, the drill-down behind any cell, and the weekly report the
scheduled job files for download."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.periods import Period, week_of
from ingest.reports.forms import FORMS, Computed, agency_names, compute_form, load_facts
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


def charts_for(session: Session, period: Period, facts, names: dict[str, str]) -> list[Chart]:  # noqa: ANN001
    """Letters received per week or month by type, by field, by agency (the largest six and the rest), and how
    many matters were overdue at the end of each week or month."""
    axis = buckets(period)
    received = [f for f in facts if period.contains(f.received)]

    def per_bucket(key) -> dict[str, list[int]]:  # noqa: ANN001
        series: dict[str, list[int]] = {}
        for i, (_, start, end) in enumerate(axis):
            for f in received:
                if start <= f.received <= end:
                    series.setdefault(key(f), [0] * len(axis))[i] += 1
        return series

    by_type = {TYPE_NAMES.get(k, k or "Chưa phân loại"): v
               for k, v in sorted(per_bucket(lambda f: f.type).items(), key=lambda kv: str(kv[0]))}
    by_field = {FIELD_NAMES.get(k, k or "Chưa phân loại"): v
                for k, v in sorted(per_bucket(lambda f: f.field).items(), key=lambda kv: str(kv[0]))}
    top = [code for code, _ in Counter(f.agency for f in received).most_common(6)]
    by_agency = {names.get(k, k) if k in top else "Cơ quan khác": v
                 for k, v in per_bucket(lambda f: f.agency if f.agency in top else "other").items()}
    overdue = [session.scalar(select(func.count()).select_from(Dossier).where(
        Dossier.deadline < end, Dossier.opened_at <= end + timedelta(days=1),
        (Dossier.status.in_(OPEN_STATUSES)) | (Dossier.result_at > Dossier.deadline))) or 0 for _, _, end in axis]
    categories = [label for label, _, _ in axis]
    return [Chart("Đơn tiếp nhận theo loại", "stacked", categories, by_type),
            Chart("Đơn tiếp nhận theo lĩnh vực", "stacked", categories, by_field),
            Chart("Đơn tiếp nhận theo cơ quan xử lý", "stacked", categories, by_agency),
            Chart("Vụ việc quá hạn", "line", categories, {"Quá hạn": overdue}, y_label="Số vụ việc")]


def build_report(session: Session, period: Period, *, with_charts: bool = True) -> Report:
    facts = load_facts(session, period)
    names = agency_names(session)
    forms = {form: compute_form(form, facts, period, names) for form in FORMS}
    forms["TCD01"] = compute_reception(session, period)
    return Report(period, forms, charts_for(session, period, facts, names) if with_charts else [])


def drill(session: Session, period: Period, key: str) -> tuple[str, list[int]]:
    """("letters" | "visits", ids) behind the cell named by ``key`` (``FORM:column:unit``)."""
    form, column, unit = key.split(":", 2)
    if form == "TCD01":
        computed = compute_reception(session, period)
        label = next((r.label for r in computed.table.rows if r.drill.get(column) == key), None)
        return "visits", computed.cells.get((label, column), []) if label else []
    if form not in FORMS:
        raise ValueError(f"không có biểu {form!r}")
    computed = compute_form(form, load_facts(session, period), period, agency_names(session))
    label = next((r.label for r in computed.table.rows if r.drill.get(column) == key), None)
    return "letters", computed.cells.get((label, column), []) if label else []


def last_full_week(today: date) -> Period:
    return week_of(today - timedelta(days=7))

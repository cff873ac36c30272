"""TCD01, citizen reception: visits, people and matters (first time or repeat), and delegations of many people,
split by routine reception and the head's scheduled or ad hoc reception."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.periods import Period
from ingest.reports.forms import TOTAL, Computed
from ingest.reports.tables import Column, ReportRow, ReportTable
from models.reception import ReceptionSession, Visit

KIND_ROWS = {"routine": "Tiếp thường xuyên", "scheduled": "Lãnh đạo tiếp định kỳ", "ad_hoc": "Lãnh đạo tiếp đột xuất"}


@dataclass(frozen=True)
class VisitFacts:
    id: int
    kind: str
    delegation: bool
    headcount: int
    matter: int  # its dossier, or the visit itself when it opened none
    repeat: bool


@dataclass(frozen=True)
class VisitMeasure:
    key: str
    path: tuple[str, ...]
    rule: Callable[[VisitFacts], bool]
    count: str = "visits"  # visits | people | matters


ALL = ("Tổng",)
GROUPS = ("Đoàn đông người",)
TCD01: tuple[VisitMeasure, ...] = (
    VisitMeasure("visits", (*ALL, "Lượt"), lambda v: True),
    VisitMeasure("people", (*ALL, "Người"), lambda v: True, "people"),
    VisitMeasure("matters", (*ALL, "Vụ việc", "Cộng"), lambda v: True, "matters"),
    VisitMeasure("first", (*ALL, "Vụ việc", "Lần đầu"), lambda v: not v.repeat, "matters"),
    VisitMeasure("repeat", (*ALL, "Vụ việc", "Nhiều lần"), lambda v: v.repeat, "matters"),
    VisitMeasure("groups", (*GROUPS, "Số đoàn"), lambda v: v.delegation),
    VisitMeasure("group_people", (*GROUPS, "Người"), lambda v: v.delegation, "people"),
    VisitMeasure("group_first", (*GROUPS, "Vụ việc", "Lần đầu"), lambda v: v.delegation and not v.repeat, "matters"),
    VisitMeasure("group_repeat", (*GROUPS, "Vụ việc", "Nhiều lần"), lambda v: v.delegation and v.repeat, "matters"),
)


def load_visits(session: Session, period: Period) -> list[VisitFacts]:
    rows = session.execute(
        select(Visit.id, ReceptionSession.kind, Visit.delegation, Visit.headcount, Visit.dossier_id, Visit.repeat)
        .join(ReceptionSession, ReceptionSession.id == Visit.session_id)
        .where(ReceptionSession.held_on >= period.start, ReceptionSession.held_on <= period.end)).all()
    return [VisitFacts(i, kind, bool(group), max(1, count or 1), dossier if dossier is not None else -i, bool(rep))
            for i, kind, group, count, dossier, rep in rows]


def compute_reception(session: Session, period: Period) -> Computed:
    visits = load_visits(session, period)
    rows: list[ReportRow] = []
    cells: dict[tuple[str, str], list[int]] = {}
    for kind, label in [*KIND_ROWS.items(), (TOTAL, TOTAL)]:
        members = visits if kind == TOTAL else [v for v in visits if v.kind == kind]
        values: dict[str, int] = {}
        for measure in TCD01:
            hits = [v for v in members if measure.rule(v)]
            cells[(label, measure.key)] = sorted(v.id for v in hits)
            if measure.count == "people":
                values[measure.key] = sum(v.headcount for v in hits)
            elif measure.count == "matters":
                values[measure.key] = len({v.matter for v in hits})
            else:
                values[measure.key] = len(hits)
        rows.append(ReportRow(label=label, cells=values, total=kind == TOTAL,
                              drill={m.key: f"TCD01:{m.key}:{kind}" for m in TCD01}))
    table = ReportTable(form="TCD01", title="Tổng hợp kết quả tiếp công dân", period_label=period.label,
                        start=period.start, end=period.end, columns=[Column(m.key, m.path) for m in TCD01], rows=rows)
    return Computed(table, cells)

"""The statistical forms computed from the data: XLD01 (letter handling), XLD02 (complaints), XLD03
(denunciations), XLD04 (recommendations and reflections); one row per handler agency plus the total.

What the numbers mean (../shared/domain.md, "Periodic reports"):
* a letter belongs to the period's work when it was received in the period, or received earlier and not yet
  processed when the period began (carried over, "kỳ trước chuyển sang");
* processed ("đã xử lý"): a reviewer decided its handling by the period's end;
* processable ("đủ điều kiện xử lý"): processed with a decision other than keeping it on file or returning it;
  its matters are its distinct dossiers (a letter outside any dossier is a matter of its own);
* within authority: accepted (thụ lý); outside it: guided (hướng dẫn), forwarded (chuyển đơn) or urged (đôn đốc);
* repeat: the letter is not the first of its dossier; resolution status is what the reviewer recorded the letter
  to say about earlier handling (none / once / several times / court judgment).
Each measure is one SQL condition over the letters' facts: the database counts every cell of every form in two
queries (by agency, and the totals), and the same condition lists the letters behind a cell for the drill-down.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, case, func, literal, not_, or_, select, union_all
from sqlalchemy.orm import Session
from sqlalchemy.sql.selectable import CTE

from core.periods import Period
from ingest.reports.tables import Column, ReportRow, ReportTable
from models import Agency, Dossier, DossierAttachment, Letter

PROCESSABLE = ("thu_ly", "chuyen_don", "huong_dan", "don_doc")
UNCLASSIFIED = "—"
TOTAL = "Tổng cộng"


def _moment(day: date) -> datetime:
    return datetime.combine(day, time.min)


def facts(period: Period) -> CTE:
    """One row per letter of the period's work (received in it, or carried over into it) with what the forms
    ask of it: its labels as they stand (``Letter.type``, ``field``, ``agency``), its matter, its place in the matter, the matter's round
    and deadline, when it was resolved and when the agency it was forwarded to replied."""
    position = func.row_number().over(partition_by=Letter.dossier_id, order_by=(Letter.received_date, Letter.id))
    ranked = select(Letter.id.label("id"), position.label("position")).where(Letter.dossier_id.is_not(None)).subquery()
    reply = (select(DossierAttachment.dossier_id, func.min(DossierAttachment.uploaded_at).label("first"))
             .where(DossierAttachment.kind == "reply").group_by(DossierAttachment.dossier_id).subquery())
    start = _moment(period.start)
    return (
        select(Letter.id.label("id"), Letter.received_date.label("received"), Letter.reviewed_at.label("reviewed"),
               Letter.decision.label("decision"), Letter.dossier_id.label("dossier_id"),
               func.coalesce(Letter.dossier_id, -Letter.id).label("matter"),
               func.coalesce(ranked.c.position, 1).label("position"),
               Letter.type.label("type"), Letter.field.label("field"),
               func.coalesce(Letter.agency, UNCLASSIFIED).label("unit"),
               Letter.prior_resolution.label("prior"), func.coalesce(Dossier.round, 1).label("round"),
               Dossier.deadline.label("deadline"), Dossier.result_at.label("resolved"), reply.c.first.label("reply"))
        .outerjoin(ranked, ranked.c.id == Letter.id)
        .outerjoin(Dossier, Dossier.id == Letter.dossier_id)
        .outerjoin(reply, reply.c.dossier_id == Letter.dossier_id)
        .where(Letter.received_date <= period.end,
               or_(Letter.received_date >= period.start, Letter.reviewed_at.is_(None), Letter.reviewed_at >= start))
        # materialised: otherwise the database repeats the joins' lookups in every one of the ~90 measures
        .cte("facts").prefix_with("MATERIALIZED"))


Condition = Callable[[Any, Period], ColumnElement[bool]]  # (the facts' columns, the period) -> a SQL condition


@dataclass(frozen=True)
class Measure:
    key: str
    path: tuple[str, ...]
    when: Condition
    matters: bool = False  # count distinct matters instead of letters


def carried(f: Any, p: Period) -> ColumnElement[bool]:
    return and_(f.received < p.start, or_(f.reviewed.is_(None), f.reviewed >= _moment(p.start)))


def received_in(f: Any, p: Period) -> ColumnElement[bool]:
    return and_(f.received >= p.start, f.received <= p.end)


def work(f: Any, p: Period) -> ColumnElement[bool]:
    return or_(carried(f, p), received_in(f, p))


def processed(f: Any, p: Period) -> ColumnElement[bool]:
    return and_(f.reviewed.is_not(None), f.reviewed < _moment(p.end + timedelta(days=1)))


def processable(f: Any, p: Period) -> ColumnElement[bool]:
    return and_(processed(f, p), f.decision.in_(PROCESSABLE))


def _all(*conditions: Condition) -> Condition:
    return lambda f, p: and_(*(c(f, p) for c in conditions))


def _kind(*types: str) -> Condition:
    return lambda f, p: f.type.in_(types)


def _field(*fields: str) -> Condition:
    return lambda f, p: f.field.in_(fields)


def _prior(*values: str) -> Condition:
    return lambda f, p: f.prior.in_(values)


def _decided(*decisions: str) -> Condition:
    return lambda f, p: and_(processable(f, p), f.decision.in_(decisions))


def _overdue(f: Any, p: Period) -> ColumnElement[bool]:
    """The matter's deadline passed before the period's end and it was not resolved by then."""
    return and_(f.deadline.is_not(None), f.deadline < p.end, or_(f.resolved.is_(None), f.resolved > f.deadline))


# -- XLD01 ----------------------------------------------------------------------------------------------------
RECEIVED = ("Tổng số đơn",)
XLD01: tuple[Measure, ...] = (
    Measure("carried", (*RECEIVED, "Kỳ trước chuyển sang"), carried),
    Measure("received", (*RECEIVED, "Tiếp nhận trong kỳ"), received_in),
    Measure("total", (*RECEIVED, "Cộng"), work),
    Measure("processed", ("Đã xử lý",), _all(work, processed)),
    Measure("pending", ("Chưa xử lý",), lambda f, p: and_(work(f, p), not_(processed(f, p)))),
    Measure("ok_letters", ("Đơn đủ điều kiện xử lý", "Số đơn"), processable),
    Measure("ok_matters", ("Đơn đủ điều kiện xử lý", "Số vụ việc"), processable, matters=True),
    Measure("c_complaint", ("Phân loại theo nội dung", "Khiếu nại"), _all(processable, _kind("khieu_nai"))),
    Measure("c_denunciation", ("Phân loại theo nội dung", "Tố cáo"), _all(processable, _kind("to_cao"))),
    Measure("c_recommendation", ("Phân loại theo nội dung", "Kiến nghị, phản ánh"),
            _all(processable, _kind("kien_nghi", "phan_anh"))),
    Measure("s_none", ("Theo tình trạng giải quyết", "Chưa được giải quyết"), _all(processable, _prior("none"))),
    Measure("s_once", ("Theo tình trạng giải quyết", "Đã giải quyết lần đầu"), _all(processable, _prior("once"))),
    Measure("s_many", ("Theo tình trạng giải quyết", "Đã giải quyết nhiều lần"),
            _all(processable, _prior("many", "judgment"))),
    Measure("in_complaint", ("Kết quả xử lý", "Thuộc thẩm quyền", "Khiếu nại"),
            _all(_decided("thu_ly"), _kind("khieu_nai"))),
    Measure("in_denunciation", ("Kết quả xử lý", "Thuộc thẩm quyền", "Tố cáo"),
            _all(_decided("thu_ly"), _kind("to_cao"))),
    Measure("in_recommendation", ("Kết quả xử lý", "Thuộc thẩm quyền", "Kiến nghị, phản ánh"),
            _all(_decided("thu_ly"), _kind("kien_nghi", "phan_anh"))),
    Measure("out_guided", ("Kết quả xử lý", "Không thuộc thẩm quyền", "Hướng dẫn"), _decided("huong_dan")),
    Measure("out_forwarded", ("Kết quả xử lý", "Không thuộc thẩm quyền", "Chuyển đơn"), _decided("chuyen_don")),
    Measure("out_urged", ("Kết quả xử lý", "Không thuộc thẩm quyền", "Đôn đốc"), _decided("don_doc")),
    Measure("replies", ("Văn bản trả lời của cơ quan nhận đơn chuyển",),
            lambda f, p: and_(_decided("chuyen_don")(f, p), f.reply.is_not(None),
                              f.reply < _moment(p.end + timedelta(days=1)))),
)

# -- XLD02–04: one type (or two), by field, by status, by result ---------------------------------------------
ADMIN_FIELDS = (("a_policy", "Chế độ, chính sách", ("chinh_sach",)), ("a_land", "Đất đai, nhà cửa", ("dat_dai",)),
                ("a_other", "Khác", ("cong_vu", "tham_nhung")))


def _type_form(types: tuple[str, ...], *, denunciation: bool = False) -> tuple[Measure, ...]:
    of_type = _kind(*types)
    ok = _all(processable, of_type)
    # a denunciation's corruption and civil-servant conduct have columns of their own (XLD03); elsewhere they
    # are "other administrative" matters
    admin = ADMIN_FIELDS[:2] if denunciation else ADMIN_FIELDS
    fields: list[Measure] = [Measure(key, ("Theo lĩnh vực", "Hành chính", label), _all(ok, _field(*codes)))
                             for key, label, codes in admin]
    if denunciation:
        fields += [Measure("f_corruption", ("Theo lĩnh vực", "Tham nhũng"), _all(ok, _field("tham_nhung"))),
                   Measure("f_conduct", ("Theo lĩnh vực", "Công vụ, cán bộ"), _all(ok, _field("cong_vu")))]
    fields += [Measure("f_judicial", ("Theo lĩnh vực", "Tư pháp"), _all(ok, _field("tu_phap"))),
               Measure("f_party", ("Theo lĩnh vực", "Đảng, đoàn thể"), _all(ok, _field("dang_doan_the"))),
               Measure("f_other", ("Theo lĩnh vực", "Khác"), _all(ok, _field("khac")))]

    # one status a letter: a court has ruled; a second round (for a denunciation: denounced again, i.e. a later
    # letter of the same matter); else the first round
    def judgment(f: Any, p: Period) -> ColumnElement[bool]:
        return f.prior == "judgment"

    def second(f: Any, p: Period) -> ColumnElement[bool]:
        again = or_(f.round == 2, f.position > 1) if denunciation else f.round == 2
        return and_(not_(judgment(f, p)), again)

    def first(f: Any, p: Period) -> ColumnElement[bool]:
        return and_(not_(judgment(f, p)), not_(second(f, p)))

    status = [Measure("st_first", ("Theo tình trạng", "Lần đầu"), _all(ok, first)),
              Measure("st_second", ("Theo tình trạng", "Lần hai" if not denunciation else "Tố cáo tiếp"),
                      _all(ok, second)),
              Measure("st_judgment", ("Theo tình trạng", "Đã có bản án của Tòa"), _all(ok, judgment))]
    if denunciation:
        status.append(Measure("repeat", ("Đơn tố cáo trùng lặp",), _all(ok, lambda f, p: f.position > 1)))
    return (
        Measure("carried", ("Số đơn", "Kỳ trước chuyển sang"), _all(of_type, carried)),
        Measure("received", ("Số đơn", "Tiếp nhận trong kỳ"), _all(of_type, received_in)),
        Measure("ok_letters", ("Đủ điều kiện xử lý", "Số đơn"), ok),
        Measure("ok_matters", ("Đủ điều kiện xử lý", "Số vụ việc"), ok, matters=True),
        Measure("first_time", ("Đủ điều kiện xử lý", "Lần đầu"), _all(ok, lambda f, p: f.position == 1)),
        Measure("repeated", ("Đủ điều kiện xử lý", "Nhiều lần"), _all(ok, lambda f, p: f.position > 1)),
        *fields,
        *status,
        Measure("r_within", ("Kết quả xử lý", "Thuộc thẩm quyền"), _all(of_type, _decided("thu_ly"))),
        Measure("r_guided", ("Kết quả xử lý", "Hướng dẫn"), _all(of_type, _decided("huong_dan"))),
        Measure("r_forwarded", ("Kết quả xử lý", "Chuyển đơn"), _all(of_type, _decided("chuyen_don"))),
        Measure("r_urged", ("Kết quả xử lý", "Đôn đốc"), _all(of_type, _decided("don_doc"))),
        Measure("overdue", ("Quá hạn giải quyết",), _all(ok, _overdue), matters=True),
    )


FORMS: dict[str, tuple[str, tuple[Measure, ...]]] = {
    "XLD01": ("Tổng hợp kết quả xử lý đơn", XLD01),
    "XLD02": ("Tổng hợp kết quả xử lý đơn khiếu nại", _type_form(("khieu_nai",))),
    "XLD03": ("Tổng hợp kết quả xử lý đơn tố cáo", _type_form(("to_cao",), denunciation=True)),
    "XLD04": ("Tổng hợp kết quả xử lý đơn kiến nghị, phản ánh", _type_form(("kien_nghi", "phan_anh"))),
}


@dataclass
class Computed:
    """A form's table; ``cells`` holds the ids behind each (row label, column key) where they are known in
    advance (reception); otherwise a drill-down asks the database."""

    table: ReportTable
    cells: dict[tuple[str, str], list[int]] = field(default_factory=dict)


def _aggregate(measure: Measure, f: Any, period: Period) -> ColumnElement[int]:
    hit = measure.when(f, period)
    if measure.matters:
        return func.count(func.distinct(case((hit, f.matter), else_=None)))
    return func.coalesce(func.sum(case((hit, 1), else_=0)), 0)


def agency_names(session: Session) -> dict[str, str]:
    return {a.code: a.name for a in session.scalars(select(Agency))} | {UNCLASSIFIED: "Chưa phân loại"}


def compute_forms(session: Session, period: Period, names: dict[str, str],
                  forms: Sequence[str] = tuple(FORMS)) -> dict[str, Computed]:
    """Every cell of the forms: one query grouped by handler agency, one for the totals (matters are counted
    distinct, so a total is not always the sum of its rows)."""
    f = facts(period).c
    measures = [(form, m) for form in forms for m in FORMS[form][1]]
    columns = [_aggregate(m, f, period).label(f"m{i}") for i, (_, m) in enumerate(measures)]
    # one statement, so the facts are gathered once: the rows by agency, then the distinct matters of the whole
    # (letter counts of the total are the sums of the rows; a matter may span agencies, so its count is not)
    distinct = [i for i, (_, m) in enumerate(measures) if m.matters]
    matter_columns = [columns[i] if i in distinct else literal(0) for i in range(len(columns))]
    rows = session.execute(union_all(select(f.unit, *columns).group_by(f.unit),
                                     select(literal(TOTAL), *matter_columns))).all()
    by_unit, matters = [r for r in rows if r[0] != TOTAL], next(r for r in rows if r[0] == TOTAL)
    totals = (TOTAL, *(matters[1 + i] if i in distinct else sum(r[1 + i] or 0 for r in by_unit)
                       for i in range(len(measures))))
    units = sorted(by_unit, key=lambda row: (row[0] == UNCLASSIFIED, names.get(row[0], row[0])))
    out: dict[str, Computed] = {}
    for form in forms:
        title, form_measures = FORMS[form]
        rows = []
        for row in [*units, totals]:
            unit = row[0]
            values = {m.key: int(row[1 + measures.index((form, m))] or 0) for m in form_measures}
            is_total = row is totals
            if is_total or any(values.values()):
                rows.append(ReportRow(label=TOTAL if is_total else names.get(unit, unit), cells=values,
                                      total=is_total, drill={m.key: f"{form}:{m.key}:{unit}" for m in form_measures}))
        out[form] = Computed(ReportTable(form=form, title=title, period_label=period.label, start=period.start,
                                         end=period.end, columns=[Column(m.key, m.path) for m in form_measures],
                                         rows=rows))
    return out


def drill_form(session: Session, period: Period, form: str, key: str, unit: str) -> list[int]:
    """The ids of the letters behind one cell (the same condition the count used)."""
    if form not in FORMS:
        raise ValueError(f"không có biểu {form!r}")
    measure = next((m for m in FORMS[form][1] if m.key == key), None)
    if measure is None:
        raise ValueError(f"biểu {form} không có cột {key!r}")
    f = facts(period).c
    query = select(f.id).where(measure.when(f, period))
    if unit != TOTAL:
        query = query.where(f.unit == unit)
    return list(session.scalars(query.order_by(f.id)))


def received_rows(session: Session, period: Period) -> list[tuple[date, str | None, str | None, str]]:
    """(received, type, field, unit) of each letter received in the period, for the charts (an index scan)."""
    return [tuple(r) for r in session.execute(
        select(Letter.received_date, Letter.type, Letter.field, func.coalesce(Letter.agency, UNCLASSIFIED))
        .where(Letter.received_date >= period.start, Letter.received_date <= period.end))]

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
Every cell keeps the ids of the letters behind it, for the drill-down.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from core.periods import Period
from ingest.reports.tables import Column, ReportRow, ReportTable
from models import Agency, Dossier, DossierAttachment, Letter, LetterLabel

PROCESSABLE = ("thu_ly", "chuyen_don", "huong_dan", "don_doc")
UNCLASSIFIED = "—"


@dataclass(frozen=True)
class LetterFacts:
    """What the forms need to know of one letter, as it stood at the period's end."""

    id: int
    received: date
    reviewed: date | None
    decision: str | None
    dossier_id: int | None
    position: int  # 1 = the first letter of its matter
    type: str | None
    field: str | None
    agency: str | None
    prior_resolution: str  # none | once | many | judgment
    round: int  # the matter's round (complaints: 1 or 2)
    deadline: date | None
    resolved_on: date | None
    reply_on: date | None  # first reply from the agency the matter was forwarded to

    def carried(self, period: Period) -> bool:
        return self.received < period.start and (self.reviewed is None or self.reviewed >= period.start)

    def processed(self, period: Period) -> bool:
        return self.reviewed is not None and self.reviewed <= period.end

    def processable(self, period: Period) -> bool:
        return self.processed(period) and self.decision in PROCESSABLE

    def matter(self) -> int:
        return self.dossier_id if self.dossier_id is not None else -self.id

    def overdue(self, period: Period) -> bool:
        """The matter's deadline passed within or before the period and it was not resolved by then."""
        return (self.deadline is not None and self.deadline < period.end
                and (self.resolved_on is None or self.resolved_on > self.deadline))


def load_facts(session: Session, period: Period) -> list[LetterFacts]:
    """The letters of the period's work (received in it, or carried over into it), in one pass of queries."""
    latest = (select(LetterLabel.letter_id, func.max(LetterLabel.id).label("last")).group_by(LetterLabel.letter_id)
              .subquery())
    label = select(LetterLabel).join(latest, LetterLabel.id == latest.c.last).subquery()
    position = func.row_number().over(partition_by=Letter.dossier_id, order_by=(Letter.received_date, Letter.id))
    ranked = select(Letter.id.label("id"), position.label("position")).where(Letter.dossier_id.is_not(None)).subquery()
    reply = (select(DossierAttachment.dossier_id, func.min(DossierAttachment.uploaded_at).label("first"))
             .where(DossierAttachment.kind == "reply").group_by(DossierAttachment.dossier_id).subquery())
    predicted = Letter.classification
    rows = session.execute(
        select(Letter.id, Letter.received_date, Letter.reviewed_at, Letter.decision, Letter.dossier_id,
               Letter.prior_resolution, ranked.c.position,
               func.coalesce(label.c.type, predicted["type"]["label"].as_string()),
               func.coalesce(label.c.field, predicted["field"]["label"].as_string()),
               func.coalesce(label.c.agency, predicted["agency"]["label"].as_string()),
               Dossier.round, Dossier.deadline, Dossier.result_at, reply.c.first)
        .outerjoin(label, label.c.letter_id == Letter.id)
        .outerjoin(ranked, ranked.c.id == Letter.id)
        .outerjoin(Dossier, Dossier.id == Letter.dossier_id)
        .outerjoin(reply, reply.c.dossier_id == Letter.dossier_id)
        .where(Letter.received_date <= period.end,
               or_(Letter.received_date >= period.start, Letter.reviewed_at.is_(None),
                   Letter.reviewed_at >= period.start))
    ).all()
    facts = []
    for (letter_id, received, reviewed, decision, dossier_id, prior, pos, kind, field, agency, round_, deadline,
         resolved, replied) in rows:
        facts.append(LetterFacts(
            id=letter_id, received=received, reviewed=reviewed.date() if reviewed else None, decision=decision,
            dossier_id=dossier_id, position=pos or 1, type=kind, field=field, agency=agency,
            prior_resolution=prior or "none", round=round_ or 1, deadline=deadline, resolved_on=resolved,
            reply_on=replied.date() if replied else None))
    return facts


Rule = Callable[[LetterFacts, Period], bool]


@dataclass(frozen=True)
class Measure:
    key: str
    path: tuple[str, ...]
    rule: Rule
    matters: bool = False  # count distinct matters instead of letters


def _kind(*types: str) -> Rule:
    return lambda f, p: f.type in types


def _all(*rules: Rule) -> Rule:
    return lambda f, p: all(r(f, p) for r in rules)


def _work(f: LetterFacts, p: Period) -> bool:
    return f.carried(p) or p.contains(f.received)


def _processable(f: LetterFacts, p: Period) -> bool:
    return f.processable(p)


def _decided(*decisions: str) -> Rule:
    return lambda f, p: f.processable(p) and f.decision in decisions


def _field(*fields: str) -> Rule:
    return lambda f, p: f.field in fields


def _prior(*values: str) -> Rule:
    return lambda f, p: f.prior_resolution in values


# -- XLD01 ----------------------------------------------------------------------------------------------------
RECEIVED = ("Tổng số đơn",)
XLD01: tuple[Measure, ...] = (
    Measure("carried", (*RECEIVED, "Kỳ trước chuyển sang"), lambda f, p: f.carried(p)),
    Measure("received", (*RECEIVED, "Tiếp nhận trong kỳ"), lambda f, p: p.contains(f.received)),
    Measure("total", (*RECEIVED, "Cộng"), _work),
    Measure("processed", ("Đã xử lý",), lambda f, p: _work(f, p) and f.processed(p)),
    Measure("pending", ("Chưa xử lý",), lambda f, p: _work(f, p) and not f.processed(p)),
    Measure("ok_letters", ("Đơn đủ điều kiện xử lý", "Số đơn"), _processable),
    Measure("ok_matters", ("Đơn đủ điều kiện xử lý", "Số vụ việc"), _processable, matters=True),
    Measure("c_complaint", ("Phân loại theo nội dung", "Khiếu nại"), _all(_processable, _kind("khieu_nai"))),
    Measure("c_denunciation", ("Phân loại theo nội dung", "Tố cáo"), _all(_processable, _kind("to_cao"))),
    Measure("c_recommendation", ("Phân loại theo nội dung", "Kiến nghị, phản ánh"),
            _all(_processable, _kind("kien_nghi", "phan_anh"))),
    Measure("s_none", ("Theo tình trạng giải quyết", "Chưa được giải quyết"), _all(_processable, _prior("none"))),
    Measure("s_once", ("Theo tình trạng giải quyết", "Đã giải quyết lần đầu"), _all(_processable, _prior("once"))),
    Measure("s_many", ("Theo tình trạng giải quyết", "Đã giải quyết nhiều lần"),
            _all(_processable, _prior("many", "judgment"))),
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
            lambda f, p: f.processable(p) and f.decision == "chuyen_don" and f.reply_on is not None
            and f.reply_on <= p.end),
)

# -- XLD02–04: one type (or two), by field, by status, by result ---------------------------------------------
ADMIN_FIELDS = (("a_policy", "Chế độ, chính sách", ("chinh_sach",)), ("a_land", "Đất đai, nhà cửa", ("dat_dai",)),
                ("a_other", "Khác", ("cong_vu", "tham_nhung")))


def _type_form(types: tuple[str, ...], *, denunciation: bool = False) -> tuple[Measure, ...]:
    of_type = _kind(*types)
    ok = _all(_processable, of_type)
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
    def stage(f: LetterFacts) -> str:
        """One status a letter: a court has ruled; a second round (for a denunciation: denounced again, i.e. a
        later letter of the same matter); else the first round."""
        if f.prior_resolution == "judgment":
            return "judgment"
        return "second" if f.round == 2 or (denunciation and f.position > 1) else "first"

    status: list[Measure] = [
        Measure("st_first", ("Theo tình trạng", "Lần đầu"), _all(ok, lambda f, p: stage(f) == "first")),
        Measure("st_second", ("Theo tình trạng", "Lần hai" if not denunciation else "Tố cáo tiếp"),
                _all(ok, lambda f, p: stage(f) == "second")),
        Measure("st_judgment", ("Theo tình trạng", "Đã có bản án của Tòa"), _all(ok, lambda f, p: stage(f) == "judgment"))]
    if denunciation:
        status.append(Measure("repeat", ("Đơn tố cáo trùng lặp",), _all(ok, lambda f, p: f.position > 1)))
    return (
        Measure("carried", ("Số đơn", "Kỳ trước chuyển sang"), _all(of_type, lambda f, p: f.carried(p))),
        Measure("received", ("Số đơn", "Tiếp nhận trong kỳ"), _all(of_type, lambda f, p: p.contains(f.received))),
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
        Measure("overdue", ("Quá hạn giải quyết",), _all(ok, lambda f, p: f.overdue(p)), matters=True),
    )


FORMS: dict[str, tuple[str, tuple[Measure, ...]]] = {
    "XLD01": ("Tổng hợp kết quả xử lý đơn", XLD01),
    "XLD02": ("Tổng hợp kết quả xử lý đơn khiếu nại", _type_form(("khieu_nai",))),
    "XLD03": ("Tổng hợp kết quả xử lý đơn tố cáo", _type_form(("to_cao",), denunciation=True)),
    "XLD04": ("Tổng hợp kết quả xử lý đơn kiến nghị, phản ánh", _type_form(("kien_nghi", "phan_anh"))),
}
TOTAL = "Tổng cộng"


@dataclass
class Computed:
    """A form's table and, for each (row label, column key), the ids of the letters behind the cell."""

    table: ReportTable
    cells: dict[tuple[str, str], list[int]]


def compute_form(form: str, facts: Sequence[LetterFacts], period: Period, agency_names: dict[str, str]) -> Computed:
    title, measures = FORMS[form]
    units = sorted({f.agency or UNCLASSIFIED for f in facts},
                   key=lambda code: (code == UNCLASSIFIED, agency_names.get(code, code)))
    cells: dict[tuple[str, str], list[int]] = {}
    rows = []
    for unit in [*units, TOTAL]:
        members = facts if unit == TOTAL else [f for f in facts if (f.agency or UNCLASSIFIED) == unit]
        label = TOTAL if unit == TOTAL else agency_names.get(unit, unit)
        values: dict[str, int] = {}
        for measure in measures:
            hits = [f for f in members if measure.rule(f, period)]
            cells[(label, measure.key)] = sorted(f.id for f in hits)
            values[measure.key] = len({f.matter() for f in hits}) if measure.matters else len(hits)
        row = ReportRow(label=label, cells=values, total=unit == TOTAL,
                        drill={m.key: f"{form}:{m.key}:{unit}" for m in measures})
        if unit == TOTAL or any(values.values()):
            rows.append(row)
    table = ReportTable(form=form, title=title, period_label=period.label, start=period.start, end=period.end,
                        columns=[Column(m.key, m.path) for m in measures], rows=rows)
    return Computed(table, cells)


def agency_names(session: Session) -> dict[str, str]:
    return {a.code: a.name for a in session.scalars(select(Agency))} | {UNCLASSIFIED: "Chưa phân loại"}


def compute_all(session: Session, period: Period, forms: Sequence[str] = tuple(FORMS)) -> dict[str, Computed]:
    facts = load_facts(session, period)
    names = agency_names(session)
    return {form: compute_form(form, facts, period, names) for form in forms}


def drill_letters(session: Session, period: Period, drill_key: str) -> list[int]:
    """The ids of the letters behind one cell, from its drill key ``FORM:column:unit``."""
    form, key, unit = drill_key.split(":", 2)
    if form not in FORMS:
        raise ValueError(f"unknown form {form!r}")
    computed = compute_form(form, load_facts(session, period), period, agency_names(session))
    label = TOTAL if unit == TOTAL else agency_names(session).get(unit, unit)
    return computed.cells.get((label, key), [])


"""Citizen reception pages (tiếp công dân): the sessions by date, one session with its visits, the forms to record a
visit (one citizen or a delegation), its conclusion and assignment, and to tie it to a matter — join a dossier by
number, open one, or link the letter handed in. A denouncer's identity is masked for users not handling it."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext, lazy_gettext
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from classify.corpus import FIELDS, TYPES
from core.dates import parse_day
from ingest.confidentiality import MASK, PROTECTED_TYPE, Masker
from ingest.dossiers import DossierError
from ingest.reception import (
    add_visit,
    create_session,
    dossier_by_number,
    identity_shown,
    identity_terms,
    join_dossier,
    letter_by_register_no,
    link_letter,
    open_dossier_for_visit,
    update_visit,
)
from models import Agency, Dossier, Letter, ReceptionSession, User, Visit
from models.audit import record
from models.reception import RECEPTION_KINDS
from web.app import services
from web.permissions import can, requires

reception = Blueprint("reception", __name__)
PAGE_SIZE = 50
KIND = {"routine": lazy_gettext("Tiếp thường xuyên"), "scheduled": lazy_gettext("Lãnh đạo tiếp định kỳ"),
        "ad_hoc": lazy_gettext("Lãnh đạo tiếp đột xuất")}
IDENTITY_FIELDS = ("name", "representatives", "address", "phone", "citizen_id")


def _month(value: str | None) -> tuple[date, date] | None:
    """The first and last day of a month typed as mm/yyyy (or yyyy-mm, from a month picker)."""
    value = (value or "").strip()
    if not value:
        return None
    found = re.fullmatch(r"(\d{1,2})[/.\-](\d{4})", value)
    if found:
        month, year = int(found.group(1)), int(found.group(2))
    elif found := re.fullmatch(r"(\d{4})-(\d{1,2})", value):
        year, month = int(found.group(1)), int(found.group(2))
    else:
        raise ValueError(gettext("tháng không hợp lệ: %(value)s (viết mm/yyyy)", value=value))
    if not 1 <= month <= 12 or not 1900 <= year <= 9999:
        raise ValueError(gettext("tháng không hợp lệ: %(value)s (viết mm/yyyy)", value=value))
    start = date(year, month, 1)
    following = date(year + month // 12, month % 12 + 1, 1)
    return start, date.fromordinal(following.toordinal() - 1)


def _shift(start: date, months: int) -> str:
    index = start.year * 12 + start.month - 1 + months
    return f"{index % 12 + 1:02d}/{index // 12}"


@reception.route("/reception")
@requires("reception.view")
def index():  # noqa: ANN201
    return _render_index()


def _render_index(status: int = 200, form: dict | None = None):  # noqa: ANN202
    typed = request.args.get("month", "")
    page = max(1, request.args.get("page", 1, type=int))
    try:
        month = _month(typed)
    except ValueError as exc:
        flash(str(exc), "error")
        month, status = None, 400
    with services().db.read() as db:
        query = select(ReceptionSession)
        if month:
            query = query.where(ReceptionSession.held_on >= month[0], ReceptionSession.held_on <= month[1])
        total = db.scalar(select(func.count()).select_from(query.subquery())) or 0
        rows = list(db.scalars(query.order_by(ReceptionSession.held_on.desc(), ReceptionSession.id.desc())
                               .offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE)))
        counts = {sid: (visits, people or 0) for sid, visits, people in db.execute(
            select(Visit.session_id, func.count(), func.sum(Visit.headcount))
            .where(Visit.session_id.in_([s.id for s in rows])).group_by(Visit.session_id)).all()}
        users = {u.id: u for u in db.scalars(select(User))}
    html = render_template(
        "reception/index.html", sessions=rows, counts=counts, users=users, total=total, page=page,
        page_size=PAGE_SIZE, month=f"{month[0]:%m/%Y}" if month else "", kinds=RECEPTION_KINDS, kind_labels=KIND,
        previous=_shift(month[0], -1) if month else None, following=_shift(month[0], 1) if month else None,
        form=form or {}, can_edit=can(g.user, "reception.edit"))
    return html, status


@reception.route("/reception", methods=["POST"])
@requires("reception.edit")
def create():  # noqa: ANN201
    form = request.form
    try:
        with services().db.write() as db:
            row = create_session(db, held_on=parse_day(form.get("held_on")), kind=form.get("kind", ""),
                                 leader=form.get("leader", ""), place=form.get("place", ""),
                                 notes=form.get("notes", ""), user_id=g.user.id)
            session_id = row.id
    except (DossierError, ValueError) as exc:
        flash(gettext("Chưa lưu: %(error)s", error=exc), "error")
        return _render_index(400, form=form.to_dict())
    flash(gettext("Đã tạo buổi tiếp công dân."), "ok")
    return redirect(url_for("reception.show", session_id=session_id))


def _other_visits(db: Session, dossier_ids: set[int]) -> dict[int, list[tuple[Visit, ReceptionSession]]]:
    """Every visit of the given matters, earliest first."""
    if not dossier_ids:
        return {}
    found: dict[int, list[tuple[Visit, ReceptionSession]]] = {}
    for visit, held in db.execute(select(Visit, ReceptionSession).join(ReceptionSession)
                                  .where(Visit.dossier_id.in_(dossier_ids))
                                  .order_by(ReceptionSession.held_on, Visit.id)).all():
        found.setdefault(visit.dossier_id, []).append((visit, held))
    return found


def _render_session(session_id: int, status: int = 200, form: dict | None = None, open_visit: int | None = None):  # noqa: ANN202
    user = g.user
    seen = []
    with services().db.read() as db:
        row = db.get(ReceptionSession, session_id)
        if row is None:
            abort(404)
        visits = list(row.visits)
        dossier_ids = {v.dossier_id for v in visits if v.dossier_id is not None}
        matters = _other_visits(db, dossier_ids)
        for others in matters.values():
            dossier_ids |= {v.dossier_id for v, _ in others}
        dossiers = {d.id: d for d in db.scalars(select(Dossier).where(Dossier.id.in_(dossier_ids)))}
        sessions = {s.id: s for _, s in (pair for pairs in matters.values() for pair in pairs)} | {row.id: row}
        letter_ids = {v.letter_id for v in visits if v.letter_id is not None}
        letters = {x.id: x for x in db.scalars(select(Letter).where(Letter.id.in_(letter_ids)))} if letter_ids else {}
        matter_letters: dict[int, list[Letter]] = {}
        for x in db.scalars(select(Letter).where(Letter.dossier_id.in_(dossier_ids))
                            .order_by(Letter.received_date, Letter.id)):
            matter_letters.setdefault(x.dossier_id, []).append(x)
        # what this user may see of each visit on the page (this session's and the matters' other visits)
        views: dict[int, dict] = {}
        for visit, held in [(v, row) for v in visits] + [pair for pairs in matters.values() for pair in pairs]:
            if visit.id in views:
                continue
            shown = identity_shown(user, visit, sessions.get(visit.session_id, held), dossiers.get(visit.dossier_id))
            protected = visit.type == PROTECTED_TYPE or bool(dossiers.get(visit.dossier_id)
                                                             and dossiers[visit.dossier_id].protected)
            masker = Masker([] if shown else identity_terms(visit))
            views[visit.id] = {"shown": shown, "protected": protected, "masker": masker,
                               **{k: (getattr(visit, k) if shown else (MASK if getattr(visit, k) else ""))
                                  for k in IDENTITY_FIELDS}}
            if protected:
                seen.append((visit.id, shown))
        users = {u.id: u for u in db.scalars(select(User))}
        officers = [u for u in users.values() if u.active and u.role in ("officer", "reviewer")]
        agencies = list(db.scalars(select(Agency).where(Agency.active.is_(True)).order_by(Agency.sort_order)))
        here = [views[v.id] for v in visits if views[v.id]["protected"]]
        notice = ("masked" if any(not x["shown"] for x in here) else "shown") if here else None
        html = render_template(
            "reception/session.html", row=row, notice=notice, visits=visits, views=views, dossiers=dossiers, matters=matters,
            sessions=sessions, letters=letters, matter_letters=matter_letters, users=users, officers=officers,
            agencies=agencies, agency_names={a.code: a.name for a in agencies}, types=TYPES, fields=FIELDS,
            kind_labels=KIND, form=form or {}, open_visit=open_visit, can_edit=can(user, "reception.edit"),
            can_open=can(user, "dossiers.create"))
    if seen:  # every view of a denunciation's visitor is audited, as for a protected letter
        with services().db.write() as db:
            for visit_id, shown in seen:
                record(db, "view_protected_visit", actor="web", user_id=user.id, visit=visit_id,
                       reception_session=session_id, identity_shown=shown)
    return html, status


@reception.route("/reception/<int:session_id>")
@requires("reception.view")
def show(session_id: int):  # noqa: ANN201
    return _render_session(session_id)


def _int(value: str | None, what: str) -> int | None:
    value = (value or "").strip()
    if not value:
        return None
    try:
        return int(value)
    except ValueError:
        raise DossierError(gettext("%(what)s không hợp lệ: %(value)s", what=what, value=value)) from None


@reception.route("/reception/<int:session_id>/visits", methods=["POST"])
@requires("reception.edit")
def new_visit(session_id: int):  # noqa: ANN201
    form = request.form
    try:
        with services().db.write() as db:
            row = db.get(ReceptionSession, session_id)
            if row is None:
                abort(404)
            add_visit(db, row, delegation=form.get("delegation") == "1",
                      headcount=_int(form.get("headcount"), gettext("số người")), name=form.get("name", ""),
                      representatives=form.get("representatives", ""), address=form.get("address", ""),
                      phone=form.get("phone", ""), citizen_id=form.get("citizen_id", ""),
                      content=form.get("content", ""), type=form.get("type") or None,
                      field=form.get("field") or None, conclusion=form.get("conclusion", ""),
                      assigned_agency=form.get("assigned_agency") or None,
                      assigned_to_id=_int(form.get("assigned_to_id"), gettext("cán bộ")), user_id=g.user.id)
    except DossierError as exc:
        flash(gettext("Chưa lưu: %(error)s", error=exc), "error")
        return _render_session(session_id, 400, form=form.to_dict())
    flash(gettext("Đã ghi lượt tiếp."), "ok")
    return redirect(url_for("reception.show", session_id=session_id))


def _visit_change(visit_id: int, action: Callable[[Session, Visit], str], *, reindex: bool = False):  # noqa: ANN202
    """Run one change on a visit in a transaction; on a refusal show the session page again (400, nothing saved)."""
    with services().db.read() as db:
        visit = db.get(Visit, visit_id)
        if visit is None:
            abort(404)
        session_id = visit.session_id
    try:
        with services().db.write() as db:
            visit = db.get(Visit, visit_id)
            if visit is None:
                abort(404)
            message = action(db, visit)
            letter_id = visit.letter_id if reindex else None
    except DossierError as exc:
        flash(gettext("Chưa lưu: %(error)s", error=exc), "error")
        return _render_session(session_id, 400, open_visit=visit_id)
    if letter_id is not None:  # the index carries each letter's dossier: the handed-in letter may have joined one
        from ingest.indexing import index_letter

        index_letter(services(), letter_id)
    flash(message, "ok")
    return redirect(url_for("reception.show", session_id=session_id) + f"#visit-{visit_id}")


def _can_see(db: Session, visit: Visit) -> bool:
    dossier = db.get(Dossier, visit.dossier_id) if visit.dossier_id else None
    return identity_shown(g.user, visit, db.get(ReceptionSession, visit.session_id), dossier)


@reception.route("/reception/visits/<int:visit_id>", methods=["POST"])
@requires("reception.edit")
def edit_visit(visit_id: int):  # noqa: ANN201
    form = request.form

    def act(db: Session, visit: Visit) -> str:
        if not _can_see(db, visit):
            abort(403)  # the conclusion is shown masked to this user: a masked text must not be saved over it
        update_visit(db, visit, conclusion=form.get("conclusion", ""),
                     assigned_agency=form.get("assigned_agency") or None,
                     assigned_to_id=_int(form.get("assigned_to_id"), gettext("cán bộ")), user_id=g.user.id)
        return gettext("Đã lưu kết luận và giao xử lý.")

    return _visit_change(visit_id, act)


@reception.route("/reception/visits/<int:visit_id>/dossier", methods=["POST"])
@requires("reception.edit")
def visit_dossier(visit_id: int):  # noqa: ANN201
    form = request.form

    def act(db: Session, visit: Visit) -> str:
        if form.get("action") == "open":
            if not can(g.user, "dossiers.create"):
                abort(403)
            dossier = open_dossier_for_visit(db, visit, g.user.id, type=form.get("type"), field=form.get("field"),
                                             agency=form.get("agency"))
            return gettext("Đã mở hồ sơ %(number)s.", number=dossier.number)
        if form.get("action") != "join":
            raise DossierError(gettext("chưa chọn nhập hồ sơ hay mở hồ sơ mới"))
        dossier = dossier_by_number(db, form.get("dossier_no", ""))
        if join_dossier(db, visit, dossier, g.user.id):
            return gettext("Đã nhập hồ sơ %(number)s (vụ việc đã phản ánh trước đó).", number=dossier.number)
        return gettext("Đã nhập hồ sơ %(number)s.", number=dossier.number)

    return _visit_change(visit_id, act, reindex=True)


@reception.route("/reception/visits/<int:visit_id>/letter", methods=["POST"])
@requires("reception.edit")
def visit_letter(visit_id: int):  # noqa: ANN201
    def act(db: Session, visit: Visit) -> str:
        letter = letter_by_register_no(db, request.form.get("register_no", ""))
        link_letter(db, visit, letter.id, user_id=g.user.id)
        return gettext("Đã gắn đơn số đến %(number)s.", number=letter.register_no)

    return _visit_change(visit_id, act, reindex=True)

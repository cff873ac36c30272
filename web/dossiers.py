"""Dossier pages: the list, one matter's history and deadline, the forms that move it on, and its printable
forwarding slip and guidance letter."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, Response, abort, flash, g, redirect, render_template, request, send_file, url_for
from flask_babel import force_locale, gettext
from sqlalchemy import func, select

from core.dates import parse_day
from core.deadlines import DECISIONS, deadline_state
from ingest.confidentiality import Masker, Visibility, handles, identity_terms, record_views
from ingest.dossiers import (
    MAX_ATTACHMENT_BYTES,
    DossierError,
    add_attachment,
    add_note,
    assign,
    decide,
    extend,
    letters_of,
    record_result,
    set_status,
)
from models import Agency, Dossier, DossierAttachment, Letter, User
from models.audit import record
from models.dossiers import DOSSIER_STATUSES, OPEN_STATUSES, RESULTS
from web import labels
from web.app import services
from web.letter_view import masked_file_name
from web.permissions import can, requires
from web.slips import ForwardingSlip, GuidanceLetter, SlipLetter, forwarding_slip_pdf, guidance_letter_pdf

dossiers = Blueprint("dossiers", __name__)
PAGE_SIZE = 50


def dossier_masker(session, dossier: Dossier, user: User | None) -> tuple[Masker, list[Visibility]]:  # noqa: ANN001
    """Hides the identities of the senders of a protected matter from users not handling it; returns the views of
    its letters for ``record_views``."""
    if not dossier.protected:
        return Masker([]), []
    letters = letters_of(session, dossier.id)
    shown = handles(user, None, dossier) or any(handles(user, x, dossier) for x in letters)
    masker = Masker([] if shown else [t for x in letters for t in identity_terms(x)])
    return masker, [Visibility(x.id, True, shown, masker) for x in letters]


@dossiers.route("/dossiers")
@requires("dossiers.view")
def index():  # noqa: ANN201
    status = request.args.get("status") or None
    mine = request.args.get("mine") == "1"
    due = request.args.get("due") or None  # overdue | due_soon
    page = max(1, request.args.get("page", 1, type=int))
    today = date.today()
    with services().db.read() as db:
        query = select(Dossier)
        if status:
            query = query.where(Dossier.status == status)
        if mine:
            query = query.where(Dossier.assigned_to_id == g.user.id)
        if due == "overdue":
            query = query.where(Dossier.status.in_(OPEN_STATUSES), Dossier.deadline < today)
        elif due == "due_soon":
            query = query.where(Dossier.status.in_(OPEN_STATUSES), Dossier.deadline >= today,
                                Dossier.deadline <= date.fromordinal(today.toordinal() + 3))
        total = db.scalar(select(func.count()).select_from(query.subquery())) or 0
        # deadline views by deadline (an index scan); the full list newest first
        order = (Dossier.deadline, Dossier.id) if due else (Dossier.id.desc(),)
        rows = list(db.scalars(query.order_by(*order).offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE)))
        counts = dict(db.execute(select(Letter.dossier_id, func.count())
                                 .where(Letter.dossier_id.in_([d.id for d in rows])).group_by(Letter.dossier_id)).all())
        users = {u.id: u for u in db.scalars(select(User))}
        agencies = {a.code: a.name for a in db.scalars(select(Agency))}
    return render_template("dossiers.html", dossiers=rows, counts=counts, users=users, agencies=agencies,
                           total=total, page=page, page_size=PAGE_SIZE, status=status, mine=mine, due=due,
                           statuses=DOSSIER_STATUSES, deadline_state=deadline_state)


@dossiers.route("/dossiers/<int:dossier_id>")
@requires("dossiers.view")
def show(dossier_id: int):  # noqa: ANN201
    with services().db.read() as db:
        dossier = db.get(Dossier, dossier_id)
        if dossier is None:
            abort(404)
        masker, seen = dossier_masker(db, dossier, g.user)
        letters = letters_of(db, dossier.id)
        users = {u.id: u for u in db.scalars(select(User))}
        officers = [u for u in users.values() if u.active and u.role in ("officer", "reviewer")]
        agencies = {a.code: a.name for a in db.scalars(select(Agency))}
        html = render_template(
            "dossier.html", dossier=dossier, letters=letters, masker=masker, users=users, officers=officers,
            agencies=agencies, decisions=DECISIONS, decision_labels=labels.DECISION, statuses=DOSSIER_STATUSES,
            results=RESULTS, state=deadline_state(dossier.deadline, date.today(), done=not dossier.is_open),
            can_edit=can(g.user, "dossiers.edit"), file_name=masked_file_name)
    record_views(services().db, g.user, seen, via="web", dossier=dossier.number)
    return html


def _change(dossier_id: int, action, audit: str | None = None) -> Response:  # noqa: ANN001
    """Run one change on a dossier in a transaction; flash its outcome and go back to the dossier page.
    ``audit`` names the audit event written with it (None when the change records its own)."""
    if not can(g.user, "dossiers.edit"):
        abort(403)
    with services().db.write() as db:
        dossier = db.get(Dossier, dossier_id)
        if dossier is None:
            abort(404)
        try:
            message = action(db, dossier)
        except DossierError as exc:
            db.rollback()
            flash(gettext("Chưa lưu: %(error)s", error=exc), "error")
            return redirect(url_for("dossiers.show", dossier_id=dossier_id))
        if audit:
            record(db, audit, actor="web", user_id=g.user.id, dossier=dossier.number)
        letter_ids = [x.id for x in letters_of(db, dossier.id)]
    from ingest.indexing import index_letter

    for letter_id in letter_ids:  # the index carries each letter's dossier and labels
        index_letter(services(), letter_id)
    flash(message or gettext("Đã lưu."), "ok")
    return redirect(url_for("dossiers.show", dossier_id=dossier_id))


def _date(value: str | None) -> date | None:
    try:
        return parse_day(value)
    except ValueError as exc:
        raise DossierError(str(exc)) from exc


@dossiers.route("/dossiers/<int:dossier_id>/decision", methods=["POST"])
@requires("dossiers.edit")
def decision(dossier_id: int):  # noqa: ANN201
    form = request.form

    def act(db, dossier: Dossier) -> str:  # noqa: ANN001
        deadline = decide(db, dossier, form.get("decision", ""), g.user.id, on=_date(form.get("on")),
                          complex=form.get("complex") == "1", round=int(form.get("round") or dossier.round),
                          note=form.get("note", ""))
        if deadline:
            return gettext("Đã ghi hướng xử lý; hạn %(due)s.", due=f"{deadline.due:%d/%m/%Y}")
        return gettext("Đã ghi hướng xử lý.")

    return _change(dossier_id, act)


@dossiers.route("/dossiers/<int:dossier_id>/extend", methods=["POST"])
@requires("dossiers.edit")
def extend_deadline(dossier_id: int):  # noqa: ANN201
    def act(db, dossier: Dossier) -> str:  # noqa: ANN001
        due = extend(db, dossier, g.user.id, request.form.get("note", "")).due
        return gettext("Đã gia hạn đến %(due)s.", due=f"{due:%d/%m/%Y}")

    return _change(dossier_id, act, "dossier_extended")


@dossiers.route("/dossiers/<int:dossier_id>/assign", methods=["POST"])
@requires("dossiers.edit")
def assign_officer(dossier_id: int):  # noqa: ANN201
    officer = request.form.get("officer_id", type=int)
    return _change(dossier_id, lambda db, d: assign(db, d, officer, g.user.id) or gettext("Đã giao việc."))


@dossiers.route("/dossiers/<int:dossier_id>/status", methods=["POST"])
@requires("dossiers.edit")
def change_status(dossier_id: int):  # noqa: ANN201
    return _change(dossier_id, lambda db, d: set_status(db, d, request.form.get("status", ""), g.user.id,
                                                        request.form.get("note", "")) or gettext("Đã đổi trạng thái."),
                   "dossier_status")


@dossiers.route("/dossiers/<int:dossier_id>/result", methods=["POST"])
@requires("dossiers.edit")
def result(dossier_id: int):  # noqa: ANN201
    form = request.form
    return _change(dossier_id, lambda db, d: record_result(db, d, form.get("result", ""), g.user.id,
                                                           on=_date(form.get("on")), note=form.get("note", ""))
                   or gettext("Đã ghi kết quả giải quyết."), "dossier_result")


@dossiers.route("/dossiers/<int:dossier_id>/note", methods=["POST"])
@requires("dossiers.edit")
def note(dossier_id: int):  # noqa: ANN201
    return _change(dossier_id, lambda db, d: add_note(db, d, request.form.get("text", ""), g.user.id)
                   or gettext("Đã thêm ghi chú."), "dossier_note")


@dossiers.route("/dossiers/<int:dossier_id>/summary", methods=["POST"])
@requires("dossiers.edit")
def summary(dossier_id: int):  # noqa: ANN201
    def act(db, dossier: Dossier) -> str:  # noqa: ANN001
        text = request.form.get("summary", "").strip()
        if not text:
            raise DossierError(gettext("tóm tắt trống"))
        dossier.summary = text
        return gettext("Đã sửa tóm tắt.")

    return _change(dossier_id, act, "dossier_summary")


@dossiers.route("/dossiers/<int:dossier_id>/attachments", methods=["POST"])
@requires("dossiers.edit")
def upload_attachment(dossier_id: int):  # noqa: ANN201
    upload = request.files.get("file")

    def act(db, dossier: Dossier) -> str:  # noqa: ANN001
        if upload is None or not upload.filename:
            raise DossierError(gettext("chưa chọn tệp"))
        data = upload.stream.read(MAX_ATTACHMENT_BYTES + 1)  # never more than the limit in memory
        add_attachment(db, services().settings.data_dir, dossier, data, upload.filename, g.user.id,
                       kind=request.form.get("kind", "reply"), note=request.form.get("note", ""))
        return gettext("Đã đính kèm %(name)s.", name=upload.filename)

    return _change(dossier_id, act, "dossier_attachment_added")


@dossiers.route("/dossiers/<int:dossier_id>/attachments/<int:attachment_id>")
@requires("dossiers.view")
def attachment(dossier_id: int, attachment_id: int):  # noqa: ANN201
    """A document filed on the matter. A protected matter's documents (an agency's reply names the denouncer) are
    for the people handling it only: nobody can black out a name inside someone else's PDF."""
    with services().db.write() as db:
        row = db.get(DossierAttachment, attachment_id)
        dossier = db.get(Dossier, dossier_id)
        if row is None or dossier is None or row.dossier_id != dossier_id:
            abort(404)
        masker, _seen = dossier_masker(db, dossier, g.user)
        if dossier.protected:
            record(db, "attachment_downloaded", actor="web", user_id=g.user.id, dossier=dossier.number,
                   attachment=row.id, identity_shown=not masker, refused=bool(masker))
        path = services().settings.data_dir / row.storage_path
        name, media = row.original_name, row.media_type
    if masker:
        abort(403, description=gettext("Tài liệu của hồ sơ tố cáo chỉ dành cho người được giao xử lý."))
    response = send_file(path, mimetype=media, as_attachment=True, download_name=name)
    response.headers["Cache-Control"] = "private, no-store"
    return response


def _vi(label: object) -> str:
    """A label as plain Vietnamese text: the printed documents are Vietnamese whatever language the pages use."""
    with force_locale("vi"):
        return str(label)


def _slip_letters(letters: list[Letter]) -> tuple[SlipLetter, ...]:
    return tuple(SlipLetter(x.register_no, x.received_date, _vi(labels.CHANNEL.get(x.channel, x.channel)))
                 for x in letters)


def _pdf(data: bytes, name: str) -> Response:
    response = Response(data, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'inline; filename="{name}"'
    return response


def _sender_line(letters: list[Letter]) -> str | None:
    extracted = ((letters[0].classification or {}).get("extracted") or {}) if letters else {}
    if not extracted.get("sender"):
        return None
    return extracted["sender"] + (f", trú tại {extracted['address']}" if extracted.get("address") else "")


def _printing(db, dossier_id: int, action: str) -> tuple[Dossier, list[Letter], str, Masker]:  # noqa: ANN001
    """What a printed document of the dossier needs, and the audit event of printing it. The document leaves
    the office: a protected matter's identities are hidden whoever prints it."""
    dossier = db.get(Dossier, dossier_id)
    if dossier is None:
        abort(404)
    letters = letters_of(db, dossier.id)
    agency = db.scalar(select(Agency.name).where(Agency.code == dossier.agency)) or dossier.agency
    masker = Masker([t for x in letters for t in identity_terms(x)]) if dossier.protected else Masker([])
    record(db, action, actor="web", user_id=g.user.id, dossier=dossier.number)
    return dossier, letters, agency, masker


@dossiers.route("/dossiers/<int:dossier_id>/slip.pdf")
@requires("dossiers.view")
def slip(dossier_id: int):  # noqa: ANN201
    """Phiếu chuyển đơn: never carries a denouncer's identity, whoever prints it."""
    settings = services().settings
    with services().db.write() as db:
        dossier, letters, agency, masker = _printing(db, dossier_id, "slip_printed")
        anonymous = any(((x.classification or {}).get("flags") or {}).get("anonymous") for x in letters)
        document = ForwardingSlip(
            number=f"{dossier.seq}/PC", issued=date.today(), place=settings.office_place,
            office_parent=settings.office_parent, office=settings.office_name, recipient=agency,
            dossier_number=dossier.number, type_label=_vi(labels.TYPE.get(dossier.type, dossier.type)),
            field_label=_vi(labels.FIELD.get(dossier.field, dossier.field)), summary=masker.text(dossier.summary) or "",
            letters=_slip_letters(letters), sender=None if dossier.protected or anonymous else _sender_line(letters),
            request="xem xét, giải quyết theo thẩm quyền và thông báo kết quả cho người gửi đơn và cơ quan chuyển đơn",
            signer_title=settings.signer_title, signer_name=settings.signer_name, protected=dossier.protected)
    try:
        data = forwarding_slip_pdf(document)
    except ValueError:
        abort(409, description=gettext("Tóm tắt còn chứa tên người tố cáo: sửa tóm tắt trước khi in phiếu."))
    return _pdf(data, f"phieu-chuyen-don-{dossier.seq}-{dossier.year}.pdf")


@dossiers.route("/dossiers/<int:dossier_id>/guidance.pdf")
@requires("dossiers.view")
def guidance(dossier_id: int):  # noqa: ANN201
    """Văn bản hướng dẫn: addressed to the sender by name only when the matter is not protected."""
    settings = services().settings
    with services().db.write() as db:
        dossier, letters, agency, masker = _printing(db, dossier_id, "guidance_printed")
        sender = _sender_line(letters)
        document = GuidanceLetter(
            number=f"{dossier.seq}/HD", issued=date.today(), place=settings.office_place,
            office_parent=settings.office_parent, office=settings.office_name,
            addressee=None if dossier.protected or not sender else f"Ông/Bà {sender}",
            letters=_slip_letters(letters), summary=masker.text(dossier.summary) or "", competent_body=agency,
            reason="nội dung đơn không thuộc thẩm quyền giải quyết của cơ quan nhận đơn",
            signer_title=settings.signer_title, signer_name=settings.signer_name, protected=dossier.protected)
    try:
        data = guidance_letter_pdf(document)
    except ValueError:
        abort(409, description=gettext("Tóm tắt còn chứa tên người tố cáo: sửa tóm tắt trước khi in văn bản."))
    return _pdf(data, f"huong-dan-{dossier.seq}-{dossier.year}.pdf")

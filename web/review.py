"""The review queue and the review page: the suggestions beside the scan, duplicates side by side, one form to
confirm or correct, attach to a matter and decide the handling; "save and next" moves down the queue."""

from __future__ import annotations

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext
from sqlalchemy import func, select
from sqlalchemy.orm import defer

from classify.corpus import AGENCIES, FIELDS, TYPES
from core.deadlines import DECISIONS, deadline_state
from ingest.confidentiality import record_views, visibilities, visibility
from ingest.dossiers import DossierError
from ingest.review import ReviewInput, correct_page_text, review_letter
from models import Agency, Dossier, Letter
from web import labels
from web.app import MAX_ID, services
from web.letter_view import letter_view
from web.permissions import requires

review = Blueprint("review", __name__)
# a list row needs neither the text nor the pipeline's bookkeeping: leave them in the database
LIST_COLUMNS = (defer(Letter.full_text), defer(Letter.stages))
QUEUE_PAGE = 50


def queue_page(page: int, size: int = QUEUE_PAGE) -> tuple[list[Letter], int]:
    """Letters waiting for review in queue order: needs-review first, then likely repeats, then by deadline."""
    with services().db.read() as db:
        waiting = Letter.queue_order.is_not(None)
        total = db.scalar(select(func.count()).where(waiting)) or 0
        rows = db.scalars(select(Letter).options(*LIST_COLUMNS).where(waiting)
                          .order_by(Letter.queue_order, Letter.due_date, Letter.id)
                          .offset((page - 1) * size).limit(size)).all()
        return list(rows), total


def masked_senders(letters: list[Letter]) -> set[int]:
    """The letters of a list whose sender the signed-in user may not see: protected by a reviewer's label or
    by their dossier, not only by the model's guess the list shows."""
    with services().db.read() as db:
        views = visibilities(db, g.user, letters)
    return {letter_id for letter_id, view in views.items() if view.masked}


def next_in_queue(after_id: int) -> int | None:
    """The first letter of the queue other than the one just reviewed."""
    with services().db.read() as db:
        return db.scalar(select(Letter.id).where(Letter.queue_order.is_not(None), Letter.id != after_id)
                         .order_by(Letter.queue_order, Letter.due_date, Letter.id).limit(1))


@review.route("/review")
@requires("letters.review")
def queue():  # noqa: ANN201
    page = max(1, request.args.get("page", 1, type=int))
    rows, total = queue_page(page)
    return render_template("review_queue.html", letters=rows, total=total, page=page, page_size=QUEUE_PAGE,
                           deadline_state=deadline_state, masked=masked_senders(rows))


def _agency_names() -> dict[str, str]:
    with services().db.read() as db:
        return {a.code: a.name for a in db.scalars(select(Agency).order_by(Agency.sort_order))}


def _resolve_dossier(form) -> str | int | None:  # noqa: ANN001
    """The dossier the form names: "new", a candidate's id, or a number typed as 0001/2026/HS (or an id)."""
    choice = form.get("dossier_choice", "")
    if choice == "new":
        return "new"
    if choice == "none" or not choice:
        return None
    if choice != "other":
        if not choice.isdigit() or int(choice) > MAX_ID:
            raise DossierError(gettext("không tìm thấy hồ sơ %(number)s", number=choice))
        return int(choice)
    typed = form.get("dossier_no", "").strip()
    if not typed:
        raise DossierError(gettext("chưa nhập số hồ sơ"))
    with services().db.read() as db:
        found = db.scalar(select(Dossier.id).where(Dossier.number == typed))
        if found is None and typed.lstrip("#").isdigit() and int(typed.lstrip("#")) <= MAX_ID:
            found = db.scalar(select(Dossier.id).where(Dossier.id == int(typed.lstrip("#"))))
    if found is None:
        raise DossierError(gettext("không tìm thấy hồ sơ %(number)s", number=typed))
    return found


@review.route("/letters/<int:letter_id>/review", methods=["GET", "POST"])
@requires("letters.review")
def review_page(letter_id: int):  # noqa: ANN201
    if request.method == "POST":
        form = request.form
        try:
            given = ReviewInput.from_mapping(form)
            given.dossier = _resolve_dossier(form)
            outcome = review_letter(services(), letter_id, g.user.id, given)
        except (DossierError, ValueError) as exc:
            flash(gettext("Chưa lưu: %(error)s", error=exc), "error")
            return _render_review(letter_id, status=400)
        message = gettext("Đã lưu kết quả duyệt")
        if outcome.dossier_number:
            message += "; " + gettext("hồ sơ %(number)s", number=outcome.dossier_number)
            if outcome.position and outcome.position > 1:
                message += " " + gettext("(đơn lần %(position)s)", position=outcome.position)
        if outcome.deadline:
            message += "; " + gettext("hạn xử lý %(due)s", due=f"{outcome.deadline:%d/%m/%Y}")
        flash(message + ".", "ok")
        if form.get("action") == "next":
            following = next_in_queue(letter_id)
            if following is not None:
                return redirect(url_for("review.review_page", letter_id=following))
            flash(gettext("Đã hết đơn chờ duyệt."), "ok")
            return redirect(url_for("review.queue"))
        return redirect(url_for("review.review_page", letter_id=letter_id))
    return _render_review(letter_id)


def _render_review(letter_id: int, status: int = 200):  # noqa: ANN202
    agency_names = _agency_names()
    with services().db.read() as db:
        letter = db.get(Letter, letter_id)
        if letter is None:
            abort(404)
        view = letter_view(db, g.user, letter)
        candidates = []
        for cand in view.duplicates:
            other = db.get(Letter, cand["letter_id"])
            dossier = db.get(Dossier, other.dossier_id) if other and other.dossier_id else None
            candidates.append({**cand, "dossier": dossier})
        position = None
        if view.dossier is not None:
            position = db.scalar(select(func.count()).where(
                Letter.dossier_id == view.dossier.id,
                (Letter.received_date < letter.received_date)
                | ((Letter.received_date == letter.received_date) & (Letter.id <= letter.id))))
        html = render_template(
            "review.html", view=view, letter=letter, candidates=candidates, position=position,
            types=TYPES, agencies=AGENCIES, fields=FIELDS, agency_names=agency_names, decisions=DECISIONS,
            decision_labels=labels.DECISION, deadline_state=deadline_state)
    record_views(services().db, g.user, [view.visibility], via="web")
    return html, status


@review.route("/letters/<int:letter_id>/pages/<int:index>/text", methods=["POST"])
@requires("letters.review")
def save_page_text(letter_id: int, index: int):  # noqa: ANN201
    with services().db.read() as db:
        letter = db.get(Letter, letter_id)
        if letter is None:
            abort(404)
        if visibility(db, g.user, letter).masked:
            abort(403)  # a masked text must never be saved over the real one
    try:
        correct_page_text(services(), letter_id, index, request.form.get("text", ""), g.user.id)
    except DossierError as exc:
        flash(str(exc), "error")
    else:
        flash(gettext("Đã lưu văn bản trang %(page)s.", page=index + 1), "ok")
    return redirect(url_for("review.review_page", letter_id=letter_id))


@review.route("/letters/<int:letter_id>/compare/<int:other_id>")
@requires("letters.view")
def compare(letter_id: int, other_id: int):  # noqa: ANN201
    with services().db.read() as db:
        first, second = db.get(Letter, letter_id), db.get(Letter, other_id)
        if first is None or second is None:
            abort(404)
        left = letter_view(db, g.user, first)
        right = letter_view(db, g.user, second)
        candidate = next((c for c in left.duplicates if c["letter_id"] == other_id), None)
        html = render_template("compare.html", left=left, right=right, candidate=candidate)
    record_views(services().db, g.user, [left.visibility, right.visibility], via="web")
    return html

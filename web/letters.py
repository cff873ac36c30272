"""Pages: the list of letters with live status, the upload form, and each letter's pages beside its text."""

from __future__ import annotations

import io

from flask import Blueprint, abort, flash, g, jsonify, redirect, render_template, request, send_file, url_for
from flask_babel import gettext
from sqlalchemy import func, select

from core.settings import CHANNELS
from ingest.confidentiality import masked_png, record_views, visibilities, visibility
from ingest.errors import IntakeError
from models import Letter, Page
from web.app import services
from web.auth import login_required
from web.letter_view import letter_view, masked_file_name
from web.permissions import requires
from web.uploads import parse_received, refusal_status, register_uploads

letters = Blueprint("letters", __name__)
PAGE_SIZE = 50


REVIEW = "review"  # the review queue, in its order (an index scan on queue_order, due_date, id)


def _letter_page(status: str | None, page: int) -> tuple[list[Letter], int]:
    with services().db.read() as db:
        query = select(Letter)
        count = select(func.count()).select_from(Letter)
        if status == REVIEW:
            waiting = Letter.queue_order.is_not(None)
            query, count = query.where(waiting), count.where(waiting)
            order = (Letter.queue_order, Letter.due_date, Letter.id)
        else:
            if status:
                query, count = query.where(Letter.status == status), count.where(Letter.status == status)
            order = (Letter.id.desc(),)
        total = db.scalar(count) or 0
        rows = db.scalars(query.order_by(*order).offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE)).all()
        return list(rows), total


@letters.route("/")
@login_required
def index():  # noqa: ANN201
    return redirect(url_for("dashboard.home"))


@letters.route("/letters")
@requires("letters.view")
def list_letters():  # noqa: ANN201
    status = request.args.get("status") or None
    page = max(1, request.args.get("page", 1, type=int))
    rows, total = _letter_page(status, page)
    template = "_letter_rows.html" if request.headers.get("HX-Request") else "letters.html"
    return render_template(template, letters=rows, total=total, page=page, status=status, page_size=PAGE_SIZE,
                           busy=any(not r.is_settled for r in rows), names=shown_file_names(rows))


def shown_file_names(rows: list[Letter]) -> dict[int, str]:
    """Each listed letter's file name as the signed-in user may see it (a protected letter's masked)."""
    with services().db.read() as db:
        views = visibilities(db, g.user, rows)
    return {x.id: masked_file_name(views[x.id].masker, x.original_name) for x in rows}


@letters.route("/letters/upload", methods=["GET", "POST"])
@requires("letters.upload")
def upload():  # noqa: ANN201
    if request.method == "POST":
        wants_json = request.accept_mimetypes.best == "application/json"  # the page's own per-file uploads
        files = [f for f in request.files.getlist("files") if f and f.filename]
        if not files:
            if wants_json:
                return jsonify({"error": "no file", "message_vi": "Chưa chọn tệp nào."}), 400
            flash(gettext("Chưa chọn tệp nào."), "error")
            return render_template("upload.html", channels=CHANNELS), 400
        try:
            outcomes = register_uploads(services(), files, request.form.get("channel", "post"),
                                        parse_received(request.form.get("received")), g.user.id, "web")
        except IntakeError as exc:
            if wants_json:
                return jsonify({"error": exc.message, "code": exc.code, "message_vi": exc.message_vi}), 400
            flash(exc.message_vi, "error")
            return render_template("upload.html", channels=CHANNELS), 400
        # nothing registered: say so in the status too (413 too large, 415 type, 422 content), not only in words
        status = refusal_status(outcomes) or 202
        if wants_json:
            return jsonify({"letters": outcomes}), status
        return render_template("upload_result.html", outcomes=outcomes), 200 if status == 202 else status
    return render_template("upload.html", channels=CHANNELS)


@letters.route("/letters/<int:letter_id>")
@requires("letters.view")
def show(letter_id: int):  # noqa: ANN201
    with services().db.read() as db:
        letter = db.get(Letter, letter_id)
        if letter is None:
            abort(404)
        view = letter_view(db, g.user, letter)
        html = render_template("letter.html", letter=letter, view=view, pages=view.pages)
    record_views(services().db, g.user, [view.visibility], via="web")
    return html


@letters.route("/letters/<int:letter_id>/pages/<int:index>.png")
@requires("letters.view")
def page_image(letter_id: int, index: int):  # noqa: ANN201
    with services().db.read() as db:
        letter = db.get(Letter, letter_id)
        page = db.scalar(select(Page).where(Page.letter_id == letter_id, Page.index == index))
        if letter is None or page is None or not page.image_path:
            abort(404)
        path = str(services().store.path(page.image_path))
        seen = visibility(db, g.user, letter)
        boxes = seen.masker.word_boxes(page.words or []) if seen.masked else []
        # no word boxes to black out: the scan itself would show the denouncer
        refused = seen.masked and not page.words
    record_views(services().db, g.user, [seen], via="web", page=index, **({"refused": True} if refused else {}))
    if refused:
        abort(403)
    if seen.masked:
        response = send_file(io.BytesIO(masked_png(path, boxes)), mimetype="image/png")
        response.headers["Cache-Control"] = "private, no-store"
        return response
    response = send_file(path, mimetype="image/png", max_age=3600)
    response.headers["Cache-Control"] = "private, max-age=3600"
    return response

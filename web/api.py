"""JSON API ``/api/v1``: authenticated by a personal token (``Authorization: Bearer``) or the login session."""

from __future__ import annotations

from functools import wraps

from flask import Blueprint, abort, g, jsonify, request, session, url_for
from flask_wtf.csrf import CSRFError, validate_csrf
from sqlalchemy import func, select
from werkzeug.exceptions import HTTPException
from wtforms.validators import ValidationError

from classify.labels import current_labels
from ingest.confidentiality import Masker, record_views
from ingest.dossiers import DossierError, decide, dossier_json, open_dossier
from ingest.errors import IntakeError
from ingest.indexing import index_letter
from ingest.review import ReviewInput, review_letter
from models import Dossier, Letter, User
from web.accounts import token_holder
from web.app import MAX_ID, api_error, services
from web.dossiers import dossier_masker
from web.letter_status import letter_status
from web.letter_view import letter_view, masked_file_name
from web.openapi import openapi_document
from web.permissions import can
from web.search_page import hit_json, masked_hits, query_from_args
from web.uploads import STATUS_FOR_CODE, parse_received, refusal_status, register_uploads

api = Blueprint("api", __name__, url_prefix="/api/v1")


def _error(message: str, code: str, status: int):  # noqa: ANN202
    return jsonify({"error": message, "code": code}), status


def api_auth(view):  # noqa: ANN001, ANN201
    @wraps(view)
    def wrapped(*args, **kwargs):  # noqa: ANN202
        header = request.headers.get("Authorization", "")
        if header.startswith("Bearer "):
            with services().db.write() as db:
                holder = token_holder(db, header[7:].strip())
                read_only = holder is not None and holder[1].read_only
                if holder is not None:
                    db.expunge(holder[0])
            if holder is None:
                return _error("invalid or revoked API token", "unauthorized", 401)
            if read_only and request.method not in ("GET", "HEAD", "OPTIONS"):
                return _error("this API token is read-only", "forbidden", 403)
            g.user = holder[0]
        elif g.get("user") is not None and session.get("user_id"):
            if request.method not in ("GET", "HEAD", "OPTIONS"):
                try:  # a cookie session must prove the request came from our own page
                    validate_csrf(request.headers.get("X-CSRFToken", ""))
                except (ValidationError, CSRFError):
                    return _error("missing or invalid CSRF token", "csrf", 400)
        else:
            return _error("authentication required", "unauthorized", 401)
        return view(*args, **kwargs)

    return wrapped


@api.errorhandler(HTTPException)
def http_error(exc: HTTPException):  # noqa: ANN201
    return api_error(exc)


def _id_value(value: object) -> int | None:
    """An id given in a JSON body: an integer that fits an id column (bool is not one), else None."""
    if isinstance(value, int) and not isinstance(value, bool) and 0 < value <= MAX_ID:
        return value
    return None


def _letter_json(outcome: dict) -> dict:
    if "letter_id" in outcome:
        outcome = {**outcome, "status_url": url_for("api.get_status", letter_id=outcome["letter_id"])}
    return outcome


def _forbidden(permission: str):  # noqa: ANN202
    if not can(g.user, permission):
        return _error(f"your role ({g.user.role}) may not do this ({permission})", "forbidden", 403)
    return None


def permission(name: str):  # noqa: ANN201
    """An API view that needs ``name`` (after ``api_auth``): 403 JSON otherwise."""
    def decorate(view):  # noqa: ANN001, ANN202
        @wraps(view)
        def wrapped(*args, **kwargs):  # noqa: ANN202
            refused = _forbidden(name)
            return refused if refused is not None else view(*args, **kwargs)

        wrapped.permission = name  # type: ignore[attr-defined]
        return wrapped

    return decorate


@api.post("/letters")
@api_auth
@permission("letters.upload")
def upload_letters():  # noqa: ANN201
    files = [f for f in request.files.getlist("file") + request.files.getlist("files") if f]
    if not files:
        return _error("send the file as multipart form field 'file'", "bad_request", 400)
    try:
        outcomes = register_uploads(services(), files, request.form.get("channel", "post"),
                                    parse_received(request.form.get("received")), g.user.id, "api")
    except IntakeError as exc:
        return _error(exc.message, exc.code, STATUS_FOR_CODE.get(exc.code, 400))
    outcomes = [_letter_json(o) for o in outcomes]
    if len(outcomes) == 1:
        only = outcomes[0]
        if "error" in only:
            return _error(only["error"], only["code"], STATUS_FOR_CODE.get(only["code"], 422))
        response = jsonify(only)
        response.status_code = 202
        response.headers["Location"] = only["status_url"]
        return response
    refused = refusal_status(outcomes)
    if refused is not None:  # none of the files was registered: an error as documented, each file's reason listed
        first = outcomes[0]
        return jsonify({"error": first["error"], "code": first["code"], "letters": outcomes}), refused
    return jsonify({"letters": outcomes}), 202


@api.get("/letters/<int:letter_id>/status")
@api_auth
@permission("letters.view")
def get_status(letter_id: int):  # noqa: ANN201
    info = letter_status(services(), letter_id)
    if info is None:
        abort(404, description=f"letter {letter_id} does not exist")
    return jsonify(info)


@api.get("/letters/<int:letter_id>")
@api_auth
@permission("letters.view")
def get_letter(letter_id: int):  # noqa: ANN201
    """Status, text, the classification (``donthu classify --json`` shape) and the duplicate candidates
    (``donthu duplicates --json`` shape); a protected letter's identity is masked unless the caller handles it."""
    with services().db.read() as db:
        letter = db.get(Letter, letter_id)
        if letter is None:
            abort(404, description=f"letter {letter_id} does not exist")
        view = letter_view(db, g.user, letter)
        body = {
            "letter_id": letter.id, "register_no": letter.register_no, "status": letter.status,
            "received_date": letter.received_date.isoformat(), "channel": letter.channel,
            "original_name": view.original_name, "media_type": letter.media_type,
            "page_count": letter.page_count, "text": view.text, "text_source": letter.text_source,
            "ocr_confidence": letter.ocr_confidence, "error": letter.error,
            "classification": view.classification,
            "duplicates": {"letter_id": letter.id, "candidates": view.duplicates},
            "labels": view.labels, "protected": view.visibility.protected, "identity_masked": view.masked,
            "dossier_id": letter.dossier_id, "decision": letter.decision,
            "due_date": letter.due_date.isoformat() if letter.due_date else None,
            "reviewed_at": letter.reviewed_at.isoformat(timespec="seconds") if letter.reviewed_at else None,
            "status_url": url_for("api.get_status", letter_id=letter.id),
        }
    record_views(services().db, g.user, [view.visibility], via="api")
    return jsonify(body)


def _dossier_body(db, dossier: Dossier, masker: Masker) -> dict:  # noqa: ANN001
    """``dossier_json`` with the history masked once more as file names are (a step names an attached file)."""
    body = dossier_json(db, dossier, masker=masker)
    if masker:
        for step in body["steps"]:
            step["detail"] = masked_file_name(masker, step["detail"])
    return body


def _json_body() -> dict:
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        abort(400, description="send a JSON object body")
    return data


def _dossier_id(value: object) -> int | str | None:
    """A dossier named by id, by number ("0001/2026/HS") or "new"."""
    if value in (None, "", "new"):
        return value or None
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise DossierError(f"dossier must be \"new\", an id or a number, not {value!r}")
    if isinstance(value, int) or value.isdigit():
        if _id_value(int(value)) is None:
            raise DossierError(f"no dossier {value}")
        return int(value)
    with services().db.read() as db:
        found = db.scalar(select(Dossier.id).where(Dossier.number == str(value)))
    if found is None:
        raise DossierError(f"no dossier {value}")
    return found


@api.post("/letters/<int:letter_id>/review")
@api_auth
@permission("letters.review")
def review_letter_api(letter_id: int):  # noqa: ANN201
    """Confirm or correct the labels, attach to a dossier ("new", an id or a number) and decide the handling."""
    data = _json_body()
    try:
        given = ReviewInput.from_mapping({**data, "dossier": None})
        given.dossier = _dossier_id(data.get("dossier"))
        outcome = review_letter(services(), letter_id, g.user.id, given, actor="api")
    except DossierError as exc:
        status = 404 if "không có đơn" in str(exc) else 422
        return _error(str(exc), "invalid_review", status)
    return jsonify(outcome.as_dict())


@api.get("/search")
@api_auth
@permission("search")
def search():  # noqa: ANN201
    """The shape ``donthu search --json`` prints; protected hits are masked for callers who do not handle them."""
    try:
        query = query_from_args(request.args)
        result = services().search.query(query)
    except ValueError as exc:
        return _error(str(exc), "bad_request", 400)
    with services().db.read() as db:
        shown = masked_hits(db, g.user, result, query.text)
    record_views(services().db, g.user, shown.seen, via="api", search=query.text)
    return jsonify({"total": result.total - shown.withheld, "hits": [hit_json(h) for h in shown.hits]})


@api.get("/dossiers")
@api_auth
@permission("dossiers.view")
def list_dossiers():  # noqa: ANN201
    status = request.args.get("status") or None
    limit = min(200, max(1, request.args.get("limit", 50, type=int)))
    offset = min(MAX_ID, max(0, request.args.get("offset", 0, type=int)))
    items, seen = [], []
    with services().db.read() as db:
        query = select(Dossier)
        if status:
            query = query.where(Dossier.status == status)
        total = db.scalar(select(func.count()).select_from(query.subquery())) or 0
        for dossier in db.scalars(query.order_by(Dossier.id.desc()).offset(offset).limit(limit)):
            masker, views = dossier_masker(db, dossier, g.user)
            items.append(_dossier_body(db, dossier, masker))
            seen += views
    record_views(services().db, g.user, seen, via="api")
    return jsonify({"total": total, "dossiers": items})


@api.get("/dossiers/<int:dossier_id>")
@api_auth
@permission("dossiers.view")
def get_dossier(dossier_id: int):  # noqa: ANN201
    with services().db.read() as db:
        dossier = db.get(Dossier, dossier_id)
        if dossier is None:
            abort(404, description=f"dossier {dossier_id} does not exist")
        masker, seen = dossier_masker(db, dossier, g.user)
        body = _dossier_body(db, dossier, masker)
    record_views(services().db, g.user, seen, via="api", dossier=body["number"])
    return jsonify(body)


@api.post("/dossiers")
@api_auth
@permission("dossiers.create")
def create_dossier():  # noqa: ANN201
    """Open a dossier from a letter: {"letter_id": N, "type"?, "field"?, "agency"?, "summary"?, "decision"?}.
    Labels default to the letter's current ones (a reviewer's, else the model's)."""
    data = _json_body()
    letter_id = _id_value(data.get("letter_id"))
    if letter_id is None:
        return _error("letter_id (a positive integer id) is required", "bad_request", 400)
    with services().db.write() as db:
        letter = db.get(Letter, letter_id)
        if letter is None:
            return _error(f"letter {letter_id} does not exist", "not_found", 404)
        if letter.dossier_id is not None:
            return _error(f"letter {letter_id} is already in dossier {letter.dossier_id}", "conflict", 409)
        labels = current_labels(db, letter)
        chosen = {k: data.get(k) or labels[k] for k in ("type", "field", "agency")}
        if not all(chosen.values()):
            return _error("type, field and agency are required for a letter without labels", "bad_request", 400)
        try:
            dossier = open_dossier(db, letter, g.user.id, summary=data.get("summary"), **chosen)
            if data.get("decision"):
                decide(db, dossier, str(data["decision"]), g.user.id)
        except DossierError as exc:
            db.rollback()
            return _error(str(exc), "invalid_dossier", 422)
        db.flush()
        body = dossier_json(db, dossier)
        location = url_for("api.get_dossier", dossier_id=dossier.id)
    index_letter(services(), letter_id)
    response = jsonify(body)
    response.status_code = 201
    response.headers["Location"] = location
    return response


@api.get("/openapi.json")
def openapi():  # noqa: ANN201
    return jsonify(openapi_document())


@api.get("/me")
@api_auth
def me():  # noqa: ANN201
    user: User = g.user
    return jsonify({"id": user.id, "email": user.email, "role": user.role})

"""JSON API ``/api/v1``: authenticated by a personal token (``Authorization: Bearer``) or the login session."""

from __future__ import annotations

from functools import wraps

from flask import Blueprint, abort, g, jsonify, request, session, url_for
from flask_wtf.csrf import CSRFError, validate_csrf
from werkzeug.exceptions import HTTPException
from wtforms.validators import ValidationError

from ingest.errors import IntakeError
from models import Letter, User
from web.accounts import user_for_token
from web.app import services
from web.letter_status import letter_status
from web.uploads import parse_received, register_uploads

api = Blueprint("api", __name__, url_prefix="/api/v1")

STATUS_FOR_CODE = {"unsupported_type": 415, "file_too_large": 413, "too_many_pages": 413, "image_too_large": 413,
                   "bad_request": 400}


def _error(message: str, code: str, status: int):  # noqa: ANN202
    return jsonify({"error": message, "code": code}), status


def api_auth(view):  # noqa: ANN001, ANN201
    @wraps(view)
    def wrapped(*args, **kwargs):  # noqa: ANN202
        header = request.headers.get("Authorization", "")
        if header.startswith("Bearer "):
            with services().db.write() as db:
                user = user_for_token(db, header[7:].strip())
                if user is not None:
                    db.expunge(user)
            if user is None:
                return _error("invalid or revoked API token", "unauthorized", 401)
            g.user = user
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
    code = {413: "file_too_large", 404: "not_found"}.get(exc.code or 500, "http_error")
    return _error(exc.description or exc.name, code, exc.code or 500)


def _letter_json(outcome: dict) -> dict:
    if "letter_id" in outcome:
        outcome = {**outcome, "status_url": url_for("api.get_status", letter_id=outcome["letter_id"])}
    return outcome


@api.post("/letters")
@api_auth
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
    accepted = any("letter_id" in o for o in outcomes)
    return jsonify({"letters": outcomes}), 202 if accepted else 422


@api.get("/letters/<int:letter_id>/status")
@api_auth
def get_status(letter_id: int):  # noqa: ANN201
    info = letter_status(services(), letter_id)
    if info is None:
        abort(404, description=f"letter {letter_id} does not exist")
    return jsonify(info)


@api.get("/letters/<int:letter_id>")
@api_auth
def get_letter(letter_id: int):  # noqa: ANN201
    with services().db.read() as db:
        letter = db.get(Letter, letter_id)
        if letter is None:
            abort(404, description=f"letter {letter_id} does not exist")
        body = {
            "letter_id": letter.id, "register_no": letter.register_no, "status": letter.status,
            "received_date": letter.received_date.isoformat(), "channel": letter.channel,
            "original_name": letter.original_name, "media_type": letter.media_type,
            "page_count": letter.page_count, "text": letter.full_text, "text_source": letter.text_source,
            "ocr_confidence": letter.ocr_confidence, "error": letter.error,
            "status_url": url_for("api.get_status", letter_id=letter.id),
        }
    return jsonify(body)


@api.get("/me")
@api_auth
def me():  # noqa: ANN201
    user: User = g.user
    return jsonify({"id": user.id, "email": user.email, "role": user.role})

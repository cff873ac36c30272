"""Flask app factory."""

from __future__ import annotations

import json
from datetime import date

from flask import Flask, Response, g, make_response, render_template, request
from flask_babel import gettext
from flask_wtf.csrf import CSRFError, CSRFProtect
from sqlalchemy.exc import DataError
from werkzeug.exceptions import BadRequest, HTTPException
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter

from core.settings import Settings, load_settings
from ingest.services import Services
from web import labels
from web.i18n import init_i18n

csrf = CSRFProtect()

MAX_ID = 2**31 - 1  # ids are 32-bit integer columns in PostgreSQL
CSP = ("default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; object-src 'none'; "
       "base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
API_ERROR_CODES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
                   405: "method_not_allowed", 409: "conflict", 413: "file_too_large", 415: "unsupported_type",
                   422: "invalid", 429: "too_many_requests"}


class IdConverter(IntegerConverter):
    """``<int:...>`` in routes: a number too large for an id column names nothing (404) instead of overflowing
    the database driver (500)."""

    def __init__(self, map, fixed_digits: int = 0, min: int | None = None, max: int | None = MAX_ID,  # noqa: A002, ANN001
                 signed: bool = False) -> None:
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


def api_error(exc: HTTPException) -> Response:
    """An HTTP error as the API's JSON ``{"error", "code"}``, keeping the headers it carries (``Allow``)."""
    response = exc.get_response()
    code = exc.code or 500
    response.set_data(json.dumps({"error": exc.description or exc.name, "code": API_ERROR_CODES.get(code, "http_error")}))
    response.mimetype = "application/json"
    return response


def _size(n: int) -> str:
    return f"{n // (1024 * 1024)} MB" if n >= 1024 * 1024 else f"{max(1, n // 1024)} KB"


def _error_message(exc: HTTPException) -> str:
    if isinstance(exc, CSRFError):
        return gettext("Biểu mẫu đã hết hạn hoặc thiếu mã bảo vệ (CSRF). Hãy tải lại trang rồi thử lại.")
    if exc.description and exc.description != type(exc).description:
        return exc.description  # a reason the view gave (abort(409, description=...))
    messages = {
        400: gettext("Yêu cầu không hợp lệ."), 403: gettext("Bạn không có quyền xem trang này hoặc làm thao tác này."),
        404: gettext("Không tìm thấy trang hoặc mục bạn yêu cầu."),
        405: gettext("Trang này không nhận phương thức %(method)s.", method=request.method),
        413: gettext("Tệp hoặc biểu mẫu gửi lên quá lớn: mỗi tệp tối đa %(size)s.",
                     size=_size(services().settings.max_upload_bytes)),
        429: gettext("Quá nhiều yêu cầu. Vui lòng thử lại sau."), 500: gettext("Lỗi máy chủ. Vui lòng thử lại sau.")}
    return messages.get(exc.code or 500, exc.name)


def _out_of_range(_exc: Exception) -> Response:
    return error_page(BadRequest(description=gettext("Giá trị số quá lớn hoặc không hợp lệ.")))


def error_page(exc: HTTPException) -> Response:
    """Every HTTP error: JSON under ``/api/``, else a page of the app in the reader's language."""
    if request.path.startswith("/api/"):
        return api_error(exc)
    original = exc.get_response()
    try:
        html = render_template("error.html", code=exc.code or 500, message=_error_message(exc))
    except Exception:  # noqa: BLE001 - the page itself failed (database down): the plain error still answers
        return original
    response = make_response(html, exc.code or 500)
    for name in ("Allow", "Retry-After"):
        if name in original.headers:
            response.headers[name] = original.headers[name]
    return response


def create_app(settings: Settings | None = None) -> Flask:
    settings = settings or load_settings()
    app = Flask(__name__)
    app.config.update(
        SECRET_KEY=settings.secret_key,
        MAX_CONTENT_LENGTH=settings.max_upload_bytes * 10 + 1024 * 1024,  # a form may carry several files
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.secure_cookies,
        SESSION_COOKIE_NAME="donthu_session",
        PERMANENT_SESSION_LIFETIME=8 * 3600,
        WTF_CSRF_TIME_LIMIT=None,
    )
    app.extensions["donthu"] = Services(settings)
    if settings.proxy_hops > 0:
        hops = settings.proxy_hops
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)  # type: ignore[method-assign]
    app.url_map.converters["int"] = IdConverter  # before any route is added
    csrf.init_app(app)
    init_i18n(app)

    from web.admin import admin
    from web.api import api
    from web.auth import auth, load_current_user
    from web.dashboard import dashboard
    from web.dossiers import dossiers
    from web.followup import followup
    from web.letters import letters
    from web.permissions import can
    from web.reception import reception
    from web.reports import reports
    from web.review import review
    from web.search_page import search_page

    app.before_request(load_current_user)
    for blueprint in (auth, letters, dashboard, review, dossiers, followup, reception, search_page, reports, admin, api):
        app.register_blueprint(blueprint)
    csrf.exempt(api)  # the API checks CSRF itself for cookie sessions; bearer tokens need none

    app.jinja_env.globals.update(labels=labels, current_user=lambda: g.get("user"), today=date.today,
                                 can=lambda permission: can(g.get("user"), permission))
    app.jinja_env.filters["dmy"] = labels.format_date

    app.register_error_handler(HTTPException, error_page)
    # a number typed into a form or a query string that no column can hold: the caller's mistake, not ours
    app.register_error_handler(OverflowError, _out_of_range)
    app.register_error_handler(DataError, _out_of_range)

    @app.after_request
    def security_headers(response: Response) -> Response:
        """On every response — pages, API, errors, static files."""
        headers = response.headers
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("Referrer-Policy", "same-origin")
        headers.setdefault("Content-Security-Policy", CSP)
        headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        headers.setdefault("Cross-Origin-Resource-Policy", "same-origin")
        headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=()")
        if settings.secure_cookies:
            headers.setdefault("Strict-Transport-Security", "max-age=31536000")
        if g.get("user") is not None:
            # a signed-in page may show a denouncer: never kept in a cache (or shown by Back after log out)
            headers.setdefault("Cache-Control", "no-store")
        return response

    return app


def services() -> Services:
    from flask import current_app

    return current_app.extensions["donthu"]

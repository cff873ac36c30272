"""Flask app factory."""

from __future__ import annotations

from datetime import date

from flask import Flask, g
from flask_wtf.csrf import CSRFProtect

from core.settings import Settings, load_settings
from ingest.services import Services
from web import labels
from web.i18n import init_i18n

csrf = CSRFProtect()


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

    @app.after_request
    def security_headers(response):  # noqa: ANN001, ANN202
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'",
        )
        return response

    return app


def services() -> Services:
    from flask import current_app

    return current_app.extensions["donthu"]

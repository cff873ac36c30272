"""Log in and out; the current user on ``g.user``; ``login_required`` for views.

A login starts a new session (nothing the browser held before carries over, so a planted cookie gains nothing)
registered server-side (``web.sessions``), so that log out ends it for every copy of the cookie. Attempts are
rate limited per account and per address (``web.ratelimit``); every login, refusal and log out is audited."""

from __future__ import annotations

from functools import wraps
from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, g, redirect, render_template, request, session, url_for
from flask_babel import gettext
from sqlalchemy import select

from models import User
from models.audit import record
from models.base import utcnow
from web.accounts import verify_password
from web.app import services
from web.i18n import SESSION_KEY
from web.ratelimit import LoginLimiter
from web.sessions import SessionRegistry

auth = Blueprint("auth", __name__)


SID_KEY = "sid"


def load_current_user() -> None:
    g.user = None
    user_id = session.get("user_id")
    if user_id is None:
        return
    if not registry().alive(session.get(SID_KEY), user_id):
        _forget_login()  # logged out elsewhere, expired, or a cookie from before sessions were registered
        return
    with services().db.read() as db:
        user = db.get(User, user_id)
        if user is not None and user.active:
            db.expunge(user)
            g.user = user


def _forget_login() -> None:
    """Clear the session but keep the language chosen."""
    language = session.get(SESSION_KEY)
    session.clear()
    if language:
        session[SESSION_KEY] = language


def registry() -> SessionRegistry:
    """The app's record of live login sessions (one Redis client per app)."""
    found = current_app.extensions.get("donthu_sessions")
    if found is None:
        settings = services().settings
        lifetime = int(current_app.permanent_session_lifetime.total_seconds())
        found = SessionRegistry(settings.effective_redis_url, f"{settings.queue_name}:session", lifetime)
        current_app.extensions["donthu_sessions"] = found
    return found


def login_required(view):  # noqa: ANN001, ANN201
    @wraps(view)
    def wrapped(*args, **kwargs):  # noqa: ANN202
        if g.get("user") is None:
            return redirect(url_for("auth.login", next=request.full_path))
        return view(*args, **kwargs)

    return wrapped


def _limiter() -> LoginLimiter:
    limiter = current_app.extensions.get("donthu_login_limiter")
    if limiter is None:
        settings = services().settings
        limiter = LoginLimiter(settings.effective_redis_url, prefix=f"{settings.queue_name}:login")
        current_app.extensions["donthu_login_limiter"] = limiter
    return limiter


def _safe_next(target: str | None) -> str:
    """Only a path on this site: never send a freshly logged-in user elsewhere. Browsers read a backslash as a
    slash and drop tabs and newlines, so "/\\evil" and "/<tab>/evil" are other sites too."""
    if target and target.startswith("/") and not any(c == "\\" or ord(c) < 0x20 or c == "\x7f" for c in target):
        parts = urlsplit(target)
        if not target.startswith("//") and not parts.scheme and not parts.netloc:
            return target
    return url_for("dashboard.home")


@auth.route("/login", methods=["GET", "POST"])
def login():  # noqa: ANN201
    if request.method == "POST":
        email = request.form.get("email", "").strip().lower()[:255]
        password = request.form.get("password", "")
        limiter = _limiter()
        address = request.remote_addr or "?"
        if not limiter.begin(email, address):
            with services().db.write() as db:
                record(db, "login_refused", actor="web", email=email, address=address, reason="rate_limited")
            flash(gettext("Đăng nhập sai quá nhiều lần. Vui lòng thử lại sau 15 phút."), "error")
            return render_template("login.html", email=email), 429
        with services().db.write() as db:
            user = db.scalar(select(User).where(User.email == email))
            if user is not None and user.active and verify_password(user.password_hash, password):
                user.last_login_at = utcnow()
                record(db, "login", actor="web", user_id=user.id, address=address)
                user_id = user.id
            else:
                record(db, "login_failed", actor="web", user_id=user.id if user else None, email=email,
                       address=address)
                user_id = None
        if user_id is not None:
            limiter.succeeded(email, address)
            registry().end(session.get(SID_KEY))  # a session already open in this browser ends here
            _forget_login()  # a new session on login: no fixation, and a fresh CSRF token
            session.permanent = True  # expires after PERMANENT_SESSION_LIFETIME
            session["user_id"] = user_id
            session[SID_KEY] = registry().start(user_id)
            return redirect(_safe_next(request.args.get("next")))
        flash(gettext("Email hoặc mật khẩu không đúng."), "error")
        return render_template("login.html", email=email), 401
    return render_template("login.html", email="")


@auth.route("/logout", methods=["POST"])
def logout():  # noqa: ANN201
    user = g.get("user")
    registry().end(session.get(SID_KEY))
    if user is not None:
        with services().db.write() as db:
            record(db, "logout", actor="web", user_id=user.id)
    _forget_login()
    return redirect(url_for("auth.login"))

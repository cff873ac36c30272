"""Log in and out; the current user on ``g.user``; ``login_required`` for views."""

from __future__ import annotations

from functools import wraps

from flask import Blueprint, flash, g, redirect, render_template, request, session, url_for
from flask_babel import gettext
from sqlalchemy import select

from models import User
from models.audit import record
from models.base import utcnow
from web.accounts import verify_password
from web.app import services
from web.i18n import SESSION_KEY
from web.ratelimit import LoginLimiter

auth = Blueprint("auth", __name__)


def load_current_user() -> None:
    g.user = None
    user_id = session.get("user_id")
    if user_id is None:
        return
    with services().db.read() as db:
        user = db.get(User, user_id)
        if user is not None and user.active:
            db.expunge(user)
            g.user = user


def login_required(view):  # noqa: ANN001, ANN201
    @wraps(view)
    def wrapped(*args, **kwargs):  # noqa: ANN202
        if g.get("user") is None:
            return redirect(url_for("auth.login", next=request.full_path))
        return view(*args, **kwargs)

    return wrapped


def _limiter() -> LoginLimiter:
    from flask import current_app

    limiter = current_app.extensions.get("donthu_login_limiter")
    if limiter is None:
        settings = services().settings
        limiter = LoginLimiter(settings.effective_redis_url, prefix=f"{settings.queue_name}:login")
        current_app.extensions["donthu_login_limiter"] = limiter
    return limiter


def _safe_next(target: str | None) -> str:
    # only local paths: never redirect a freshly logged-in user to another site
    if target and target.startswith("/") and not target.startswith("//"):
        return target
    return url_for("dashboard.home")


@auth.route("/login", methods=["GET", "POST"])
def login():  # noqa: ANN201
    if request.method == "POST":
        email = request.form.get("email", "").strip().lower()
        password = request.form.get("password", "")
        limiter = _limiter()
        address = request.remote_addr or "?"
        if limiter.blocked(email, address):
            flash(gettext("Đăng nhập sai quá nhiều lần. Vui lòng thử lại sau 15 phút."), "error")
            return render_template("login.html", email=email), 429
        with services().db.write() as db:
            user = db.scalar(select(User).where(User.email == email))
            if user is not None and user.active and verify_password(user.password_hash, password):
                user.last_login_at = utcnow()
                record(db, "login", actor="web", user_id=user.id)
                user_id = user.id
            else:
                user_id = None
        if user_id is not None:
            limiter.succeeded(email)
            language = session.get(SESSION_KEY)
            session.clear()  # a new session on login: no fixation
            if language:
                session[SESSION_KEY] = language  # the language chosen on the login page stays
            session.permanent = True  # expires after PERMANENT_SESSION_LIFETIME
            session["user_id"] = user_id
            return redirect(_safe_next(request.args.get("next")))
        limiter.failed(email, address)
        flash(gettext("Email hoặc mật khẩu không đúng."), "error")
        return render_template("login.html", email=email), 401
    return render_template("login.html", email="")


@auth.route("/logout", methods=["POST"])
def logout():  # noqa: ANN201
    language = session.get(SESSION_KEY)
    session.clear()
    if language:
        session[SESSION_KEY] = language
    return redirect(url_for("auth.login"))

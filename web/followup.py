"""Follow-up pages: the matters overdue or due soon with counts per officer and per handler agency, the urge
(đôn đốc) form, and each user's notifications; plus the unread count the top bar shows."""

from __future__ import annotations

import time
from datetime import date

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext
from sqlalchemy import func, select, update

from ingest.dossiers import DossierError
from ingest.followup import (
    UNASSIGNED,
    last_urged,
    overdue_and_due_soon,
    summary_by_agency,
    summary_by_officer,
    urge,
)
from models import Agency, Dossier, Notification, User
from models.audit import record
from models.base import utcnow
from web.app import services
from web.permissions import can, requires

followup = Blueprint("followup", __name__)
LISTED = 500  # matters listed at most; the counts above the list cover them all
NOTIFICATIONS_PAGE = 50
STATES = ("overdue", "due_soon")


def _filters(source) -> dict[str, str | None]:  # noqa: ANN001 - request.args or request.form
    """The list's filters from a query string or a form, cleaned: unknown values are dropped."""
    officer = (source.get("officer") or "").strip()
    if officer != UNASSIGNED and not officer.isdigit():
        officer = ""
    state = source.get("state") or ""
    return {"officer": officer or None, "agency": (source.get("agency") or "").strip()[:32] or None,
            "state": state if state in STATES else None}


@followup.route("/followup")
@requires("followup.view")
def index():  # noqa: ANN201
    filters = _filters(request.args)
    today = date.today()
    soon_days = services().settings.reminder_soon_days
    with services().db.read() as db:
        rows = overdue_and_due_soon(db, today, soon_days, limit=LISTED + 1, **filters)
        by_officer = summary_by_officer(db, today, soon_days)
        by_agency = summary_by_agency(db, today, soon_days)
        urged = last_urged(db, [row.Dossier.id for row in rows])
        officers = list(db.scalars(select(User).where(User.active.is_(True), User.role.in_(("officer", "reviewer")))
                                   .order_by(User.full_name, User.email)))
        agencies = list(db.scalars(select(Agency).order_by(Agency.sort_order, Agency.name)))
    return render_template(
        "followup/index.html", rows=rows[:LISTED], more=len(rows) > LISTED, by_officer=by_officer,
        by_agency=by_agency, urged=urged, officers=officers, agencies=agencies, filters=filters,
        filtered=any(filters.values()), soon_days=soon_days, today_=today, unassigned=UNASSIGNED,
        totals={"overdue": sum(c.overdue for c in by_agency), "due_soon": sum(c.due_soon for c in by_agency),
                "open": sum(c.open for c in by_agency)},
        can_urge=can(g.user, "followup.urge"))


@followup.route("/followup/<int:dossier_id>/urge", methods=["POST"])
@requires("followup.urge")
def urge_dossier(dossier_id: int):  # noqa: ANN201
    back = url_for("followup.index", **{k: v for k, v in _filters(request.form).items() if v})
    with services().db.write() as db:
        dossier = db.get(Dossier, dossier_id)
        if dossier is None:
            abort(404)
        try:
            urge(db, dossier, g.user.id, request.form.get("note", ""))
        except DossierError as exc:
            db.rollback()
            flash(gettext("Chưa lưu: %(error)s", error=exc), "error")
            return redirect(back)
        number = dossier.number
    flash(gettext("Đã ghi đôn đốc hồ sơ %(number)s.", number=number), "ok")
    return redirect(back)


# -- notifications ------------------------------------------------------------------------------------------------


_UNREAD_TTL = 20.0  # seconds a count is reused by this process: the badge need not be exact to the second
_unread: dict[tuple[str, int], tuple[float, int]] = {}  # (database, user) -> (when counted, count)


def unread_count() -> int:
    """The signed-in user's unread notifications for the top bar; 0 when signed out. Counted at most every
    ``_UNREAD_TTL`` seconds per user and process (every page shows it; it is one query saved on most pages)."""
    user = g.get("user")
    if user is None:
        return 0
    key = (services().settings.database_url, user.id)
    cached = _unread.get(key)
    if cached is not None and time.monotonic() - cached[0] < _UNREAD_TTL:
        return cached[1]
    with services().db.read() as db:
        count = db.scalar(select(func.count()).select_from(Notification).where(
            Notification.user_id == user.id, Notification.read_at.is_(None))) or 0
    _unread[key] = (time.monotonic(), count)
    return count


def forget_unread(user_id: int) -> None:
    """After the user read notifications here: count again on the next page."""
    _unread.pop((services().settings.database_url, user_id), None)


@followup.app_context_processor
def _inject() -> dict:
    return {"unread_notifications": unread_count}


@followup.route("/notifications")
@requires("letters.view")
def notifications():  # noqa: ANN201
    page = max(1, request.args.get("page", 1, type=int))
    mine = Notification.user_id == g.user.id
    with services().db.read() as db:
        total = db.scalar(select(func.count()).select_from(Notification).where(mine)) or 0
        rows = list(db.scalars(select(Notification).where(mine).order_by(Notification.id.desc())
                               .offset((page - 1) * NOTIFICATIONS_PAGE).limit(NOTIFICATIONS_PAGE)))
    return render_template("followup/notifications.html", notifications=rows, total=total, page=page,
                           page_size=NOTIFICATIONS_PAGE, unread=unread_count())


def _safe_local(url: str) -> bool:
    return url.startswith("/") and not url.startswith("//") and "\\" not in url


@followup.route("/notifications/<int:notification_id>/read", methods=["POST"])
@requires("letters.view")
def read(notification_id: int):  # noqa: ANN201
    """Mark one notification read; with ``open=1`` go on to the page it points to."""
    with services().db.write() as db:
        notification = db.get(Notification, notification_id)
        if notification is None or notification.user_id != g.user.id:
            abort(404)
        if notification.read_at is None:
            notification.read_at = utcnow()
            record(db, "notification_read", actor="web", user_id=g.user.id, notification=notification_id)
        target = notification.url
    forget_unread(g.user.id)
    if request.form.get("open") == "1" and target and _safe_local(target):
        return redirect(target)
    return redirect(url_for("followup.notifications"))


@followup.route("/notifications/read-all", methods=["POST"])
@requires("letters.view")
def read_all():  # noqa: ANN201
    with services().db.write() as db:
        done = db.execute(update(Notification)
                          .where(Notification.user_id == g.user.id, Notification.read_at.is_(None))
                          .values(read_at=utcnow())).rowcount
        record(db, "notifications_read_all", actor="web", user_id=g.user.id, count=done)
    forget_unread(g.user.id)
    flash(gettext("Đã đánh dấu %(count)s thông báo là đã đọc.", count=done), "ok")
    return redirect(url_for("followup.notifications"))

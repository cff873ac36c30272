"""The dashboard: counts by status, the user's own queue, what is due soon and what is overdue."""

from __future__ import annotations

from datetime import date, timedelta

from flask import Blueprint, g, render_template
from sqlalchemy import func, select

from models import Dossier, Letter
from models.dossiers import OPEN_STATUSES
from web.app import services
from web.permissions import can, requires

dashboard = Blueprint("dashboard", __name__)
SOON = 3  # days: "due soon"
LISTED = 10


@dashboard.route("/dashboard")
@requires("letters.view")
def home():  # noqa: ANN201
    today = date.today()
    soon = today + timedelta(days=SOON)
    user = g.user
    with services().db.read() as db:
        letter_counts = dict(db.execute(select(Letter.status, func.count()).group_by(Letter.status)).all())
        dossier_counts = dict(db.execute(select(Dossier.status, func.count()).group_by(Dossier.status)).all())
        waiting = Letter.queue_order.is_not(None)
        queue_total = db.scalar(select(func.count()).where(waiting)) or 0
        letters_overdue = db.scalar(select(func.count()).where(waiting, Letter.due_date < today)) or 0
        letters_soon = db.scalar(select(func.count()).where(waiting, Letter.due_date >= today,
                                                                     Letter.due_date <= soon)) or 0
        running = Dossier.status.in_(OPEN_STATUSES)
        dossiers_overdue = list(db.scalars(select(Dossier).where(running, Dossier.deadline < today)
                                           .order_by(Dossier.deadline).limit(LISTED)))
        dossiers_soon = list(db.scalars(select(Dossier).where(running, Dossier.deadline >= today, Dossier.deadline <= soon)
                                        .order_by(Dossier.deadline).limit(LISTED)))
        overdue_total = db.scalar(select(func.count()).where(running, Dossier.deadline < today)) or 0
        soon_total = db.scalar(select(func.count()).where(running, Dossier.deadline >= today,
                                                                    Dossier.deadline <= soon)) or 0
        mine = list(db.scalars(select(Dossier).where(running, Dossier.assigned_to_id == user.id)
                               .order_by(Dossier.deadline.is_(None), Dossier.deadline).limit(LISTED)))
        my_queue = []
        if can(user, "letters.review"):
            my_queue = list(db.scalars(select(Letter).where(waiting)
                                       .order_by(Letter.queue_order, Letter.due_date, Letter.id).limit(LISTED)))
    return render_template("dashboard.html", letter_counts=letter_counts, dossier_counts=dossier_counts,
                           queue_total=queue_total, letters_overdue=letters_overdue, letters_soon=letters_soon,
                           dossiers_overdue=dossiers_overdue, dossiers_soon=dossiers_soon, overdue_total=overdue_total,
                           soon_total=soon_total, mine=mine, my_queue=my_queue)

"""Follow-up (theo dõi, đôn đốc): the open matters whose deadline has passed or is near, counted per officer and per
handler agency; urging (đôn đốc) the late body; and the reminders (in-app notifications, e-mailed when SMTP is
configured) that ``remind`` creates on a schedule.

``remind`` is idempotent: each reminder has a key ``"<kind>:<dossier id>:<deadline>"`` and a user gets at most one
notification per key, so running it again (or twice at once) creates nothing new; a moved deadline or a matter
that turns from due soon to overdue gets a new reminder.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import ColumnElement, Row, and_, case, func, or_, select, update
from sqlalchemy.orm import Session, aliased

from ingest.dossiers import DossierError, add_step
from ingest.mailer import MailSession, MailUnavailable, mail_enabled
from ingest.services import Services
from models import Agency, Dossier, DossierStep, Notification, User
from models.audit import record
from models.base import utcnow
from models.dossiers import OPEN_STATUSES

log = logging.getLogger(__name__)

REMINDER_KINDS = ("overdue", "due_soon")
UNASSIGNED = "none"  # the officer filter value for matters nobody was given
NOTE_CHARS = 1000
EMAIL_BATCH = 500  # notifications e-mailed per run at most; the rest go on the next run
_KEY_CHUNK = 400  # keys per IN (...) when looking for existing reminders
_REMIND_LOCK = 0x646F6E74  # PostgreSQL advisory lock id: one reminder run writes at a time

Officer = aliased(User, name="officer")


def _open() -> ColumnElement[bool]:
    return Dossier.status.in_(OPEN_STATUSES)


def reminder_key(kind: str, dossier_id: int, deadline: date) -> str:
    return f"{kind}:{dossier_id}:{deadline.isoformat()}"


def overdue_and_due_soon(session: Session, today: date, soon_days: int, *, officer: int | str | None = None,
                         agency: str | None = None, state: str | None = None,
                         limit: int | None = None) -> list[Row]:
    """Open matters whose deadline has passed or falls within ``soon_days`` of ``today``, earliest deadline first.

    Each row has ``Dossier``, ``officer`` (the assigned ``User`` or ``None``) and ``agency_name``. Filters:
    ``officer`` (a user id, or ``UNASSIGNED``), ``agency`` (a handler agency code), ``state`` ("overdue" or
    "due_soon").
    """
    soon = today + timedelta(days=soon_days)
    query = (select(Dossier, Officer, Agency.name.label("agency_name"))
             .outerjoin(Officer, Officer.id == Dossier.assigned_to_id)
             .outerjoin(Agency, Agency.code == Dossier.agency)
             .where(_open(), Dossier.deadline.is_not(None), Dossier.deadline <= soon))
    if state == "overdue":
        query = query.where(Dossier.deadline < today)
    elif state == "due_soon":
        query = query.where(Dossier.deadline >= today)
    if officer == UNASSIGNED:
        query = query.where(Dossier.assigned_to_id.is_(None))
    elif officer is not None:
        query = query.where(Dossier.assigned_to_id == int(officer))
    if agency:
        query = query.where(Dossier.agency == agency)
    query = query.order_by(Dossier.deadline, Dossier.id)
    if limit is not None:
        query = query.limit(limit)
    return list(session.execute(query).all())


@dataclass(frozen=True)
class Counts:
    """Open matters of one officer or one agency: how many are overdue, due soon, and open in all."""

    key: str  # the filter value: a user id as text, UNASSIGNED, or an agency code
    name: str
    overdue: int
    due_soon: int
    open: int


def _count_columns(today: date, soon_days: int) -> tuple:
    soon = today + timedelta(days=soon_days)
    overdue = func.count(case((Dossier.deadline < today, 1)))
    due_soon = func.count(case((and_(Dossier.deadline >= today, Dossier.deadline <= soon), 1)))
    return overdue, due_soon, func.count(Dossier.id)


def _sorted(rows: list[Counts]) -> list[Counts]:
    return sorted(rows, key=lambda c: (-c.overdue, -c.due_soon, -c.open, c.name))


def summary_by_officer(session: Session, today: date, soon_days: int) -> list[Counts]:
    """Per assigned officer (and one row for matters not assigned), the open matters overdue / due soon / open;
    the most overdue first."""
    overdue, due_soon, total = _count_columns(today, soon_days)
    rows = session.execute(
        select(Dossier.assigned_to_id, Officer.full_name, Officer.email, overdue, due_soon, total)
        .outerjoin(Officer, Officer.id == Dossier.assigned_to_id).where(_open())
        .group_by(Dossier.assigned_to_id, Officer.full_name, Officer.email)).all()
    return _sorted([Counts(str(user_id) if user_id is not None else UNASSIGNED,
                          (full_name or email or "") if user_id is not None else "", o, s, n)
                    for user_id, full_name, email, o, s, n in rows])


def summary_by_agency(session: Session, today: date, soon_days: int) -> list[Counts]:
    """Per handler agency, the open matters overdue / due soon / open; the most overdue first."""
    overdue, due_soon, total = _count_columns(today, soon_days)
    rows = session.execute(
        select(Dossier.agency, Agency.name, overdue, due_soon, total)
        .outerjoin(Agency, Agency.code == Dossier.agency).where(_open())
        .group_by(Dossier.agency, Agency.name)).all()
    return _sorted([Counts(code, name or code, o, s, n) for code, name, o, s, n in rows])


def last_urged(session: Session, dossier_ids: Sequence[int]) -> dict[int, date]:
    """The day each of these matters was last urged, for those that were."""
    if not dossier_ids:
        return {}
    return dict(session.execute(
        select(DossierStep.dossier_id, func.max(DossierStep.on))
        .where(DossierStep.action == "urged", DossierStep.dossier_id.in_(list(dossier_ids)))
        .group_by(DossierStep.dossier_id)).all())


def dossier_url(dossier_id: int) -> str:
    return f"/dossiers/{dossier_id}"


def urge(session: Session, dossier: Dossier, user_id: int | None, note: str = "", *,
         actor: str = "web") -> DossierStep:
    """Đôn đốc: record that the handler agency was urged about this late or nearly late matter (a history step and
    an audit event) and tell the assigned officer, unless the officer is the one who urged."""
    if not dossier.is_open:
        raise DossierError("hồ sơ đã kết thúc, không cần đôn đốc")
    note = " ".join(note.split())[:NOTE_CHARS]
    agency_name = session.scalar(select(Agency.name).where(Agency.code == dossier.agency)) or dossier.agency
    detail = f"Đôn đốc {agency_name}" + (f": {note}" if note else "")
    step = add_step(session, dossier, "urged", user_id, detail)
    session.flush()
    record(session, "dossier_urged", actor=actor, user_id=user_id, dossier=dossier.number, agency=dossier.agency,
           step_id=step.id)
    if dossier.assigned_to_id is not None and dossier.assigned_to_id != user_id:
        urger = session.get(User, user_id) if user_id else None
        by = f" ({urger.full_name or urger.email})" if urger else ""
        session.add(Notification(user_id=dossier.assigned_to_id, kind="urged", dossier_id=dossier.id,
                                 message=f"Hồ sơ {dossier.number}: đã đôn đốc {agency_name}{by}"
                                         + (f". {note}" if note else ""),
                                 url=dossier_url(dossier.id), key=f"urged:{dossier.id}:{step.id}"))
    return step


# -- reminders ----------------------------------------------------------------------------------------------------


def _reminder_text(kind: str, number: str, deadline: date, label: str | None, assigned: bool) -> str:
    what = f"hạn {deadline:%d/%m/%Y}" + (f" ({label})" if label else "")
    text = (f"Hồ sơ {number} đã quá hạn giải quyết: {what}." if kind == "overdue"
            else f"Hồ sơ {number} sắp đến hạn giải quyết: {what}.")
    return text if assigned else text + " Hồ sơ chưa giao người xử lý."


def _existing(session: Session, pairs: list[tuple[int, str]]) -> set[tuple[int, str]]:
    found: set[tuple[int, str]] = set()
    keys = sorted({key for _user, key in pairs})
    for start in range(0, len(keys), _KEY_CHUNK):
        chunk = keys[start:start + _KEY_CHUNK]
        rows = session.execute(select(Notification.user_id, Notification.key).where(Notification.key.in_(chunk)))
        found.update((user_id, key) for user_id, key in rows)
    return found


def create_reminders(session: Session, today: date, soon_days: int) -> int:
    """Add the missing reminders for the open matters overdue or due soon, in the caller's transaction; returns
    how many were added. A matter goes to its assigned officer, or to every active reviewer when it has none (or
    its officer's account was disabled)."""
    if session.get_bind().dialect.name == "postgresql":
        # serialises concurrent runs (SQLite's write transactions already are: BEGIN IMMEDIATE)
        session.execute(select(func.pg_advisory_xact_lock(_REMIND_LOCK)))
    soon = today + timedelta(days=soon_days)
    rows = session.execute(
        select(Dossier.id, Dossier.number, Dossier.deadline, Dossier.deadline_label, Officer.id, Officer.active)
        .outerjoin(Officer, Officer.id == Dossier.assigned_to_id)
        .where(_open(), Dossier.deadline.is_not(None), Dossier.deadline <= soon)
        .order_by(Dossier.deadline, Dossier.id)).all()
    if not rows:
        return 0
    reviewers = list(session.scalars(select(User.id).where(User.role == "reviewer", User.active.is_(True))
                                     .order_by(User.id)))
    wanted: list[tuple[int, str, Notification]] = []
    for dossier_id, number, deadline, label, officer_id, officer_active in rows:
        kind = "overdue" if deadline < today else "due_soon"
        key = reminder_key(kind, dossier_id, deadline)
        assigned = officer_id is not None and bool(officer_active)
        for user_id in ([officer_id] if assigned else reviewers):
            wanted.append((user_id, key, Notification(
                user_id=user_id, kind=kind, dossier_id=dossier_id, key=key, url=dossier_url(dossier_id),
                message=_reminder_text(kind, number, deadline, label, assigned))))
    have = _existing(session, [(user_id, key) for user_id, key, _n in wanted])
    added = 0
    for user_id, key, notification in wanted:
        if (user_id, key) not in have:
            session.add(notification)
            have.add((user_id, key))
            added += 1
    return added


def _subject(kind: str, number: str | None) -> str:
    if kind == "overdue":
        return f"[Donthu] Hồ sơ {number} đã quá hạn giải quyết"
    if kind == "due_soon":
        return f"[Donthu] Hồ sơ {number} sắp đến hạn giải quyết"
    if kind == "urged":
        return f"[Donthu] Đôn đốc hồ sơ {number}"
    return f"[Donthu] Thông báo về hồ sơ {number}" if number else "[Donthu] Thông báo"


def _body(row: Row) -> str:
    lines = [f"Kính gửi {row.full_name or row.email},", "", row.message, ""]
    if row.number:
        lines.append(f"Hồ sơ: {row.number}")
    if row.deadline:
        lines.append(f"Hạn giải quyết: {row.deadline:%d/%m/%Y}" + (f" ({row.deadline_label})"
                                                                  if row.deadline_label else ""))
    if row.agency_name or row.agency:
        lines.append(f"Cơ quan xử lý: {row.agency_name or row.agency}")
    if row.url:
        lines.append(f"Xem trên hệ thống Donthu: {row.url}")
    lines += ["", "Thư này do hệ thống Donthu gửi tự động, vui lòng không trả lời."]
    return "\n".join(lines)


def _pending(session: Session, limit: int) -> list[Row]:
    """Unread notifications not yet e-mailed to active users; a reminder whose matter has closed since is left."""
    return list(session.execute(
        select(Notification.id, Notification.kind, Notification.message, Notification.url, User.email,
               User.full_name, Dossier.number, Dossier.deadline, Dossier.deadline_label, Dossier.agency,
               Agency.name.label("agency_name"))
        .join(User, User.id == Notification.user_id)
        .outerjoin(Dossier, Dossier.id == Notification.dossier_id)
        .outerjoin(Agency, Agency.code == Dossier.agency)
        .where(Notification.emailed_at.is_(None), Notification.read_at.is_(None), User.active.is_(True),
               or_(Notification.kind.not_in(REMINDER_KINDS), _open()))
        .order_by(Notification.id).limit(limit)).all())


def send_pending(svc: Services, *, limit: int = EMAIL_BATCH) -> int:
    """E-mail the notifications not yet e-mailed; returns how many were sent. Each is claimed (``emailed_at`` set)
    before sending, so two runs never send the same one, and released again if the server refuses it or is down;
    with the server down nothing is raised and everything waits for the next run."""
    if not mail_enabled(svc.settings):
        return 0
    with svc.db.read() as session:
        pending = _pending(session, limit)
    if not pending:
        return 0
    sent = 0
    try:
        with MailSession(svc.settings) as mail:
            for row in pending:
                claimed = _claim(svc, row.id)
                if claimed is None:
                    continue  # another run took it
                try:
                    ok = mail.send(row.email, _subject(row.kind, row.number), _body(row))
                except MailUnavailable:
                    _release(svc, row.id, claimed)
                    raise
                if ok:
                    sent += 1
                else:
                    _release(svc, row.id, claimed)
    except MailUnavailable:
        log.warning("reminder e-mail: %d sent, the rest wait for the next run", sent)
    return sent


def _claim(svc: Services, notification_id: int):  # noqa: ANN202
    stamp = utcnow()
    with svc.db.write() as session:
        done = session.execute(update(Notification)
                               .where(Notification.id == notification_id, Notification.emailed_at.is_(None))
                               .values(emailed_at=stamp))
        return stamp if done.rowcount == 1 else None


def _release(svc: Services, notification_id: int, claimed) -> None:  # noqa: ANN001
    with svc.db.write() as session:
        session.execute(update(Notification)
                        .where(Notification.id == notification_id, Notification.emailed_at == claimed)
                        .values(emailed_at=None))


def remind(svc: Services, today: date, *, soon_days: int | None = None) -> int:
    """The scheduled reminder run: create the missing reminders for the matters overdue or due soon, then e-mail
    every notification not yet e-mailed when SMTP is configured. Returns how many notifications it created; safe to
    run again at any time (each reminder is created once per user and key)."""
    days = svc.settings.reminder_soon_days if soon_days is None else soon_days
    with svc.db.write() as session:
        created = create_reminders(session, today, days)
    if created:
        log.info("reminders: %d new notification(s)", created)
    send_pending(svc)
    return created

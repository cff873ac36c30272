"""Audit events: who did or saw what, and when."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, DateTime, ForeignKey, String
from sqlalchemy.orm import Mapped, Session, mapped_column

from models.base import Base, utcnow


class AuditEvent(Base):
    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime, nullable=False, default=utcnow, index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    actor: Mapped[str] = mapped_column(String(64), nullable=False, default="system")  # web, cli, worker, api
    action: Mapped[str] = mapped_column(String(64), nullable=False)
    letter_id: Mapped[int | None] = mapped_column(ForeignKey("letters.id", ondelete="SET NULL"), index=True)
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False, default=dict)


def record(session: Session, action: str, *, actor: str = "system", user_id: int | None = None,
           letter_id: int | None = None, **detail: Any) -> AuditEvent:
    """Add an audit event to the session's transaction (it commits with the change it describes)."""
    event = AuditEvent(action=action, actor=actor, user_id=user_id, letter_id=letter_id, detail=detail)
    session.add(event)
    return event

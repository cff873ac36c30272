"""Dossiers (hồ sơ vụ việc): one per matter, with its letters, handling steps, deadline, result and attachments;
and the holiday calendar that working-day deadlines skip."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint, select
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from models.base import Base, utcnow

DOSSIER_STATUSES = ("open", "forwarded", "in_progress", "resolved", "archived")
OPEN_STATUSES = ("open", "forwarded", "in_progress")  # a deadline still runs
# the outcome of a matter: the claim was right, wrong, partly right; withdrawn; suspended; answered (for a
# recommendation or reflection); other
RESULTS = ("dung", "sai", "dung_mot_phan", "rut_don", "dinh_chi", "da_tra_loi", "khac")
# Vietnamese names, written into the dossier's history as it happens
STATUS_LABELS = {"open": "Mới mở", "forwarded": "Đã chuyển", "in_progress": "Đang giải quyết",
                 "resolved": "Đã giải quyết", "archived": "Lưu hồ sơ"}
RESULT_LABELS = {"dung": "Đúng", "sai": "Sai", "dung_mot_phan": "Đúng một phần", "rut_don": "Rút đơn",
                 "dinh_chi": "Đình chỉ", "da_tra_loi": "Đã trả lời", "khac": "Khác"}


class DossierCounter(Base):
    """The last dossier number given in each year."""

    __tablename__ = "dossier_counters"
    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    last_seq: Mapped[int] = mapped_column(Integer, default=0, nullable=False)


class Dossier(Base):
    __tablename__ = "dossiers"
    __table_args__ = (UniqueConstraint("year", "seq", name="uq_dossiers_year_seq"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int] = mapped_column(Integer, nullable=False)
    seq: Mapped[int] = mapped_column(Integer, nullable=False)
    number: Mapped[str] = mapped_column(String(24), unique=True, nullable=False)  # "0007/2026/HS"
    summary: Mapped[str] = mapped_column(Text, nullable=False, default="")
    type: Mapped[str] = mapped_column(String(16), nullable=False)
    field: Mapped[str] = mapped_column(String(32), nullable=False)
    agency: Mapped[str] = mapped_column(String(32), nullable=False)  # handler agency code
    status: Mapped[str] = mapped_column(String(16), nullable=False, default="open", index=True)
    # a denunciation: its denouncer's identity is shown only to the people handling it
    protected: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)

    decision: Mapped[str | None] = mapped_column(String(16))  # handling decision (hướng xử lý)
    decided_at: Mapped[date | None] = mapped_column(Date)
    round: Mapped[int] = mapped_column(Integer, nullable=False, default=1)  # complaint round (lần đầu / lần hai)
    complex: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    extensions: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    deadline: Mapped[date | None] = mapped_column(Date, index=True)
    deadline_step: Mapped[str | None] = mapped_column(String(40))
    deadline_label: Mapped[str | None] = mapped_column(String(200))
    deadline_working_days: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)

    assigned_to_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    opened_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    opened_at: Mapped[datetime] = mapped_column(DateTime, nullable=False, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, nullable=False, default=utcnow, onupdate=utcnow)

    result: Mapped[str | None] = mapped_column(String(16))
    result_at: Mapped[date | None] = mapped_column(Date)
    result_note: Mapped[str] = mapped_column(Text, nullable=False, default="")
    notes: Mapped[str] = mapped_column(Text, nullable=False, default="")

    steps: Mapped[list[DossierStep]] = relationship(order_by="DossierStep.id", cascade="all, delete-orphan",
                                                    passive_deletes=True)
    attachments: Mapped[list[DossierAttachment]] = relationship(order_by="DossierAttachment.id",
                                                                cascade="all, delete-orphan", passive_deletes=True)

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


class DossierStep(Base):
    """One thing done on a matter, by whom and when: the dossier's history."""

    __tablename__ = "dossier_steps"

    id: Mapped[int] = mapped_column(primary_key=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossiers.id", ondelete="CASCADE"), nullable=False, index=True)
    at: Mapped[datetime] = mapped_column(DateTime, nullable=False, default=utcnow)
    on: Mapped[date] = mapped_column(Date, nullable=False, default=date.today)  # the date the step took effect
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    action: Mapped[str] = mapped_column(String(32), nullable=False)
    detail: Mapped[str] = mapped_column(Text, nullable=False, default="")
    letter_id: Mapped[int | None] = mapped_column(ForeignKey("letters.id", ondelete="SET NULL"))


class DossierAttachment(Base):
    """A document filed on a matter, e.g. an agency's reply to a forwarded letter."""

    __tablename__ = "dossier_attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossiers.id", ondelete="CASCADE"), nullable=False, index=True)
    original_name: Mapped[str] = mapped_column(String(255), nullable=False)
    media_type: Mapped[str] = mapped_column(String(64), nullable=False)
    size_bytes: Mapped[int] = mapped_column(Integer, nullable=False)
    sha256: Mapped[str] = mapped_column(String(64), nullable=False)
    storage_path: Mapped[str] = mapped_column(String(255), nullable=False)  # relative to the data dir
    kind: Mapped[str] = mapped_column(String(16), nullable=False, default="reply")  # reply | other
    note: Mapped[str] = mapped_column(Text, nullable=False, default="")
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    uploaded_at: Mapped[datetime] = mapped_column(DateTime, nullable=False, default=utcnow)


class Holiday(Base):
    """A public holiday: working-day deadlines skip it. Editable by an admin."""

    __tablename__ = "holidays"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    name: Mapped[str] = mapped_column(String(120), nullable=False, default="")


def holiday_set(session: Session) -> frozenset[date]:
    """The configured holidays, for working-day deadlines."""
    return frozenset(session.scalars(select(Holiday.day)))

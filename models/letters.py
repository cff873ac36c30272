"""Letters (one registered file each) and their pages."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Date, DateTime, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, utcnow

# received: on disk and registered, no job queued yet; queued: jobs waiting; ocr_running: pages being read;
# ocr_done: text assembled (later stages record themselves in ``stages``); failed: see ``error``.
LETTER_STATUSES = ("received", "queued", "ocr_running", "ocr_done", "failed")
PAGE_STATUSES = ("pending", "queued", "running", "done", "failed")


def queue_rank(classified: bool, needs_review: bool, has_duplicates: bool, reviewed: bool) -> int | None:
    """The review queue's order: letters a person must look at first, then likely repeats, then the rest (each
    group by its deadline); None keeps a letter out of the queue (not yet classified, or already reviewed)."""
    if not classified or reviewed:
        return None
    if needs_review:
        return 0
    return 1 if has_duplicates else 2


class RegisterCounter(Base):
    """The last register number ("số đến") given in each year."""

    __tablename__ = "register_counters"
    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    last_seq: Mapped[int] = mapped_column(Integer, default=0, nullable=False)


class Letter(Base):
    __tablename__ = "letters"
    __table_args__ = (UniqueConstraint("register_year", "register_seq", name="uq_letters_register"),
                      Index("ix_letters_queue", "queue_order", "due_date", "id"),
                      # covers what the reports read, so they never touch the rows with the letters' texts
                      Index("ix_letters_report", "received_date", "reviewed_at", "decision", "dossier_id", "type",
                            "field", "agency", "prior_resolution"))

    id: Mapped[int] = mapped_column(primary_key=True)
    register_year: Mapped[int] = mapped_column(Integer, nullable=False)
    register_seq: Mapped[int] = mapped_column(Integer, nullable=False)
    register_no: Mapped[str] = mapped_column(String(16), unique=True, nullable=False)
    received_date: Mapped[date] = mapped_column(Date, nullable=False)
    channel: Mapped[str] = mapped_column(String(20), nullable=False, default="post")
    status: Mapped[str] = mapped_column(String(20), nullable=False, default="received", index=True)

    sha256: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    original_name: Mapped[str] = mapped_column(String(255), nullable=False)
    media_type: Mapped[str] = mapped_column(String(64), nullable=False)
    size_bytes: Mapped[int] = mapped_column(Integer, nullable=False)
    storage_path: Mapped[str] = mapped_column(String(255), nullable=False)  # relative to the data dir
    upload_count: Mapped[int] = mapped_column(Integer, nullable=False, default=1)

    page_count: Mapped[int | None] = mapped_column(Integer)
    pages_done: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    full_text: Mapped[str | None] = mapped_column(Text)
    text_source: Mapped[str | None] = mapped_column(String(16))  # ocr | pdf_text | mixed | plain
    ocr_confidence: Mapped[float | None] = mapped_column(Float)
    error: Mapped[str | None] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    job_id: Mapped[str | None] = mapped_column(String(64))
    stages: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False, default=dict)
    # True once every registered post-OCR stage is done; a migration that adds a stage resets it to False
    stages_done: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False, index=True)

    # classification (the `donthu classify --json` shape), the model version that made it, and whether a
    # person must look first (low confidence or mixed content)
    classification: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    model_version: Mapped[str | None] = mapped_column(String(64))
    needs_review: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False, index=True)
    # duplicate candidates among earlier letters, for the reviewer (the `donthu duplicates --json` shape);
    # nothing is merged without a person
    duplicates: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)

    # the labels as they stand — a reviewer's (the latest) over the model's — kept here so that reports, queues
    # and confidentiality checks read three columns instead of a JSON document and the labels table
    type: Mapped[str | None] = mapped_column(String(16), index=True)
    field: Mapped[str | None] = mapped_column(String(32))
    agency: Mapped[str | None] = mapped_column(String(32), index=True)
    # review: the matter it belongs to, the handling decision, the deadline to process it, who reviewed it
    dossier_id: Mapped[int | None] = mapped_column(ForeignKey("dossiers.id", ondelete="SET NULL"), index=True)
    decision: Mapped[str | None] = mapped_column(String(16))
    # what the letter says of earlier handling (for the reports): none | once | many | judgment (a court ruled)
    prior_resolution: Mapped[str] = mapped_column(String(16), nullable=False, default="none", server_default="none")
    due_date: Mapped[date | None] = mapped_column(Date, index=True)  # set when classified; see core.deadlines
    reviewed_at: Mapped[datetime | None] = mapped_column(DateTime, index=True)
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # place in the review queue (see ``queue_rank``), NULL once reviewed or before it is classified: one indexed
    # column keeps the queue a cheap index scan however many letters there are
    queue_order: Mapped[int | None] = mapped_column(Integer)

    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(DateTime, nullable=False, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, nullable=False, default=utcnow, onupdate=utcnow)
    queued_at: Mapped[datetime | None] = mapped_column(DateTime)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime)

    pages: Mapped[list[Page]] = relationship(
        back_populates="letter", order_by="Page.index", cascade="all, delete-orphan", passive_deletes=True
    )

    def refresh_queue(self) -> None:
        """Recompute the letter's place in the review queue after its classification, duplicates or review
        changed."""
        self.queue_order = queue_rank(self.classification is not None, self.needs_review, bool(self.duplicates),
                                      self.reviewed_at is not None)

    @property
    def is_settled(self) -> bool:
        """True once no more work is due: the text is assembled or the letter failed."""
        return self.status in ("ocr_done", "failed")


class Page(Base):
    __tablename__ = "pages"
    __table_args__ = (UniqueConstraint("letter_id", "index", name="uq_pages_letter_index"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    letter_id: Mapped[int] = mapped_column(ForeignKey("letters.id", ondelete="CASCADE"), nullable=False, index=True)
    index: Mapped[int] = mapped_column(Integer, nullable=False)
    status: Mapped[str] = mapped_column(String(16), nullable=False, default="pending")
    source: Mapped[str | None] = mapped_column(String(16))  # ocr | pdf_text | text
    text: Mapped[str | None] = mapped_column(Text)
    confidence: Mapped[float | None] = mapped_column(Float)
    rotation: Mapped[int] = mapped_column(Integer, nullable=False, default=0)  # degrees applied, clockwise
    skew: Mapped[float] = mapped_column(Float, nullable=False, default=0.0)  # degrees corrected
    words: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)  # [{text, conf, box: [x, y, w, h]}]
    image_path: Mapped[str | None] = mapped_column(String(255))  # relative to the data dir
    width: Mapped[int | None] = mapped_column(Integer)
    height: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    job_id: Mapped[str | None] = mapped_column(String(64))
    worker: Mapped[str | None] = mapped_column(String(128))  # "host:pid" of the process reading it
    seconds: Mapped[float | None] = mapped_column(Float)
    updated_at: Mapped[datetime] = mapped_column(DateTime, nullable=False, default=utcnow, onupdate=utcnow)

    letter: Mapped[Letter] = relationship(back_populates="pages")


class LetterLabel(Base):
    """Labels a reviewer confirmed or corrected: the office's own training data (latest per letter wins)."""

    __tablename__ = "letter_labels"

    id: Mapped[int] = mapped_column(primary_key=True)
    letter_id: Mapped[int] = mapped_column(ForeignKey("letters.id", ondelete="CASCADE"), nullable=False, index=True)
    type: Mapped[str] = mapped_column(String(16), nullable=False)
    agency: Mapped[str] = mapped_column(String(32), nullable=False)
    field: Mapped[str] = mapped_column(String(32), nullable=False)
    flags: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False, default=dict)
    corrected: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)  # differs from the model
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(DateTime, nullable=False, default=utcnow)

"""Register an incoming file: validate, store on disk, commit its row — and only then hand it to the queue."""

from __future__ import annotations

import errno
import logging
import unicodedata
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from core.settings import CHANNELS
from ingest.errors import IntakeError
from ingest.pipeline import new_job_id
from ingest.services import Services
from ingest.sniff import EXTENSIONS, FileInfo, inspect
from ingest.storage import sha256_of
from models import Letter
from models.audit import record
from models.register import format_register_no, next_register_seq

log = logging.getLogger(__name__)


@dataclass
class IntakeResult:
    letter_id: int
    register_no: str
    status: str
    duplicate_of: int | None  # the letter these same bytes were already registered as
    job_id: str | None = field(default=None, repr=False)  # the prepare job to dispatch (None for duplicates)

    def as_dict(self) -> dict:
        return {"letter_id": self.letter_id, "register_no": self.register_no, "status": self.status,
                "duplicate_of": self.duplicate_of}


def check_channel(channel: str) -> str:
    if channel not in CHANNELS:
        raise IntakeError(f"unknown channel {channel!r}: use one of {', '.join(CHANNELS)}", "bad_request")
    return channel


def safe_name(name: str) -> str:
    """The base name only (no folders, no control or bidi characters, NFC), kept for display; never used as a
    path (originals are stored under their digest)."""
    base = unicodedata.normalize("NFC", name).replace("\\", "/").rsplit("/", 1)[-1]
    cleaned = "".join(ch for ch in base if ch.isprintable()).strip()
    return (cleaned if cleaned.strip(".") else "unnamed")[:255]  # "", ".", "..": nothing to show


def register_file(svc: Services, data: bytes, name: str, *, channel: str = "post",
                  received: date | None = None, user_id: int | None = None, actor: str = "cli") -> IntakeResult:
    """Accept one file. Raises IntakeError (nothing stored) when it cannot be accepted.

    The same bytes twice return the existing letter, flagged with ``duplicate_of``; nothing is read twice.
    A new letter is committed with status ``queued``; the caller then dispatches its job
    (``ingest.dispatch.dispatch_new_letter``); if that never happens, the sweeper does it.
    """
    settings = svc.settings
    check_channel(channel)
    info = inspect(data, name, max_bytes=settings.max_upload_bytes, max_pages=settings.max_pages,
                   max_pixels=settings.max_image_pixels, max_text_chars=settings.max_text_chars)
    sha = sha256_of(data)
    display_name = safe_name(name)
    try:
        return _store_and_commit(svc, data, sha, info, display_name, channel=channel, received=received,
                                 user_id=user_id, actor=actor)
    except (OSError, OperationalError) as exc:
        if not _out_of_space(exc):
            raise
        # The transaction rolled back and the temporary file is gone; a fully written original without its row
        # is left for ``donthu check`` (another intake of the same bytes may be committing it right now).
        log.error("intake of %s refused: no space left (%s)", display_name, exc)
        raise IntakeError("no space left on the server to store the file; nothing was registered",
                          "storage_full") from exc


def _out_of_space(exc: BaseException) -> bool:
    if isinstance(exc, OSError):
        return exc.errno in (errno.ENOSPC, errno.EDQUOT)
    return "disk is full" in str(exc) or "No space left" in str(exc)  # SQLite's SQLITE_FULL, PostgreSQL's 53100


def _store_and_commit(svc: Services, data: bytes, sha: str, info: FileInfo, display_name: str, *, channel: str,
                      received: date | None, user_id: int | None, actor: str) -> IntakeResult:
    with svc.db.write() as session:
        existing = session.scalar(select(Letter).where(Letter.sha256 == sha))
        if existing is not None:
            existing.upload_count += 1
            record(session, "duplicate_upload", actor=actor, user_id=user_id, letter_id=existing.id,
                   file=display_name)
            return IntakeResult(existing.id, existing.register_no, existing.status, duplicate_of=existing.id)
        # On disk before the row commits: a committed letter always has its file.
        rel = svc.store.put_original(data, sha, EXTENSIONS[info.media_type])
        received = received or date.today()
        seq = next_register_seq(session, received.year)
        letter = Letter(
            register_year=received.year, register_seq=seq, register_no=format_register_no(seq, received.year),
            received_date=received, channel=channel, status="queued", sha256=sha, original_name=display_name,
            media_type=info.media_type, size_bytes=len(data), storage_path=rel, page_count=info.page_count,
            created_by_id=user_id, stages={},
        )
        session.add(letter)
        session.flush()
        letter.job_id = new_job_id("prepare", letter.id)
        record(session, "letter_registered", actor=actor, user_id=user_id, letter_id=letter.id,
               file=display_name, register_no=letter.register_no, sha256=sha)
    return IntakeResult(letter.id, letter.register_no, letter.status, duplicate_of=None, job_id=letter.job_id)

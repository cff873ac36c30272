"""The pipeline's steps as plain service functions: the RQ jobs, ``--sync`` intake and the sweeper call them.

store → prepare (one job per page) → read page (text layer or OCR) → assemble → post-OCR stages.
Every step is idempotent: it re-reads the state from the database and does only what is still missing.
"""

from __future__ import annotations

import io
import logging
import os
import socket
import time
import uuid
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.failpoints import failpoint
from ingest.errors import DonthuError, PermanentPageError
from ingest.reader import read_page
from ingest.services import Services
from ingest.stages import registered_stages
from ingest.storage import write_atomic
from models import Letter, Page
from models.audit import record
from models.base import utcnow

log = logging.getLogger(__name__)

SETTLED_PAGE = ("done", "failed")


class Dispatcher(Protocol):
    """Where the next steps go: onto the RQ queue, or straight into this process (``--sync``)."""

    def prepare(self, letter_id: int, job_id: str) -> None: ...

    def pages(self, letter_id: int, jobs: list[tuple[int, str]]) -> None: ...

    def stages(self, letter_id: int, job_id: str) -> None: ...


def new_job_id(kind: str, letter_id: int, index: int | None = None) -> str:
    """A fresh id per attempt, so a stale entry of a dead attempt never shadows the new one."""
    middle = f"{letter_id}" if index is None else f"{letter_id}-{index}"
    return f"donthu-{kind}-{middle}-{uuid.uuid4().hex[:8]}"


def this_process() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def _lock_letter(session: Session, letter_id: int) -> Letter | None:
    """The letter row, locked for this transaction on PostgreSQL (SQLite's BEGIN IMMEDIATE already serialises)."""
    return session.scalar(select(Letter).where(Letter.id == letter_id).with_for_update())


def prepare_letter(svc: Services, dispatch: Dispatcher, letter_id: int) -> None:
    """Create the letter's page rows and dispatch a read job for every page not yet read."""
    with svc.db.write() as session:
        letter = _lock_letter(session, letter_id)
        if letter is None:
            log.warning("prepare: letter %s does not exist", letter_id)
            return
        if letter.status == "failed":
            return
        if letter.status == "ocr_done":
            settled = True
        else:
            settled = False
            letter.attempts += 1
            existing = {p.index: p for p in letter.pages}
            for index in range(letter.page_count or 1):
                if index not in existing:
                    page = Page(index=index, status="pending")
                    letter.pages.append(page)
                    existing[index] = page
            jobs: list[tuple[int, str]] = []
            for page in existing.values():
                if page.status not in SETTLED_PAGE:
                    page.status = "queued"
                    page.job_id = new_job_id("page", letter_id, page.index)
                    jobs.append((page.index, page.job_id))
            letter.status = "ocr_running"
            letter.error = None
    if settled:
        dispatch_stages_if_due(svc, dispatch, letter_id)
    elif jobs:
        dispatch.pages(letter_id, sorted(jobs))
    else:
        assemble_letter(svc, dispatch, letter_id)


PREVIEW_MAX_WIDTH = 1400  # ~170 dpi on A4: sharp on screen, a quarter of the pixels of a 300-dpi page


def _preview(image, words: list[dict]) -> tuple[bytes, list[dict], tuple[int, int]]:  # noqa: ANN001 - PIL image
    """The page image for the review screen (reduced when large), the word boxes in its coordinates, its size."""
    from PIL import Image

    scale = min(1.0, PREVIEW_MAX_WIDTH / image.width)
    if scale < 1.0:
        size = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))  # a 1-px strip stays 1 px
        image = image.resize(size, Image.Resampling.BILINEAR)
        words = [{**w, "box": [round(v * scale) for v in w["box"]]} if "box" in w else w for w in words]
    buf = io.BytesIO()
    image.save(buf, format="PNG", compress_level=1)  # fast: a working copy, made again if lost
    return buf.getvalue(), words, image.size


def read_letter_page(svc: Services, dispatch: Dispatcher, letter_id: int, index: int) -> None:
    """Read one page (text layer or OCR), store its text and image, then assemble the letter if it was the last."""
    settings = svc.settings
    with svc.db.write() as session:
        page = session.scalar(select(Page).where(Page.letter_id == letter_id, Page.index == index))
        if page is None:
            log.warning("read: page %s of letter %s does not exist", index, letter_id)
            return
        letter = page.letter
        if page.status in SETTLED_PAGE or letter.status in ("ocr_done", "failed"):
            skip = True
        else:
            skip = False
            page.attempts += 1
            if page.attempts > settings.max_page_attempts:
                _fail_page(page, "worker_died", f"processing stopped {page.attempts - 1} times on this page")
            else:
                page.status = "running"
                page.worker = this_process()
                if letter.status == "queued":
                    letter.status = "ocr_running"
        sha, rel, media_type, attempts = letter.sha256, letter.storage_path, letter.media_type, page.attempts
    if skip or page.status == "failed":
        assemble_letter(svc, dispatch, letter_id)
        return
    try:
        data = svc.store.read(rel)
        reading = read_page(data, media_type, index, lang=settings.ocr_lang, dpi=settings.ocr_dpi,
                            max_pixels=settings.max_image_pixels)
        failpoint(settings, "page.read.after")  # read, nothing stored yet
    except PermanentPageError as exc:
        _finish_failed_page(svc, letter_id, index, exc.code, exc.message)
        assemble_letter(svc, dispatch, letter_id)
        return
    except Exception as exc:
        message = f"{type(exc).__name__}: {exc}"
        if attempts >= settings.job_retries + 1:
            code = exc.code if isinstance(exc, DonthuError) else "ocr_failed"
            _finish_failed_page(svc, letter_id, index, code, message)
            assemble_letter(svc, dispatch, letter_id)
            return
        with svc.db.write() as session:
            page = session.scalar(select(Page).where(Page.letter_id == letter_id, Page.index == index))
            if page is not None and page.status not in SETTLED_PAGE:
                page.status, page.error = "queued", message  # RQ retries it after a back-off
        raise
    image_rel, words, size = None, reading.words, None
    if reading.image is not None:
        image_rel = svc.store.page_image_relpath(sha, index)
        png, words, size = _preview(reading.image, reading.words)
        write_atomic(svc.store.path(image_rel), png, durable=False)
    with svc.db.write() as session:
        page = session.scalar(select(Page).where(Page.letter_id == letter_id, Page.index == index))
        if page is None or page.status in SETTLED_PAGE:
            return
        page.status, page.source, page.text = "done", reading.source, reading.text
        page.confidence, page.rotation, page.skew = reading.confidence, reading.rotation, reading.skew
        page.words, page.image_path, page.seconds, page.error = words, image_rel, reading.seconds, None
        if size is not None:
            page.width, page.height = size
    assemble_letter(svc, dispatch, letter_id)


def _fail_page(page: Page, code: str, message: str) -> None:
    page.status, page.error = "failed", f"{code}: {message}"


def _finish_failed_page(svc: Services, letter_id: int, index: int, code: str, message: str) -> None:
    with svc.db.write() as session:
        page = session.scalar(select(Page).where(Page.letter_id == letter_id, Page.index == index))
        if page is not None and page.status not in SETTLED_PAGE:
            _fail_page(page, code, message)


def _text_source(sources: set[str | None]) -> str:
    if sources == {"text"}:
        return "plain"
    if len(sources) == 1:
        return next(iter(sources)) or "ocr"
    return "mixed"


def assemble_letter(svc: Services, dispatch: Dispatcher, letter_id: int) -> bool:
    """When every page is settled, join the pages into the letter's text (or fail it). True when it settled now."""
    with svc.db.write() as session:
        letter = _lock_letter(session, letter_id)
        if letter is None or letter.status in ("ocr_done", "failed"):
            return False
        pages = list(letter.pages)
        letter.pages_done = sum(1 for p in pages if p.status == "done")
        if not pages or any(p.status not in SETTLED_PAGE for p in pages):
            return False
        done = [p for p in pages if p.status == "done"]
        letter.full_text = "\n\n".join(p.text or "" for p in done).strip() or None
        letter.text_source = _text_source({p.source for p in done}) if done else None
        scored = [p for p in done if p.confidence is not None]
        letter.ocr_confidence = round(sum(p.confidence for p in scored) / len(scored), 2) if scored else None
        letter.finished_at = utcnow()
        failed = [p for p in pages if p.status == "failed"]
        if failed:
            letter.status = "failed"
            letter.error = "; ".join(f"page {p.index + 1}: {p.error}" for p in failed)
            record(session, "letter_failed", actor="worker", letter_id=letter.id, error=letter.error)
        else:
            letter.status, letter.error = "ocr_done", None
            record(session, "letter_read", actor="worker", letter_id=letter.id, pages=len(pages),
                   source=letter.text_source, confidence=letter.ocr_confidence)
        status = letter.status
    if status == "ocr_done":
        dispatch_stages_if_due(svc, dispatch, letter_id)
    return True


def pending_stages(letter: Letter) -> list[str]:
    """Registered stages this letter has not completed (failed ones count as pending: a retry re-runs them)."""
    return [s.name for s in registered_stages() if (letter.stages or {}).get(s.name, {}).get("status") != "done"]


def dispatch_stages_if_due(svc: Services, dispatch: Dispatcher, letter_id: int) -> None:
    with svc.db.write() as session:
        letter = session.get(Letter, letter_id)
        if letter is None or letter.status != "ocr_done":
            return
        if not pending_stages(letter):
            letter.stages_done = True
            return
        letter.job_id = new_job_id("stages", letter_id)
        job_id = letter.job_id
    dispatch.stages(letter_id, job_id)


def run_stages(svc: Services, letter_id: int) -> None:
    """Run the post-OCR stages the letter still needs, in order; a failing stage is recorded, then retried."""
    for stage in registered_stages():
        with svc.db.read() as session:
            letter = session.get(Letter, letter_id)
            if letter is None or letter.status != "ocr_done":
                return
            state = dict((letter.stages or {}).get(stage.name, {}))
        if state.get("status") == "done":
            continue
        started = time.perf_counter()
        try:
            failpoint(svc.settings, f"stage.{stage.name}.before")
            stage.run(svc, letter_id)
            failpoint(svc.settings, f"stage.{stage.name}.after")  # its work is saved, the stage not yet marked done
        except Exception as exc:
            attempts = int(state.get("attempts", 0)) + 1
            _set_stage(svc, letter_id, stage.name, {"status": "failed", "error": f"{type(exc).__name__}: {exc}",
                                                    "attempts": attempts})
            if attempts <= svc.settings.job_retries:
                raise  # retried by RQ (or by the sweeper)
            return  # gave up: the letter keeps its text; the failure shows on the letter
        _set_stage(svc, letter_id, stage.name, {"status": "done", "seconds": round(time.perf_counter() - started, 3),
                                                "at": utcnow().isoformat(timespec="seconds")})
    with svc.db.write() as session:
        letter = session.get(Letter, letter_id)
        if letter is not None and not pending_stages(letter):
            letter.stages_done = True


def _set_stage(svc: Services, letter_id: int, name: str, state: dict) -> None:
    with svc.db.write() as session:
        letter = session.get(Letter, letter_id)
        if letter is not None:
            letter.stages = {**(letter.stages or {}), name: state}  # a new dict, so the JSON change is saved


def retry_letter(svc: Services, dispatch: Dispatcher, letter_id: int) -> bool:
    """Re-run a failed letter: failed pages are read again, pages already read are kept. False if not failed."""
    with svc.db.write() as session:
        letter = _lock_letter(session, letter_id)
        if letter is None:
            raise DonthuError(f"letter {letter_id} does not exist", "not_found")
        stage_failed = letter.status == "ocr_done" and any(
            (letter.stages or {}).get(n, {}).get("status") == "failed" for n in pending_stages(letter))
        if letter.status != "failed" and not stage_failed:
            return False
        if letter.status == "failed":
            for page in letter.pages:
                if page.status == "failed":
                    page.status, page.attempts, page.error = "pending", 0, None
            letter.status, letter.error, letter.pages_done = "queued", None, 0
            letter.job_id = new_job_id("prepare", letter_id)
            job_id = letter.job_id
        else:
            letter.stages = {k: v for k, v in (letter.stages or {}).items() if v.get("status") == "done"}
            letter.stages_done = False
            job_id = None
        record(session, "letter_retry", actor="cli", letter_id=letter_id)
    if job_id:
        dispatch.prepare(letter_id, job_id)
    else:
        dispatch_stages_if_due(svc, dispatch, letter_id)
    return True

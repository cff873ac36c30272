"""The sweeper: finds letters whose job vanished (worker killed, Redis restarted, enqueue failed) and re-queues
them, so no letter stays stuck. Run by ``donthu sweep`` and by the worker supervisor, on start and periodically.
"""

from __future__ import annotations

import logging
import os
import socket
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from rq.exceptions import NoSuchJobError
from rq.job import Job, JobStatus
from sqlalchemy import select

from ingest import pipeline
from ingest.dispatch import RQDispatcher, redis_connection
from ingest.services import Services
from models import Letter, Page
from models.base import utcnow

log = logging.getLogger(__name__)

WAITING = {JobStatus.QUEUED, JobStatus.DEFERRED, JobStatus.SCHEDULED, JobStatus.CREATED, JobStatus.RATE_LIMITED}
GRACE = timedelta(seconds=10)  # a job committed this recently may not be enqueued yet


@dataclass
class SweepReport:
    letters_queued: list[int] = field(default_factory=list)
    pages_queued: list[tuple[int, int]] = field(default_factory=list)
    stages_queued: list[int] = field(default_factory=list)
    assembled: list[int] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.letters_queued or self.pages_queued or self.stages_queued or self.assembled)

    def as_dict(self) -> dict:
        return {"letters_queued": self.letters_queued, "pages_queued": [list(p) for p in self.pages_queued],
                "stages_queued": self.stages_queued, "assembled": self.assembled}


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _worker_dead(worker: str | None) -> bool:
    """True when the recorded process ran on this host and no longer exists."""
    if not worker or ":" not in worker:
        return False
    host, _, pid = worker.rpartition(":")
    return host == socket.gethostname() and pid.isdigit() and not _pid_alive(int(pid))


class JobProbe:
    """Answers "is this job still going to run?" from Redis, and from the process table for local workers."""

    def __init__(self, svc: Services) -> None:
        self.connection = redis_connection(svc)
        self.stale_after = timedelta(seconds=svc.settings.stale_after)

    def lost(self, job_id: str | None, *, worker: str | None, since: datetime | None) -> bool:
        recent = since is not None and utcnow() - since < GRACE
        if not job_id:
            return not recent
        try:
            job = Job.fetch(job_id, connection=self.connection)
        except NoSuchJobError:
            return not recent  # Redis lost it (restart without persistence) or it was never enqueued
        status = job.get_status(refresh=False)
        if status in WAITING:
            return False
        if status == JobStatus.STARTED:
            if _worker_dead(worker):
                return True
            beat = job.last_heartbeat
            if beat is not None:
                beat = beat.replace(tzinfo=UTC) if beat.tzinfo is None else beat
                return datetime.now(UTC) - beat > self.stale_after
            return False
        # finished, failed, stopped or canceled while the database still waits for it: run it again
        return True


def sweep(svc: Services, *, dry_run: bool = False) -> SweepReport:
    """One pass over every unsettled letter. Raises redis.ConnectionError when Redis is down (callers retry).
    With ``dry_run`` nothing is changed: the report says what a real pass would queue or assemble."""
    report = SweepReport()
    dispatch = RQDispatcher(svc)
    probe = JobProbe(svc)
    with svc.db.read() as session:
        rows = session.execute(
            select(Letter.id, Letter.status, Letter.job_id, Letter.updated_at)
            .where(Letter.status.in_(("received", "queued", "ocr_running"))
                   | ((Letter.status == "ocr_done") & Letter.stages_done.is_(False)))
            .order_by(Letter.id)
        ).all()
    for letter_id, status, job_id, updated_at in rows:
        if status in ("received", "queued"):
            if probe.lost(job_id, worker=None, since=updated_at):
                if not dry_run:
                    _requeue_letter(svc, dispatch, letter_id)
                report.letters_queued.append(letter_id)
        elif status == "ocr_running":
            _sweep_pages(svc, dispatch, probe, letter_id, report, dry_run)
        else:
            _sweep_stages(svc, dispatch, probe, letter_id, job_id, updated_at, report, dry_run)
    if report.changed:
        log.info("sweeper: %s", report.as_dict())
    return report


def _requeue_letter(svc: Services, dispatch: RQDispatcher, letter_id: int,
                    from_statuses: tuple[str, ...] = ("received", "queued")) -> None:
    """Queue the letter's prepare step again, if it is still in one of ``from_statuses``."""
    with svc.db.write() as session:
        letter = session.get(Letter, letter_id)
        if letter is None or letter.status not in from_statuses:
            return
        letter.status = "queued"
        letter.job_id = pipeline.new_job_id("prepare", letter_id)
        letter.queued_at = utcnow()
        job_id = letter.job_id
    dispatch.prepare(letter_id, job_id)


def _sweep_pages(svc: Services, dispatch: RQDispatcher, probe: JobProbe, letter_id: int,
                 report: SweepReport, dry_run: bool) -> None:
    with svc.db.read() as session:
        pages = session.execute(
            select(Page.index, Page.status, Page.job_id, Page.worker, Page.updated_at)
            .where(Page.letter_id == letter_id).order_by(Page.index)
        ).all()
    lost = [p.index for p in pages
            if p.status not in pipeline.SETTLED_PAGE and probe.lost(p.job_id, worker=p.worker, since=p.updated_at)]
    if dry_run:
        if lost:
            report.pages_queued.extend((letter_id, i) for i in lost)
        elif pages and all(p.status in pipeline.SETTLED_PAGE for p in pages):
            report.assembled.append(letter_id)
        elif not pages:
            report.letters_queued.append(letter_id)
        return
    if lost:
        jobs: list[tuple[int, str]] = []
        with svc.db.write() as session:
            for page in session.scalars(select(Page).where(Page.letter_id == letter_id, Page.index.in_(lost))):
                if page.status in pipeline.SETTLED_PAGE:
                    continue
                page.status, page.job_id = "queued", pipeline.new_job_id("page", letter_id, page.index)
                jobs.append((page.index, page.job_id))
        if jobs:
            dispatch.pages(letter_id, jobs)
            report.pages_queued.extend((letter_id, i) for i, _ in jobs)
    elif pages and all(p.status in pipeline.SETTLED_PAGE for p in pages):
        if pipeline.assemble_letter(svc, dispatch, letter_id):
            report.assembled.append(letter_id)
    elif not pages:  # marked running but its pages were never created: prepare it again
        _requeue_letter(svc, dispatch, letter_id, from_statuses=("ocr_running",))
        report.letters_queued.append(letter_id)


def _sweep_stages(svc: Services, dispatch: RQDispatcher, probe: JobProbe, letter_id: int, job_id: str | None,
                  updated_at: datetime, report: SweepReport, dry_run: bool) -> None:
    with svc.db.read() as session:
        letter = session.get(Letter, letter_id)
        if letter is None:
            return
        pending = pipeline.pending_stages(letter)
        exhausted = [n for n in pending
                     if int((letter.stages or {}).get(n, {}).get("attempts", 0)) > svc.settings.job_retries]
    if not pending:
        if not dry_run:
            pipeline.dispatch_stages_if_due(svc, dispatch, letter_id)  # marks it complete
        return
    if exhausted:
        return  # given up (shown on the letter; ``donthu retry`` re-runs it)
    if probe.lost(job_id, worker=None, since=updated_at):
        if not dry_run:
            pipeline.dispatch_stages_if_due(svc, dispatch, letter_id)
        report.stages_queued.append(letter_id)

"""Dispatchers: put the pipeline's next steps on the RQ queue, or run them here and now (``--sync``)."""

from __future__ import annotations

import logging
from functools import lru_cache

from redis import Redis
from rq import Queue, Retry

from ingest import pipeline
from ingest.services import Services

log = logging.getLogger(__name__)

RETRY_INTERVALS = [5, 30, 120]  # seconds of back-off between attempts


@lru_cache(maxsize=8)
def _redis(url: str) -> Redis:
    return Redis.from_url(url, socket_connect_timeout=5, socket_timeout=30, health_check_interval=30)


def redis_connection(svc: Services) -> Redis:
    return _redis(svc.settings.effective_redis_url)


def get_queue(svc: Services) -> Queue:
    return Queue(svc.settings.queue_name, connection=redis_connection(svc))


class RQDispatcher:
    """Enqueue jobs by dotted name so the web process never imports the OCR stack."""

    def __init__(self, svc: Services) -> None:
        self.svc = svc

    def _options(self, job_id: str, description: str) -> dict:
        s = self.svc.settings
        retry = Retry(max=s.job_retries, interval=RETRY_INTERVALS[: s.job_retries] or [5]) if s.job_retries else None
        return {"job_id": job_id, "retry": retry, "result_ttl": 3600, "failure_ttl": 7 * 86400,
                "description": description}

    def prepare(self, letter_id: int, job_id: str) -> None:
        get_queue(self.svc).enqueue("ingest.jobs.prepare_job", letter_id, job_timeout=self.svc.settings.job_timeout,
                                    **self._options(job_id, f"prepare letter {letter_id}"))

    def pages(self, letter_id: int, jobs: list[tuple[int, str]]) -> None:
        queue = get_queue(self.svc)
        data = [
            Queue.prepare_data("ingest.jobs.page_job", (letter_id, index), timeout=self.svc.settings.job_timeout,
                               **self._options(job_id, f"read page {index + 1} of letter {letter_id}"))
            for index, job_id in jobs
        ]
        queue.enqueue_many(data)

    def stages(self, letter_id: int, job_id: str) -> None:
        # at the front: a read letter is classified in seconds, not after the hundreds of pages queued behind it
        # (reviewers see each letter as soon as it is read, not when the whole batch is)
        get_queue(self.svc).enqueue("ingest.jobs.stages_job", letter_id, job_timeout=self.svc.settings.job_timeout,
                                    at_front=True, **self._options(job_id, f"post-OCR stages of letter {letter_id}"))


class InlineDispatcher:
    """Runs every step in this process, depth first: for scripts, tests and ``donthu ingest --sync``."""

    def __init__(self, svc: Services) -> None:
        self.svc = svc

    def prepare(self, letter_id: int, job_id: str) -> None:
        pipeline.prepare_letter(self.svc, self, letter_id)

    def pages(self, letter_id: int, jobs: list[tuple[int, str]]) -> None:
        for index, _job_id in jobs:
            pipeline.read_letter_page(self.svc, self, letter_id, index)

    def stages(self, letter_id: int, job_id: str) -> None:
        pipeline.run_stages(self.svc, letter_id)


def dispatch_new_letter(svc: Services, letter_id: int, job_id: str | None, *, sync: bool = False) -> bool:
    """Hand a freshly committed letter to the workers. When Redis is down the letter simply waits: it is
    committed as ``queued`` and the sweeper enqueues it once Redis answers. Returns True if enqueued now."""
    if job_id is None:
        return False
    if sync:
        InlineDispatcher(svc).prepare(letter_id, job_id)
        return True
    try:
        RQDispatcher(svc).prepare(letter_id, job_id)
        return True
    except Exception as exc:  # redis.ConnectionError, TimeoutError, ...: the sweeper will catch up
        log.warning("letter %s registered but not queued yet (%s); the sweeper will queue it", letter_id, exc)
        return False

"""One RQ worker process (``python -m ingest.rq_worker``), started by the supervisor in ingest.workers."""

from __future__ import annotations

import logging
import os
import resource
import sys

from rq import Queue, Worker

from ingest.dispatch import redis_connection
from ingest.services import Services


def preload() -> None:
    """Import everything a job needs once, in the worker: RQ forks a work-horse per job, and a horse that
    imports OpenCV, pdfium and scikit-learn itself spends about a second doing it, for every page."""
    import ingest.classification  # noqa: F401 - the classify stage: scikit-learn, the model code
    import ingest.jobs  # noqa: F401 - pipeline, reader, storage, dispatch
    import ingest.ocr  # noqa: F401 - OpenCV, numpy, pytesseract
    from ingest.stages import registered_stages

    registered_stages()


def limit_memory(megabytes: int) -> None:
    """Cap this process's address space (and its children's: Tesseract) at ``megabytes`` MiB; 0 leaves it."""
    if megabytes <= 0:
        return
    _soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    limit = megabytes * 1024 * 1024
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))


class LimitedWorker(Worker):
    """An RQ worker whose work-horses run under ``DONTHU_JOB_MEMORY_MB``: a hostile page that would need more
    memory fails with MemoryError (the reader fails the page with that reason) instead of swapping the machine
    into the OOM killer. The limit is set in the forked horse only, so the worker itself is never starved."""

    job_memory_mb = 0

    def main_work_horse(self, job, queue) -> None:  # noqa: ANN001 - rq.Job, rq.Queue
        limit_memory(self.job_memory_mb)
        super().main_work_horse(job, queue)


def main(argv: list[str]) -> int:
    # Tesseract's OpenMP threads fight each other when pages run in parallel processes (domain notes).
    os.environ["OMP_THREAD_LIMIT"] = "1"
    preload()
    logging.basicConfig(level=os.environ.get("DONTHU_LOG_LEVEL", "INFO"),
                        format="%(asctime)s worker[%(process)d] %(levelname)s %(message)s")
    svc = Services.from_env()
    connection = redis_connection(svc)
    queue = Queue(svc.settings.queue_name, connection=connection)
    worker = LimitedWorker([queue], connection=connection, job_monitoring_interval=5)
    worker.job_memory_mb = svc.settings.job_memory_mb
    burst = "--burst" in argv
    worker.work(burst=burst, with_scheduler=True, logging_level=os.environ.get("DONTHU_LOG_LEVEL", "INFO"))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""One RQ worker process (``python -m ingest.rq_worker``), started by the supervisor in ingest.workers."""

from __future__ import annotations

import logging
import os
import sys

from rq import Queue, Worker

from ingest.dispatch import redis_connection
from ingest.services import Services


def main(argv: list[str]) -> int:
    # Tesseract's OpenMP threads fight each other when pages run in parallel processes (domain notes).
    os.environ["OMP_THREAD_LIMIT"] = "1"
    logging.basicConfig(level=os.environ.get("DONTHU_LOG_LEVEL", "INFO"),
                        format="%(asctime)s worker[%(process)d] %(levelname)s %(message)s")
    svc = Services.from_env()
    connection = redis_connection(svc)
    queue = Queue(svc.settings.queue_name, connection=connection)
    worker = Worker([queue], connection=connection, job_monitoring_interval=5)
    burst = "--burst" in argv
    worker.work(burst=burst, with_scheduler=True, logging_level=os.environ.get("DONTHU_LOG_LEVEL", "INFO"))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

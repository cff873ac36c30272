"""The worker supervisor behind ``donthu worker`` and ``donthu run``: N RQ worker processes, restarted when
they die; the sweeper on start and every ``sweep_interval`` seconds; and, every ``retrain_interval`` seconds, a
retraining job when reviewers have labelled letters since the current model; every ``chores_interval`` seconds,
the weekly report and the deadline reminders."""

from __future__ import annotations

import logging
import os
import shutil
import signal
import subprocess
import sys
import threading
import time

from ingest.services import Services
from ingest.sweeper import sweep

log = logging.getLogger(__name__)


class WorkerSupervisor:
    def __init__(self, svc: Services, count: int, *, env: dict[str, str] | None = None) -> None:
        self.svc = svc
        self.count = count
        self.env = {**os.environ, **svc.settings.as_env(), **(env or {}), "OMP_THREAD_LIMIT": "1"}
        self.procs: list[subprocess.Popen] = []
        self.stopping = threading.Event()

    def _spawn(self) -> subprocess.Popen:
        # each worker leads its own process group, so stopping it also stops its work-horse; a nice worker (and
        # the work-horses and Tesseract processes it starts) gives way to the web app's requests
        # (nice(1) execs the worker, so the pid is the worker's; preexec_fn is unsafe beside the web's threads)
        nice = self.svc.settings.worker_nice
        prefix = ["nice", "-n", str(nice)] if nice > 0 and shutil.which("nice") else []
        return subprocess.Popen([*prefix, sys.executable, "-m", "ingest.rq_worker"], env=self.env,
                                start_new_session=True)

    def retrain_if_due(self) -> None:
        """Queue a retraining when reviewers have labelled letters since the current model (scheduled)."""
        try:
            from ingest.classification import retrain_due
            from ingest.dispatch import get_queue

            if retrain_due(self.svc):
                get_queue(self.svc).enqueue("ingest.jobs.train_job", job_timeout=1800, description="retrain model",
                                            job_id=f"donthu-train-{int(time.time()) // 60}")
        except Exception as exc:  # Redis or the database is down: next round
            log.warning("scheduling retraining failed: %s", exc)

    def housekeeping(self) -> None:
        """Queue the hourly chores: file last week's report (once) and send deadline reminders (once each)."""
        try:
            from ingest.dispatch import get_queue

            queue = get_queue(self.svc)
            hour = int(time.time()) // 3600  # one job of each kind an hour, whoever schedules it
            queue.enqueue("ingest.jobs.weekly_report_job", job_timeout=600, description="weekly report",
                          job_id=f"donthu-weekly-report-{hour}")
            queue.enqueue("ingest.jobs.remind_job", job_timeout=600, description="deadline reminders",
                          job_id=f"donthu-remind-{hour}")
        except Exception as exc:  # Redis or the database is down: next round
            log.warning("scheduling the hourly chores failed: %s", exc)

    def sweep_once(self) -> None:
        try:
            sweep(self.svc)
        except Exception as exc:  # Redis or the database is down: try again next round
            log.warning("sweep failed: %s", exc)

    def run(self) -> None:
        """Run until ``stop()`` (or SIGINT/SIGTERM when called from the main thread)."""
        self.procs = [self._spawn() for _ in range(self.count)]
        log.info("started %d workers: %s", self.count, [p.pid for p in self.procs])
        self.sweep_once()
        next_sweep = time.monotonic() + self.svc.settings.sweep_interval
        retrain_every = self.svc.settings.retrain_interval
        next_retrain = time.monotonic() + retrain_every if retrain_every else float("inf")
        chores_every = self.svc.settings.chores_interval
        next_chores = time.monotonic() + 60 if chores_every else float("inf")  # let the workers start first
        failures: dict[int, int] = {}
        while not self.stopping.wait(0.5):
            restarted = False
            for i, proc in enumerate(self.procs):
                if proc.poll() is not None:
                    failures[i] = failures.get(i, 0) + 1
                    log.warning("worker %s exited with %s; restarting", proc.pid, proc.returncode)
                    time.sleep(min(10, 0.5 * failures[i]))  # back off while Redis is away
                    self.procs[i] = self._spawn()
                    restarted = True
            if restarted or time.monotonic() >= next_sweep:
                self.sweep_once()
                next_sweep = time.monotonic() + self.svc.settings.sweep_interval
            if time.monotonic() >= next_retrain:
                self.retrain_if_due()
                next_retrain = time.monotonic() + retrain_every
            if time.monotonic() >= next_chores:
                self.housekeeping()
                next_chores = time.monotonic() + chores_every
        self._terminate()

    def stop(self) -> None:
        self.stopping.set()

    def _terminate(self, timeout: float = 15) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)  # RQ: warm shutdown, the current job finishes
        deadline = time.monotonic() + timeout
        for proc in self.procs:
            try:
                proc.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)  # its page is re-queued by the next sweep
                proc.wait()


def run_supervisor(svc: Services, count: int) -> None:
    supervisor = WorkerSupervisor(svc, count)

    def handle(signum, _frame):  # noqa: ANN001
        supervisor.stop()

    signal.signal(signal.SIGINT, handle)
    signal.signal(signal.SIGTERM, handle)
    supervisor.run()

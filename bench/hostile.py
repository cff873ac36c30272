"""Hostile input through the real system: the generated corpus (tests/hostile_corpus.py, ~300 files in 13
categories) fed to the intake of a fresh data dir while real RQ workers under the worker supervisor read what is
accepted.

Run: ``.venv/bin/python bench/hostile.py [--workers 2] [--timeout 900] [--keep]``

Prints: files tried; refused at intake by code; accepted → ocr_done / failed; letters lost (accepted but missing
on disk or never settled: must be 0); outcomes other than the corpus expects; worker process deaths (supervisor
restarts) and work-horse deaths (RQ jobs whose horse was killed); peak RSS of the worker processes, sampled every
0.5 s with their work-horses and Tesseract children, and the workers' own RSS at start vs end. The last line is
the same as one JSON object. Exit status 1 when a letter was lost, a worker died or an outcome was unexpected.
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from core.settings import load_settings  # noqa: E402
from ingest.dispatch import dispatch_new_letter  # noqa: E402
from ingest.errors import IntakeError  # noqa: E402
from ingest.intake import register_file  # noqa: E402
from ingest.redis_server import start_private_redis  # noqa: E402
from ingest.services import Services  # noqa: E402
from ingest.workers import WorkerSupervisor  # noqa: E402
from models import Letter, Page  # noqa: E402
from tests.hostile_corpus import DUPLICATE, CorpusFile, generate  # noqa: E402
from web.bootstrap import prepare_database, prepare_model  # noqa: E402

MB = 1024 * 1024


class CountingSupervisor(WorkerSupervisor):
    """The real supervisor, counting the worker processes it starts: every start after the first N is a restart
    after a worker died."""

    def __init__(self, svc: Services, count: int, log: Path) -> None:
        super().__init__(svc, count, env={"DONTHU_LOG_LEVEL": "WARNING"})
        self.spawned = 0
        self.log = log

    def _spawn(self) -> subprocess.Popen:
        # as WorkerSupervisor._spawn, with the workers' output in a log file: RQ logs each killed work-horse there
        self.spawned += 1
        with self.log.open("ab") as out:
            return subprocess.Popen([sys.executable, "-m", "ingest.rq_worker"], env=self.env, start_new_session=True,
                                    stdout=out, stderr=subprocess.STDOUT)

    def horse_deaths(self) -> int:
        """Work-horses that died under a job (a crash, or killed by the kernel): RQ's warning for each."""
        return self.log.read_text(errors="replace").count("Work-horse terminated unexpectedly")

    @property
    def restarts(self) -> int:
        return max(0, self.spawned - self.count)


@dataclass
class MemorySampler:
    """RSS of every worker process tree (worker, its work-horse, the horse's Tesseract), every 0.5 s."""

    supervisor: CountingSupervisor
    interval: float = 0.5
    peak_process: int = 0  # the largest single process seen
    peak_tree: int = 0  # the largest worker + horse + Tesseract at one moment
    peak_total: int = 0  # all worker trees together at one moment
    samples: int = 0
    _stop: threading.Event = field(default_factory=threading.Event)

    def worker_rss(self) -> list[int]:
        """The worker processes' own RSS (without horses), now."""
        out = []
        for proc in list(self.supervisor.procs):
            with contextlib.suppress(psutil.Error):
                out.append(psutil.Process(proc.pid).memory_info().rss)
        return out

    def sample(self) -> None:
        total = 0
        for proc in list(self.supervisor.procs):
            try:
                root = psutil.Process(proc.pid)
                tree = [root, *root.children(recursive=True)]
            except psutil.Error:
                continue
            tree_rss = 0
            for p in tree:
                try:
                    rss = p.memory_info().rss
                except psutil.Error:
                    continue
                tree_rss += rss
                self.peak_process = max(self.peak_process, rss)
            self.peak_tree = max(self.peak_tree, tree_rss)
            total += tree_rss
        self.peak_total = max(self.peak_total, total)
        self.samples += 1

    def run(self) -> None:
        while not self._stop.wait(self.interval):
            self.sample()

    def stop(self) -> None:
        self._stop.set()


@dataclass
class Fed:
    file: CorpusFile
    outcome: str  # refused:<code> | duplicate | accepted
    letter_id: int | None = None
    detail: str = ""


def feed(svc: Services, files: list[CorpusFile]) -> list[Fed]:
    """Every file through the intake service (what the upload API and ``donthu ingest`` call) and onto the queue."""
    out: list[Fed] = []
    for f in files:
        try:
            result = register_file(svc, f.data(), f.name, actor="bench")
        except IntakeError as exc:
            out.append(Fed(f, f"refused:{exc.code}", detail=exc.message))
            continue
        if result.duplicate_of is not None:
            out.append(Fed(f, DUPLICATE, result.letter_id))
            continue
        dispatch_new_letter(svc, result.letter_id, result.job_id)
        out.append(Fed(f, "accepted", result.letter_id))
    return out


def settled(letter: Letter) -> bool:
    return letter.status == "failed" or (letter.status == "ocr_done" and letter.stages_done)


def wait_settled(svc: Services, ids: set[int], timeout: float) -> dict[int, Letter]:
    """Poll until every letter is settled or ``timeout`` passes; the letters as last seen."""
    deadline = time.monotonic() + timeout
    last_report = 0.0
    while True:
        with svc.db.read() as session:
            letters = {lt.id: lt for lt in session.query(Letter).filter(Letter.id.in_(ids))}
            for letter in letters.values():
                session.expunge(letter)
        waiting = [i for i in ids if i not in letters or not settled(letters[i])]
        if not waiting or time.monotonic() > deadline:
            return letters
        if time.monotonic() - last_report > 10:
            print(f"  … {len(ids) - len(waiting)}/{len(ids)} settled", flush=True)
            last_report = time.monotonic()
        time.sleep(0.5)


def failure_code(letter: Letter) -> str:
    """The code of a failed letter's first reason ("page 2: corrupt_pdf: ..." → "corrupt_pdf")."""
    parts = (letter.error or "").split(": ", 2)
    return parts[1] if len(parts) > 2 else "?"


def page_retries(svc: Services, ids: set[int]) -> int:
    """Page reads beyond the first (a transient error or a killed work-horse): hostile input should cause none."""
    with svc.db.read() as session:
        return sum(max(0, p.attempts - 1) for p in session.query(Page).filter(Page.letter_id.in_(ids)))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--timeout", type=float, default=900, help="seconds to wait for every letter to settle")
    parser.add_argument("--sweep-interval", type=int, default=5, help="the sweeper's period (DONTHU_SWEEP_INTERVAL)")
    parser.add_argument("--job-memory-mb", type=int, default=None,
                        help="the work-horses' address-space limit (DONTHU_JOB_MEMORY_MB; default: the setting's)")
    parser.add_argument("--keep", action="store_true", help="keep the data dir and print where it is")
    args = parser.parse_args()
    warnings.filterwarnings("ignore", module="PIL")  # "Corrupt EXIF data" and the like: expected here

    folder = Path(tempfile.mkdtemp(prefix="donthu-hostile-"))
    started = time.perf_counter()
    files = generate(folder / "corpus")
    generated = time.perf_counter() - started
    socket = folder / "run" / "redis.sock"
    redis = start_private_redis(socket, folder / "redis.log")
    os.environ.update({
        "DONTHU_DATA_DIR": str(folder / "data"), "DONTHU_REDIS_URL": f"unix://{socket}",
        "DONTHU_DATABASE_URL": f"sqlite:///{folder / 'data' / 'donthu.db'}", "DONTHU_WORKERS": str(args.workers),
        "DONTHU_SWEEP_INTERVAL": str(args.sweep_interval), "DONTHU_RETRAIN_INTERVAL": "0",
        "DONTHU_CHORES_INTERVAL": "0",
    })
    if args.job_memory_mb is not None:
        os.environ["DONTHU_JOB_MEMORY_MB"] = str(args.job_memory_mb)
    svc = Services(load_settings())
    prepare_database(svc)
    prepare_model(svc)  # trained once here, not by each worker
    supervisor = CountingSupervisor(svc, args.workers, folder / "workers.log")
    sampler = MemorySampler(supervisor)
    threads = [threading.Thread(target=supervisor.run, daemon=True), threading.Thread(target=sampler.run, daemon=True)]
    try:
        threads[0].start()
        warm = register_file(svc, "Kính gửi Tỉnh ủy. Khởi động máy đọc.".encode(), "warmup.txt")
        dispatch_new_letter(svc, warm.letter_id, warm.job_id)
        wait_settled(svc, {warm.letter_id}, 120)  # workers up, models loaded
        rss_start = sampler.worker_rss()
        threads[1].start()
        fed_at = time.perf_counter()
        fed = feed(svc, files)
        intake_seconds = time.perf_counter() - fed_at
        accepted = {f.letter_id for f in fed if f.outcome == "accepted"}
        letters = wait_settled(svc, accepted, args.timeout)
        settle_seconds = time.perf_counter() - fed_at
        rss_end = sampler.worker_rss()
        sampler.stop()
        horses = supervisor.horse_deaths()
        retries = page_retries(svc, accepted)
    finally:
        supervisor.stop()
        threads[0].join(60)
        redis.terminate()
        redis.wait(10)

    # lost: accepted, yet no row, no original on disk, or never settled
    lost = []
    for fed_file in fed:
        if fed_file.outcome != "accepted":
            continue
        letter = letters.get(fed_file.letter_id)
        if letter is None or not svc.store.path(letter.storage_path).is_file() or not settled(letter):
            lost.append(fed_file)
    outcomes = []
    for f in fed:
        if f.outcome == "accepted":
            letter = letters.get(f.letter_id)
            outcomes.append(letter.status if letter and settled(letter) else "unsettled")
        else:
            outcomes.append(f.outcome)
    unexpected = [(f, o) for f, o in zip(fed, outcomes, strict=True) if o not in f.file.expect]
    refused = collections.Counter(o.split(":", 1)[1] for o in outcomes if o.startswith("refused:"))
    failed_reasons = collections.Counter(failure_code(letters[f.letter_id]) for f in fed if f.outcome == "accepted"
                                         and f.letter_id in letters and letters[f.letter_id].status == "failed")
    pages = sum(letters[i].page_count or 0 for i in accepted if i in letters)
    summary = {
        "files": len(files), "categories": len({f.category for f in files}),
        "refused": sum(refused.values()), "refused_by_code": dict(sorted(refused.items())),
        "accepted": len(accepted), "duplicates": outcomes.count(DUPLICATE), "pages": pages,
        "ocr_done": outcomes.count("ocr_done"), "failed": outcomes.count("failed"),
        "failed_by_code": dict(sorted(failed_reasons.items())), "unexpected": len(unexpected),
        "letters_lost": len(lost), "worker_deaths": supervisor.restarts, "horse_deaths": horses,
        "page_retries": retries,
        "workers": args.workers, "job_memory_mb": svc.settings.job_memory_mb,
        "peak_rss_mb": {"process": round(sampler.peak_process / MB), "worker_tree": round(sampler.peak_tree / MB),
                        "all_workers": round(sampler.peak_total / MB)},
        "worker_rss_mb": {"start": [round(r / MB) for r in rss_start], "end": [round(r / MB) for r in rss_end]},
        "rss_samples": sampler.samples, "seconds": {"generate": round(generated, 1), "intake": round(intake_seconds, 1),
                                                    "until_settled": round(settle_seconds, 1)},
    }
    print_table(summary, unexpected, lost)
    print(json.dumps(summary, ensure_ascii=False))
    if args.keep:
        print(f"data dir kept: {folder}")
    else:
        shutil.rmtree(folder, ignore_errors=True)
    return 1 if lost or unexpected or supervisor.restarts else 0


def print_table(s: dict, unexpected: list, lost: list) -> None:
    rows = [
        ("files tried", f"{s['files']} ({s['categories']} categories)"),
        ("refused at intake", str(s["refused"])),
        *((f"  {code}", str(n)) for code, n in s["refused_by_code"].items()),
        ("accepted (new letters)", f"{s['accepted']} ({s['pages']} pages)"),
        ("  → ocr_done", str(s["ocr_done"])),
        ("  → failed (with reason)", str(s["failed"])),
        *((f"      {code}", str(n)) for code, n in s["failed_by_code"].items()),
        ("same bytes again (duplicate)", str(s["duplicates"])),
        ("letters lost", str(s["letters_lost"])),
        ("outcomes not as the corpus expects", str(s["unexpected"])),
        ("worker process deaths (restarts)", str(s["worker_deaths"])),
        ("work-horse deaths", str(s["horse_deaths"])),
        ("page reads retried", str(s["page_retries"])),
        ("peak RSS, one process", f"{s['peak_rss_mb']['process']} MiB"),
        ("peak RSS, worker + horse + tesseract", f"{s['peak_rss_mb']['worker_tree']} MiB"),
        ("peak RSS, all workers", f"{s['peak_rss_mb']['all_workers']} MiB ({s['rss_samples']} samples)"),
        ("worker RSS start → end", f"{s['worker_rss_mb']['start']} → {s['worker_rss_mb']['end']} MiB"),
        ("job memory limit", f"{s['job_memory_mb']} MiB address space per work-horse"),
        ("time", f"generate {s['seconds']['generate']} s, intake {s['seconds']['intake']} s, "
                 f"all settled after {s['seconds']['until_settled']} s"),
    ]
    width = max(len(label) for label, _ in rows) + 2
    print(f"\nHostile input: {s['files']} files through intake and {s['workers']} RQ workers")
    for label, value in rows:
        print(f"{label:<{width}}{value}")
    for fed, outcome in unexpected:
        print(f"UNEXPECTED {fed.file.path.name} {fed.file.name[:40]!r}: {outcome}, expected {sorted(fed.file.expect)}")
    for fed in lost:
        print(f"LOST {fed.file.path.name} {fed.file.name[:40]!r}: letter {fed.letter_id}")


if __name__ == "__main__":
    sys.exit(main())

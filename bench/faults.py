"""Fault injection: crash the parts under a running intake batch and prove that nothing is lost.

Scenarios (each on a fresh data dir and a fresh database, with real RQ workers under ``donthu worker``):

  kill-ocr        kill -9 a worker (and its work-horse) while it holds a page it has just OCR'd, twice
  kill-classify   kill -9 a worker inside the classify stage (its result saved, the stage not yet marked), twice
  kill-index      kill -9 a worker after it wrote a search document, before its transaction committed, twice
  redis-restart   kill -9 the Redis server mid-batch (every queued job is lost) and start an empty one
  pg-restart      restart PostgreSQL in immediate mode (a crash: every connection drops) mid-batch
  disk-full       fill the data dir (a small tmpfs holding the SQLite database and the files) during intake,
                  then free it

The workers are told where to pause by failpoints (``core/failpoints.py``), so each kill lands where it should.
After each scenario, once the batch has settled: every accepted letter is in the database with its original on
disk and is either read and fully staged or failed with a reason; ``donthu check`` finds the database, files,
queue and index consistent, or repairs them and then finds them consistent; no temporary file is left. A file
refused at intake (disk full) is in neither the database nor the store, and its refusal says why.

PostgreSQL is a private cluster (initdb into a temporary folder, run as the ``postgres`` user on a free port)
so restarting it disturbs nothing else; Redis is a private redis-server; the disk-full scenario mounts a tmpfs
and so needs root (it is reported as skipped otherwise).

Run: ``.venv/bin/python bench/faults.py [--letters 8] [--only kill-ocr,disk-full]``. Prints one line per
scenario and a JSON summary; exit code 0 iff every scenario passed.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import psutil  # noqa: E402
from sqlalchemy import select  # noqa: E402

from core.settings import load_settings  # noqa: E402
from ingest.check import check  # noqa: E402
from ingest.dispatch import dispatch_new_letter  # noqa: E402
from ingest.errors import IntakeError  # noqa: E402
from ingest.intake import register_file  # noqa: E402
from ingest.redis_server import start_private_redis  # noqa: E402
from ingest.services import Services  # noqa: E402
from models import Letter  # noqa: E402
from tests.scans import render_page, scanned_pdf  # noqa: E402
from web.bootstrap import prepare_database, prepare_model  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "classify" / "data" / "corpus" / "A_land.jsonl"
PAUSE = 3.0  # seconds a worker waits at an armed failpoint: the window the kill lands in
SETTLE_TIMEOUT = 420


# -- private services ------------------------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PrivatePostgres:
    """A throw-away PostgreSQL cluster owned by the ``postgres`` user (initdb refuses to run as root)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.data = folder / "pgdata"
        self.port = free_port()
        bins = sorted(Path("/usr/lib/postgresql").glob("*/bin"))
        if not bins:
            raise RuntimeError("PostgreSQL server binaries not found under /usr/lib/postgresql")
        self.bin = bins[-1]

    def _run(self, *args: str) -> None:
        prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        subprocess.run([*prefix, *args], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def start(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            shutil.chown(self.folder, "postgres", "postgres")
        if not self.data.exists():
            self._run(str(self.bin / "initdb"), "-D", str(self.data), "-A", "trust", "-U", "postgres", "-E", "UTF8")
        self._pg_ctl("start", "-w")

    def _pg_ctl(self, *args: str) -> None:
        options = f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c fsync=on"
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-l", str(self.folder / "pg.log"),
                  "-o", options, *args)

    def restart_crash(self) -> None:
        """Stop like a crash (no checkpoint, connections cut) and start again: recovery replays the WAL."""
        self._pg_ctl("stop", "-m", "immediate", "-w")
        time.sleep(1.0)
        self._pg_ctl("start", "-w")

    def create_database(self, name: str) -> str:
        self._run(str(self.bin / "createdb"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", name)
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{name}"

    def stop(self) -> None:
        if self.data.exists():
            with contextlib.suppress(subprocess.CalledProcessError):
                self._pg_ctl("stop", "-m", "fast", "-w")


class PrivateRedis:
    def __init__(self, folder: Path) -> None:
        self.socket = folder / "redis.sock"
        self.log = folder / "redis.log"
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"unix://{self.socket}"

    def start(self) -> None:
        self.proc = start_private_redis(self.socket, self.log)

    def crash(self) -> None:
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait()

    def stop(self) -> None:
        self.crash()


class Tmpfs:
    """A small RAM file system: the disk the disk-full scenario fills."""

    def __init__(self, folder: Path, megabytes: int) -> None:
        self.folder, self.megabytes = folder, megabytes

    def mount(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={self.megabytes}m", "tmpfs", str(self.folder)],
                       check=True)

    def unmount(self) -> None:
        subprocess.run(["umount", "-l", str(self.folder)], check=False)

    def free_bytes(self) -> int:
        return shutil.disk_usage(self.folder).free


# -- the batch ---------------------------------------------------------------------------------------------------
def letter_files(count: int, pages: int = 2) -> list[tuple[str, bytes]]:
    """``count`` scanned PDFs of real-looking letters, ``pages`` pages each (texts from the training corpus)."""
    texts = [json.loads(line)["text"] for line in CORPUS.read_text(encoding="utf-8").splitlines() if line.strip()]
    files = []
    for i in range(count):
        text = texts[i % len(texts)]
        half = len(text) // pages
        images = [render_page(text[p * half:(p + 1) * half] or text, dpi=200, seed=i * 7 + p) for p in range(pages)]
        files.append((f"thu-{i:03d}.pdf", scanned_pdf(images, dpi=200)))
    return files


@dataclass
class Outcome:
    scenario: str
    accepted: int = 0
    refused: dict[str, int] = field(default_factory=dict)
    done: int = 0
    failed: int = 0
    lost: int = 0
    faults: int = 0  # faults actually injected
    found_by_check: dict[str, int] = field(default_factory=dict)
    unresolved_after_repair: int = 0
    temp_files: int = 0
    seconds: float = 0.0
    problems: list[str] = field(default_factory=list)
    skipped: str | None = None

    @property
    def passed(self) -> bool:
        return self.skipped is None and not self.problems and self.lost == 0 and self.faults > 0 \
            and self.unresolved_after_repair == 0 and self.temp_files == 0

    def line(self) -> str:
        if self.skipped:
            return f"{self.scenario:14} SKIPPED: {self.skipped}"
        refused = ",".join(f"{k}:{v}" for k, v in self.refused.items()) or "0"
        found = ",".join(f"{k}:{v}" for k, v in self.found_by_check.items()) or "none"
        verdict = "PASS" if self.passed else "FAIL " + "; ".join(self.problems)
        return (f"{self.scenario:14} faults {self.faults}  accepted {self.accepted:3}  refused {refused:18} "
                f"done {self.done:3}  failed {self.failed:2}  lost {self.lost}  check found {found:28} "
                f"unresolved {self.unresolved_after_repair}  tmp {self.temp_files}  {self.seconds:5.0f} s  {verdict}")


class Harness:
    """One scenario's system: settings in the environment, the worker supervisor as a child process."""

    def __init__(self, data_dir: Path, database_url: str, redis: PrivateRedis, failpoints: str = "") -> None:
        self.data_dir, self.redis = data_dir, redis
        self.env = {
            "DONTHU_DATA_DIR": str(data_dir),
            "DONTHU_DATABASE_URL": database_url,
            "DONTHU_REDIS_URL": redis.url,
            "DONTHU_QUEUE_NAME": f"faults-{os.getpid()}-{int(time.time())}",
            "DONTHU_SWEEP_INTERVAL": "3",
            "DONTHU_STALE_AFTER": "20",
            "DONTHU_JOB_RETRIES": "3",
            "DONTHU_OCR_DPI": "200",
            "DONTHU_CHORES_INTERVAL": "0",
            "DONTHU_RETRAIN_INTERVAL": "0",
            "DONTHU_FAILPOINTS": failpoints,
        }
        os.environ.update(self.env)
        self.svc = Services(load_settings())
        prepare_database(self.svc)
        prepare_model(self.svc)
        self.supervisor: subprocess.Popen | None = None
        self.accepted: list[int] = []
        self.refused: dict[str, int] = {}

    def start_workers(self, count: int = 2) -> None:
        log = (self.data_dir / "run").mkdir(parents=True, exist_ok=True) or (self.data_dir / "run" / "workers.log")
        self.supervisor = subprocess.Popen(
            [str(Path(sys.executable).parent / "donthu"), "worker", "-n", str(count)], cwd=ROOT, env={**os.environ, **self.env},
            stdout=log.open("ab"), stderr=subprocess.STDOUT, start_new_session=True)

    def stop_workers(self) -> None:
        if self.supervisor is not None and self.supervisor.poll() is None:
            os.killpg(self.supervisor.pid, signal.SIGTERM)
            try:
                self.supervisor.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(self.supervisor.pid, signal.SIGKILL)
        for proc in psutil.process_iter(["cmdline", "environ"]):
            try:  # work-horses and workers of this scenario that outlived their supervisor
                if "ingest.rq_worker" in " ".join(proc.info["cmdline"] or []) and \
                        (proc.info["environ"] or {}).get("DONTHU_QUEUE_NAME") == self.env["DONTHU_QUEUE_NAME"]:
                    proc.kill()
            except (psutil.NoSuchProcess, psutil.AccessDenied):
                pass

    def submit(self, files: list[tuple[str, bytes]], on_each: Callable[[int], None] | None = None) -> None:
        for i, (name, data) in enumerate(files):
            try:
                result = register_file(self.svc, data, name, actor="faults")
            except IntakeError as exc:
                self.refused[exc.code] = self.refused.get(exc.code, 0) + 1
            else:
                self.accepted.append(result.letter_id)
                dispatch_new_letter(self.svc, result.letter_id, result.job_id)
            if on_each:
                on_each(i)

    def settled(self) -> bool:
        try:
            with self.svc.db.read() as session:
                rows = session.execute(select(Letter.status, Letter.stages_done)
                                       .where(Letter.id.in_(self.accepted))).all()
        except Exception:  # the database is restarting
            return False
        return len(rows) == len(self.accepted) and all(
            s == "failed" or (s == "ocr_done" and done) for s, done in rows)

    def wait_settled(self, timeout: float = SETTLE_TIMEOUT) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.settled():
                return True
            time.sleep(1)
        return False

    def failpoint_pids(self, name: str) -> list[int]:
        log = self.data_dir / "run" / "failpoints.log"
        if not log.exists():
            return []
        return [int(pid) for pid, point in (line.split() for line in log.read_text().splitlines()) if point == name]


def kill_worker_of(pid: int) -> bool:
    """kill -9 the work-horse ``pid`` and the RQ worker that forked it, like the kernel's OOM killer would."""
    try:
        horse = psutil.Process(pid)
        parent = horse.parent()
    except psutil.NoSuchProcess:
        return False
    for proc in (parent, horse):
        try:
            if proc is not None and "ingest.rq_worker" in " ".join(proc.cmdline()):
                proc.send_signal(signal.SIGKILL)
        except psutil.NoSuchProcess:
            pass
    return True


# -- verdicts ----------------------------------------------------------------------------------------------------
def judge(harness: Harness, outcome: Outcome) -> None:
    """Count outcomes, then run ``donthu check`` (verify, repair, verify) and look for half-written files."""
    svc = harness.svc
    outcome.accepted, outcome.refused = len(harness.accepted), dict(harness.refused)
    with svc.db.read() as session:
        letters = {letter.id: (letter.status, letter.stages_done, letter.error, letter.storage_path)
                   for letter in session.scalars(select(Letter))}
    for letter_id in harness.accepted:
        row = letters.get(letter_id)
        if row is None:
            outcome.lost += 1
            outcome.problems.append(f"letter {letter_id} accepted but not in the database")
            continue
        status, stages_done, error, path = row
        if not svc.store.path(path).is_file():
            outcome.lost += 1
            outcome.problems.append(f"letter {letter_id}: original missing")
        if status == "ocr_done" and stages_done:
            outcome.done += 1
        elif status == "failed" and (error or "").strip():
            outcome.failed += 1
        else:
            outcome.lost += 1
            outcome.problems.append(f"letter {letter_id} unsettled: {status}")
    if len(letters) != len(harness.accepted):
        outcome.problems.append(f"{len(letters)} letters in the database, {len(harness.accepted)} accepted")
    found = check(svc, grace_seconds=0)
    outcome.found_by_check = found.counts()
    check(svc, repair=True, grace_seconds=0)
    outcome.unresolved_after_repair = len(check(svc, deep=True, grace_seconds=0).findings)
    outcome.temp_files = sum(1 for _ in svc.settings.originals_dir.rglob(".tmp-*")) \
        if svc.settings.originals_dir.exists() else 0


# -- scenarios ---------------------------------------------------------------------------------------------------
@contextlib.contextmanager
def running_system(work: Path, database_url: str, failpoints: str = "",
                   redis: PrivateRedis | None = None) -> Iterator[Harness]:
    """Redis (started here unless given), the settings and the worker supervisor; all stopped on the way out."""
    redis = redis or PrivateRedis(work / "redis")
    if redis.proc is None:
        redis.start()
    harness = Harness(work / "data", database_url, redis, failpoints)
    try:
        harness.start_workers()
        yield harness
    finally:
        harness.stop_workers()
        redis.stop()


def settle_and_judge(harness: Harness, outcome: Outcome) -> None:
    if not harness.wait_settled():
        outcome.problems.append("batch did not settle")
    harness.stop_workers()  # nothing may run while the check looks for leftovers
    judge(harness, outcome)


def scenario_kill(name: str, point: str, work: Path, pg: PrivatePostgres, letters: int) -> Outcome:
    outcome = Outcome(name)
    with running_system(work, pg.create_database(name.replace("-", "_")), f"{point}={PAUSE}") as harness:
        harness.submit(letter_files(letters))
        killed: set[int] = set()
        deadline = time.monotonic() + 240
        while len(killed) < 2 and time.monotonic() < deadline:
            for pid in harness.failpoint_pids(point):
                if pid not in killed and len(killed) < 2 and kill_worker_of(pid):
                    killed.add(pid)
            time.sleep(0.2)
        outcome.faults = len(killed)
        settle_and_judge(harness, outcome)
    return outcome


def scenario_redis_restart(work: Path, pg: PrivatePostgres, letters: int) -> Outcome:
    outcome = Outcome("redis-restart")
    with running_system(work, pg.create_database("redis_restart")) as harness:
        files = letter_files(letters)

        def crash_midway(i: int) -> None:
            if i == len(files) // 2:
                time.sleep(4)  # some pages running, some queued
                harness.redis.crash()
                outcome.faults += 1
                time.sleep(3)  # letters registered now wait, committed, for the sweeper
            elif i == len(files) // 2 + 2:
                harness.redis.start()

        harness.submit(files, crash_midway)
        settle_and_judge(harness, outcome)
    return outcome


def scenario_pg_restart(work: Path, pg: PrivatePostgres, letters: int) -> Outcome:
    outcome = Outcome("pg-restart")
    with running_system(work, pg.create_database("pg_restart")) as harness:
        harness.submit(letter_files(letters))
        for pause in (6, 8):  # pages in flight, then stages too
            time.sleep(pause)
            pg.restart_crash()
            outcome.faults += 1
        settle_and_judge(harness, outcome)
    return outcome


def scenario_disk_full(work: Path, letters: int) -> Outcome:
    outcome = Outcome("disk-full")
    if os.geteuid() != 0:
        outcome.skipped = "mounting a tmpfs needs root"
        return outcome
    disk = Tmpfs(work / "disk", megabytes=48)
    disk.mount()
    try:
        data_dir = disk.folder / "data"  # the SQLite database and the files; Redis stays outside
        with running_system(disk.folder, f"sqlite:///{data_dir / 'donthu.db'}",
                            redis=PrivateRedis(work / "redis")) as harness:
            files = letter_files(letters)
            harness.submit(files[: letters // 3])  # a third arrives while there is room
            # fill the disk to within a little more than one file of its end, then keep sending
            ballast = disk.folder / "ballast"
            room = disk.free_bytes() - len(files[0][1]) - 256 * 1024
            with ballast.open("wb") as fh:
                fh.write(b"\0" * max(0, room))
            harness.submit(files[letters // 3:])
            outcome.faults += 1
            time.sleep(10)  # the workers run into the full disk too
            ballast.unlink()
            settle_and_judge(harness, outcome)
            if not harness.refused:
                outcome.problems.append("no intake was refused: the disk never filled")
            elif set(harness.refused) != {"storage_full"}:
                outcome.problems.append(f"refusals without a storage reason: {harness.refused}")
    finally:
        disk.unmount()
    return outcome


SCENARIOS = ["kill-ocr", "kill-classify", "kill-index", "redis-restart", "pg-restart", "disk-full"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--letters", type=int, default=8, help="letters (2 scanned pages each) per scenario")
    parser.add_argument("--only", default="", help="comma-separated scenarios (default: all)")
    args = parser.parse_args()
    chosen = [s for s in SCENARIOS if not args.only or s in args.only.split(",")]
    outcomes: list[Outcome] = []
    with tempfile.TemporaryDirectory(prefix="donthu-faults-") as tmp:
        base = Path(tmp)
        os.chmod(base, 0o755)  # the postgres user must reach its cluster folder
        pg = PrivatePostgres(base / "pg")
        pg.start()
        try:
            for name in chosen:
                work = base / name
                started = time.monotonic()
                if name.startswith("kill-"):
                    point = {"kill-ocr": "page.read.after", "kill-classify": "stage.classify.after",
                             "kill-index": "index.written"}[name]
                    outcome = scenario_kill(name, point, work, pg, args.letters)
                elif name == "redis-restart":
                    outcome = scenario_redis_restart(work, pg, args.letters)
                elif name == "pg-restart":
                    outcome = scenario_pg_restart(work, pg, args.letters)
                else:
                    outcome = scenario_disk_full(work, args.letters * 2)
                outcome.seconds = time.monotonic() - started
                outcomes.append(outcome)
                print(outcome.line(), flush=True)
        finally:
            pg.stop()
    ran = [o for o in outcomes if not o.skipped]
    summary = {"scenarios": len(ran), "passed": sum(o.passed for o in ran), "faults": sum(o.faults for o in ran),
               "letters_accepted": sum(o.accepted for o in ran), "letters_lost": sum(o.lost for o in ran),
               "refused_at_intake": sum(sum(o.refused.values()) for o in ran),
               "unresolved_after_check": sum(o.unresolved_after_repair for o in ran),
               "skipped": [o.scenario for o in outcomes if o.skipped]}
    print(json.dumps(summary))
    return 0 if ran and all(o.passed for o in ran) else 1


if __name__ == "__main__":
    sys.exit(main())

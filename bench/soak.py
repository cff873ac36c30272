"""Load and soak: 20 reviewers browsing while a 1,000-page scanned intake batch is read, on the whole system.

Requirement (issue "Hardening"): 20 concurrent web users plus a 1,000-page intake batch at the same time; p95
latency, error count, worker RSS over time (no growth), pages/minute; zero letters lost.

What it does:

1. Data dir: builds, or with ``--reuse`` reuses, the 100,000-letter data dir of ``bench/web_load.py`` (same
   ``build``; ``--data-dir DIR --keep`` keeps it, about 6–7 min to build). A reused or kept dir is never
   changed: the run works on a copy beside it (``--keep-run`` keeps the copy), so the next run — and
   ``web_load.py --reuse`` — find it as built.
2. The batch: ``--pages`` (1,000) scanned pages, deterministic for ``--batch-seed``: about 120 files — PDFs of
   2–20 pages from a grey scanner (JPEG in PDF, 150–300 dpi, skew, noise, some pages upside down or sideways)
   or a black-and-white one (CCITT G4), and single pages as phone photos (JPEG, uneven light), PNG and G4
   TIFF — each page a synthetic letter (``bench/search_scale.make_letters``, another seed than the data dir's)
   typeset by ``tests/scans.py``. Rendered once into ``--batch-dir`` (default beside the data dir) and reused.
3. The system as ``donthu run`` starts it (the real command, ``python -m web.cli run``): migrations, a private
   redis-server on a Unix socket, the worker supervisor with ``--workers`` (2) RQ workers and the sweeper, and
   gunicorn (two processes per core, two threads each).
4. ``--users`` (20) reviewers log in and browse as in ``web_load.py`` (think time 0–``--think-ms`` ms): a
   ``--baseline-seconds`` phase with nothing to read, then the batch phase. A clerk (role ``clerk``) uploads
   every file through the intake page (``POST /letters/upload`` with ``Accept: application/json``, one file
   after another, as ``web/static/upload.js`` does) and, like that page, polls each letter's
   ``/api/v1/letters/ID/status`` every ``--poll-seconds`` (1.5) until it is read and classified (on a second
   connection; ``--poll-seconds 0``: no polling). The users browse until the batch settles (every accepted
   letter ``ocr_done`` with its stages done, or ``failed``), or ``--max-minutes``.
5. Every ``--interval`` (5) seconds a sample (psutil): RSS of each gunicorn process, of each RQ worker process,
   and of each worker's tree (the worker plus its work-horse and the horse's tesseract; also PSS, which does
   not count the pages a forked horse shares with its worker twice), redis and the supervisor; CPU used by
   each part since the previous sample; pages read and letters settled (database); the queue's length; web
   requests, errors and p95 in the window. Samples go to a CSV next to the data dir.

Report: web requests, errors, p50/p95/p99 for the 20 users (baseline and batch phases) and for the clerk's
uploads and polls; pages read, pages/minute; letters accepted / settled / failed / lost (accepted but not
settled, or its original missing or altered on disk); a table of memory, queue, p95 and CPU every ~10% of
the pages; RQ worker RSS while pages are read — start (the first sample after ``--warmup-pages`` pages: the
model and tesseract are loaded), peak, end (the last sample before every page was read), idle (after the batch
settled) — and growth: the least-squares slope of the summed RSS of the RQ worker processes against pages read
over the second half of the batch, in MB per 100 pages. The same figures for the trees with their horses and
for the gunicorn processes are shown, not judged: a horse and its tesseract live for one page, so whether one
is running when a sample is taken makes the trees' figures jump by hundreds of MB. CPU per part, per phase.
The last line is a JSON summary.

Exit code 0 iff web errors == 0, lost == 0, failed == 0 (every file is a valid scan, so a failed letter is a
bug), the batch settled within ``--max-minutes``, and the RQ workers' RSS growth is under ``GROWTH_LIMIT_MB``
MB per 100 pages. p95 is reported against
the 300 ms web target but does not decide the exit code: with OCR on both cores it is the CPU's share, not a
defect.

Run: ``.venv/bin/python bench/soak.py --data-dir /tmp/donthu-load --reuse`` (builds the dir first when it does
not hold ``--letters`` letters; add ``--keep`` to keep a dir it builds). About 15–25 minutes on 2 cores, plus
about 8 minutes the first time to render the batch. A small trial: ``--letters 2000 --data-dir /tmp/soak-small
--keep --pages 30 --users 5 --baseline-seconds 5 --interval 2`` (growth needs 5 samples in the second half of
the batch: with fewer it is "not measured" and the exit code is 1).
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import hashlib
import io
import json
import math
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

import psutil

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from PIL import Image, ImageDraw, ImageFont  # noqa: E402
from sqlalchemy import func, select  # noqa: E402

from bench.web_load import (  # noqa: E402
    PASSWORD,
    TARGET_P95_MS,
    Client,
    Sample,
    ensure_built,
    ensure_users,
    free_port,
    percentile,
    pick_routes,
    run_user,
    workload,
)
from core.settings import load_settings  # noqa: E402
from ingest.services import Services  # noqa: E402
from models import Letter, Page, User  # noqa: E402
from models.session import dispose_all  # noqa: E402
from web.accounts import create_user  # noqa: E402
from web.bootstrap import prepare_database  # noqa: E402

GROWTH_LIMIT_MB = 2.0  # summed RSS of the RQ worker processes, per 100 pages read, over the batch's second half
CLERK = "soak-clerk@donthu.local"
BATCH_VERSION = 1  # bump when the batch's recipe changes: a cached batch of another version is rendered again
TEXT_SEED = 4242  # make_letters seed of the batch's texts (the data dir's letters use 7)
MB = 1024 * 1024


# -- the batch -----------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class PageSpec:
    """One scanned page: what is printed on it and how the scan damaged it (see ``tests.scans.damage``)."""

    text: str
    font: str
    seed: int
    skew: float = 0.0
    rotate: int = 0
    noise: float = 0.0
    blur: float = 0.0
    shading: float = 0.0


@dataclass(frozen=True)
class FileSpec:
    """One file of the batch: ``kind`` is pdf (grey JPEG pages), pdf_bw (CCITT G4), jpeg, png or tiff."""

    name: str
    kind: str
    dpi: int
    quality: int
    pages: tuple[PageSpec, ...]


@dataclass
class BatchFile:
    """A rendered file of the batch, as the manifest lists it."""

    name: str
    kind: str
    pages: int
    bytes: int
    sha256: str


@lru_cache(maxsize=8)
def _measure(font: str) -> tuple[ImageDraw.ImageDraw, ImageFont.FreeTypeFont]:
    from tests.scans import FONTS

    return ImageDraw.Draw(Image.new("L", (1, 1))), ImageFont.truetype(str(FONTS[font]), round(12 * 300 / 72))


def _page_texts(text: str, font: str) -> list[str]:
    """The letter cut into pieces that ``tests.scans.render_page`` fits on one A4 page at 12 pt, 300 dpi: its
    margins, line spacing and word wrap, with room for the largest top shift a seed gives."""
    from tests.scans import A4_INCHES, LINE_SPACING, MARGINS_CM, PARAGRAPH_GAP, _wrap

    draw, face = _measure(font)
    px_per_cm = 300 / 2.54
    width = round(A4_INCHES[0] * 300) - round(MARGINS_CM["right"] * px_per_cm) - round(MARGINS_CM["left"] * px_per_cm)
    room = round(A4_INCHES[1] * 300) - round(MARGINS_CM["bottom"] * px_per_cm) \
        - round(MARGINS_CM["top"] * px_per_cm) - 300 // 10
    line = round(face.size * LINE_SPACING)
    pages: list[str] = []
    current: list[str] = []
    used = 0
    for paragraph in text.split("\n"):
        lines = _wrap(draw, paragraph, face, width) or [""]
        while lines:
            fit = min(len(lines), max(0, (room - used) // line))
            if fit == 0:
                pages.append("\n".join(current))
                current, used = [], 0
                continue
            current.append(" ".join(lines[:fit]))
            used += fit * line + round(line * PARAGRAPH_GAP)
            lines = lines[fit:]
    if current:
        pages.append("\n".join(current))
    return [p for p in pages if p.strip()]


def plan_batch(total_pages: int, seed: int) -> list[FileSpec]:
    """Files adding up to ``total_pages`` pages: ~25% single pages, the rest PDFs of 2–20 pages; each page a
    page of a synthetic letter, a file's letters one after another (a letter with its attachments)."""
    from bench.search_scale import make_letters
    from tests.scans import FONTS

    rng = random.Random(seed)
    texts = iter(text for _, text, _ in make_letters(total_pages + 50, seed=TEXT_SEED))
    fonts = sorted(FONTS)
    files: list[FileSpec] = []
    left = total_pages
    while left > 0:
        n = 1 if rng.random() < 0.25 else min(left, rng.randint(2, 20))
        n = min(n, left)
        font = rng.choice(fonts)
        pages: list[PageSpec] = []
        while len(pages) < n:
            for body in _page_texts(next(texts), font)[: n - len(pages)]:
                pages.append(PageSpec(body, font, rng.randrange(1, 10**6)))
        number = len(files) + 1
        if n == 1:
            kind = rng.choices(["jpeg", "png", "tiff"], [50, 25, 25])[0]
        else:
            kind = rng.choices(["pdf", "pdf_bw"], [80, 20])[0]
        if kind == "jpeg":  # a phone photo: uneven light, tilted, soft
            dpi, quality = 200, 80
            pages = [PageSpec(p.text, p.font, p.seed, skew=rng.uniform(-4, 4), noise=0.015, blur=0.6,
                              shading=rng.uniform(0.25, 0.45)) for p in pages]
        elif kind in ("png", "tiff", "pdf_bw"):  # a flatbed scan, saved losslessly or as black and white
            dpi, quality = 300, 0
            pages = [PageSpec(p.text, p.font, p.seed, skew=rng.uniform(-1.5, 1.5),
                              rotate=180 if rng.random() < 0.03 else 0) for p in pages]
        else:  # a grey document-feeder scan, JPEG pages
            dpi, quality = rng.choices([300, 200, 150], [70, 20, 10])[0], rng.randint(60, 80)
            pages = [PageSpec(p.text, p.font, p.seed, skew=rng.uniform(-2.5, 2.5),
                              rotate=rng.choices([0, 180, 90, 270], [95, 3, 1, 1])[0],
                              noise=rng.choice([0.0, 0.01, 0.02]), blur=rng.choice([0.0, 0.0, 0.5]))
                     for p in pages]
        ext = {"pdf": "pdf", "pdf_bw": "pdf", "jpeg": "jpg", "png": "png", "tiff": "tif"}[kind]
        files.append(FileSpec(f"soak_{number:03d}_{kind}_{n:02d}p.{ext}", kind, dpi, quality, tuple(pages)))
        left -= n
    return files


def _scan(page: PageSpec, dpi: int, bilevel: bool) -> Image.Image:
    from tests.scans import damage, render_page

    img = render_page(page.text, dpi=300, font=page.font, seed=page.seed)
    img = damage(img, rotate=page.rotate, skew=page.skew, noise=page.noise, blur=page.blur, shading=page.shading,
                 dpi=dpi if dpi != 300 else None, seed=page.seed)
    if bilevel:
        img = img.point(lambda v: 255 if v > 150 else 0).convert("1")
        img.info = {"dpi": (dpi, dpi)}
    return img


def render_file(spec: FileSpec) -> bytes:
    """The file's bytes; the same spec always gives the same bytes (no dates in the PDFs)."""
    images = [_scan(p, spec.dpi, spec.kind in ("pdf_bw", "tiff")) for p in spec.pages]
    buf = io.BytesIO()
    if spec.kind in ("pdf", "pdf_bw"):
        extra = {"quality": spec.quality} if spec.quality else {}  # JPEG pages; CCITT G4 has no quality
        images[0].save(buf, format="PDF", save_all=True, append_images=images[1:], resolution=float(spec.dpi),
                       creationDate=None, modDate=None, title=None, **extra)
    elif spec.kind == "jpeg":
        images[0].save(buf, format="JPEG", quality=spec.quality, dpi=(spec.dpi, spec.dpi))
    elif spec.kind == "png":
        images[0].save(buf, format="PNG", dpi=(spec.dpi, spec.dpi), optimize=False)
    else:
        images[0].save(buf, format="TIFF", compression="group4", dpi=(spec.dpi, spec.dpi))
    return buf.getvalue()


def _render_to(job: tuple[FileSpec, str]) -> BatchFile:
    spec, folder = job
    data = render_file(spec)
    (Path(folder) / spec.name).write_bytes(data)
    return BatchFile(spec.name, spec.kind, len(spec.pages), len(data), hashlib.sha256(data).hexdigest())


def ensure_batch(folder: Path, total_pages: int, seed: int, jobs: int) -> list[BatchFile]:
    """The batch's files in ``folder`` (rendered when the manifest is missing, of another recipe, or a file
    differs from it); returns the manifest's files in upload order."""
    manifest = folder / "manifest.json"
    key = {"version": BATCH_VERSION, "pages": total_pages, "seed": seed}
    if manifest.exists():
        saved = json.loads(manifest.read_text())
        files = [BatchFile(**f) for f in saved.get("files", [])]
        if saved.get("key") == key and all((folder / f.name).is_file()
                                           and (folder / f.name).stat().st_size == f.bytes for f in files):
            print(f"batch: reusing {folder} ({len(files)} files, {sum(f.pages for f in files)} pages)")
            return files
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    started = time.perf_counter()
    specs = plan_batch(total_pages, seed)
    print(f"batch: rendering {len(specs)} files, {total_pages} pages into {folder} ({jobs} processes) …",
          flush=True)
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        files = list(pool.map(_render_to, [(s, str(folder)) for s in specs]))
    manifest.write_text(json.dumps({"key": key, "files": [asdict(f) for f in files]}, indent=1))
    print(f"batch: {len(files)} files, {sum(f.bytes for f in files) / MB:.0f} MB, "
          f"rendered in {time.perf_counter() - started:.0f} s", flush=True)
    return files


# -- the data dir --------------------------------------------------------------------------------------------
def prepare_base(args: argparse.Namespace) -> tuple[Path, bool]:
    """The built data dir (built now unless ``--reuse`` finds it holding ``--letters`` letters); returns it and
    whether this run created the folder."""
    base = (args.data_dir or Path(tempfile.mkdtemp(prefix="donthu-soak-"))).resolve()
    created = args.data_dir is None or not base.exists()
    base.mkdir(parents=True, exist_ok=True)
    os.environ["DONTHU_DATA_DIR"] = str(base)
    ensure_built(Services(load_settings()), base, args.letters, args.build_jobs, args.letters // 20,
                 reuse=args.reuse)
    dispose_all()
    return base, created


def working_copy(base: Path) -> Path:
    """A copy of the data dir beside it (no ``run/``: sockets and logs of earlier runs)."""
    target = Path(tempfile.mkdtemp(prefix=f"{base.name}-soak-run-", dir=base.parent))
    started = time.perf_counter()
    shutil.copytree(base, target, dirs_exist_ok=True, ignore=lambda d, names: ["run"] if Path(d) == base else [])
    size = sum(p.stat().st_size for p in target.rglob("*") if p.is_file())
    print(f"working copy: {target} ({size / MB / 1024:.1f} GiB, {time.perf_counter() - started:.0f} s)")
    return target


# -- the system ----------------------------------------------------------------------------------------------
class System:
    """``donthu run`` on a data dir: its process and the children it starts (found by their command lines)."""

    def __init__(self, data_dir: Path, port: int, workers: int, web_workers: int) -> None:
        self.data_dir, self.port = data_dir, port
        run_dir = data_dir / "run"
        run_dir.mkdir(parents=True, exist_ok=True)
        self.log_path = run_dir / "donthu-run.log"
        env = {k: v for k, v in os.environ.items() if k != "DONTHU_REDIS_URL"}  # the private redis-server
        env.update(DONTHU_DATA_DIR=str(data_dir), DONTHU_LOG_LEVEL=env.get("DONTHU_LOG_LEVEL", "INFO"))
        cmd = [sys.executable, "-m", "web.cli", "run", "--port", str(port), "--workers", str(workers)]
        if web_workers:
            cmd += ["--web-workers", str(web_workers)]
        self.proc = subprocess.Popen(cmd, env=env, cwd=ROOT, start_new_session=True, stdin=subprocess.DEVNULL,
                                     stdout=open(self.log_path, "ab"), stderr=subprocess.STDOUT)  # noqa: SIM115
        self.root = psutil.Process(self.proc.pid)
        self.workers = workers
        self.seen: set[int] = set()  # every child pid seen: stop() ends only these, by pid

    def parts(self) -> dict[str, list[psutil.Process]]:
        """The processes by part: ``web`` (gunicorn workers), ``web_master``, ``rq`` (the RQ workers, not their
        horses), ``redis``; ``supervisor`` is ``donthu run`` itself (the supervisor thread and the sweeper)."""
        out: dict[str, list[psutil.Process]] = {"web": [], "web_master": [], "rq": [], "redis": [],
                                                "supervisor": [self.root]}
        try:
            children = self.root.children()
        except psutil.NoSuchProcess:
            return out
        for child in children:
            try:
                cmd = " ".join(child.cmdline())
            except (psutil.NoSuchProcess, psutil.AccessDenied):
                continue
            self.seen.add(child.pid)
            if "ingest.rq_worker" in cmd:
                out["rq"].append(child)
            elif "gunicorn" in cmd:
                out["web_master"].append(child)
                with contextlib.suppress(psutil.NoSuchProcess):
                    out["web"] += child.children()
            elif "redis-server" in cmd:
                out["redis"].append(child)
        out["rq"].sort(key=lambda p: p.pid)
        out["web"].sort(key=lambda p: p.pid)
        return out

    def wait_ready(self, timeout: float = 120) -> None:
        """Until the web app answers /login and every RQ worker has registered with Redis."""
        from redis import Redis

        deadline = time.monotonic() + timeout
        web_ok = False
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise SystemExit(f"donthu run exited with {self.proc.returncode}; see {self.log_path}")
            if not web_ok:
                client = Client(self.port, timeout=5)
                with contextlib.suppress(OSError):
                    web_ok = client.request("GET", "/login")[0] == 200
                client.close()
            socket_path = self.data_dir / "run" / "redis.sock"  # Settings.private_redis_socket
            if web_ok and socket_path.exists():
                try:
                    registered = Redis(unix_socket_path=str(socket_path), socket_connect_timeout=1).scard("rq:workers")
                except Exception:  # noqa: BLE001 - not up yet
                    registered = 0
                if registered >= self.workers:
                    return
            time.sleep(0.5)
        raise SystemExit(f"the system was not ready within {timeout:.0f} s; see {self.log_path}")

    def stop(self) -> None:
        """SIGTERM to ``donthu run`` (it stops gunicorn, the workers and redis); SIGKILL to what lingers."""
        if self.proc.poll() is None:
            self.parts()  # note the current children's pids
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        for pid in self.seen:
            try:
                child = psutil.Process(pid)
                if child.is_running() and child.status() != psutil.STATUS_ZOMBIE:
                    os.killpg(pid, signal.SIGKILL)  # each child leads its own process group
            except (psutil.NoSuchProcess, ProcessLookupError, PermissionError):
                pass


# -- sampling ------------------------------------------------------------------------------------------------
def _tree(proc: psutil.Process) -> list[psutil.Process]:
    try:
        return [proc, *proc.children(recursive=True)]
    except psutil.NoSuchProcess:
        return []


def _rss(procs: Sequence[psutil.Process]) -> float:
    total = 0
    for p in procs:
        with contextlib.suppress(psutil.NoSuchProcess, psutil.AccessDenied):
            total += p.memory_info().rss
    return total / MB


def _pss(procs: Sequence[psutil.Process]) -> float:
    total = 0
    for p in procs:
        with contextlib.suppress(psutil.NoSuchProcess, psutil.AccessDenied, AttributeError):
            total += p.memory_full_info().pss
    return total / MB


def _cpu(procs: Sequence[psutil.Process], children: bool = True) -> float:
    """CPU seconds of live processes, with (``children``) what their reaped children used: a horse's and its
    tesseract's time moves into the worker's children times when the worker reaps it."""
    total = 0.0
    for p in procs:
        try:
            t = p.cpu_times()
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
        total += t.user + t.system + ((t.children_user + t.children_system) if children else 0.0)
    return total


def _machine_busy() -> float:
    t = psutil.cpu_times()
    return sum(t) - t.idle - getattr(t, "iowait", 0.0) - getattr(t, "guest", 0.0) - getattr(t, "guest_nice", 0.0)


CPU_PARTS = ("web", "rq", "redis", "supervisor", "load")


@dataclass
class Batch:
    """The letters the clerk got accepted, and the counters the sampler reads from the database."""

    first_id: int  # letters with a greater id were registered during the run
    accepted: dict[int, BatchFile] = field(default_factory=dict)
    refused: list[str] = field(default_factory=list)
    started_at: float | None = None  # perf_counter of the first upload
    uploaded_at: float | None = None  # all files sent
    settled_at: float | None = None

    def progress(self, svc: Services) -> tuple[int, int, int, int]:
        """(letters registered, pages read, letters settled, letters failed) so far."""
        with svc.db.read() as session:
            row = session.execute(
                select(func.count(Letter.id), func.coalesce(func.sum(Letter.pages_done), 0),
                       func.count(Letter.id).filter((Letter.status == "failed")
                                                    | ((Letter.status == "ocr_done") & Letter.stages_done)),
                       func.count(Letter.id).filter(Letter.status == "failed"))
                .where(Letter.id > self.first_id)).one()
        return int(row[0]), int(row[1]), int(row[2]), int(row[3])


class Sampler(threading.Thread):
    """Every ``interval`` seconds: memory and CPU per part, progress, queue length, and the users' window."""

    def __init__(self, system: System, svc: Services, batch: Batch, user_samples: list[list[Sample]],
                 interval: float, started: float) -> None:
        super().__init__(name="sampler", daemon=True)
        self.system, self.svc, self.batch, self.user_samples = system, svc, batch, user_samples
        self.interval, self.started = interval, started
        self.rows: list[dict[str, Any]] = []
        self.stop = threading.Event()
        self.phase = "baseline"
        self.restarts = 0
        self._seen_rq: set[int] = set()
        self._cursor = [0 for _ in user_samples]
        self._last_cpu: dict[str, float] | None = None
        self._last_t = started
        self._redis: Any = None

    def _queue_length(self) -> int | None:
        try:
            if self._redis is None:
                from redis import Redis

                self._redis = Redis(unix_socket_path=str(self.svc.settings.private_redis_socket),
                                    socket_connect_timeout=1, socket_timeout=2)
            return int(self._redis.llen(f"rq:queue:{self.svc.settings.queue_name}"))
        except Exception:  # noqa: BLE001 - redis stopping or restarting: not this sample
            self._redis = None
            return None

    def sample(self) -> dict[str, Any]:
        now = time.perf_counter()
        parts = self.system.parts()
        rq_trees = [_tree(p) for p in parts["rq"]]
        new_rq = {p.pid for p in parts["rq"]} - self._seen_rq
        if self._seen_rq and new_rq:
            self.restarts += len(new_rq)
        self._seen_rq |= new_rq
        cpu = {"web": _cpu(parts["web"] + parts["web_master"]), "rq": sum(_cpu(t) for t in rq_trees),
               "redis": _cpu(parts["redis"]), "supervisor": _cpu(parts["supervisor"], children=False),
               "load": time.process_time(), "machine": _machine_busy(), "_t": now}
        window: list[Sample] = []
        for i, samples in enumerate(self.user_samples):
            end = len(samples)
            window += samples[self._cursor[i]:end]
            self._cursor[i] = end
        ms = sorted(s.seconds * 1000 for s in window)
        registered, pages, settled, failed = self.batch.progress(self.svc)
        row: dict[str, Any] = {
            "t_s": round(now - self.started, 1), "phase": self.phase, "pages_done": pages,
            "letters_registered": registered, "letters_settled": settled, "letters_failed": failed,
            "queue_length": self._queue_length(), "requests": len(window),
            "errors": sum(1 for s in window if s.outcome != "ok"),
            "p95_ms": round(percentile(ms, 95), 1) if ms else None,
            "rq_rss_mb": round(_rss(parts["rq"]), 1),
            "rq_tree_rss_mb": round(sum(_rss(t) for t in rq_trees), 1),
            "rq_tree_pss_mb": round(sum(_pss(t) for t in rq_trees), 1),
            "horses": sum(len(t) - 1 for t in rq_trees),
            "web_rss_mb": round(_rss(parts["web"]), 1), "web_master_rss_mb": round(_rss(parts["web_master"]), 1),
            "redis_rss_mb": round(_rss(parts["redis"]), 1), "supervisor_rss_mb": round(_rss(parts["supervisor"]), 1),
        }
        for i, tree in enumerate(rq_trees, 1):
            row[f"rq{i}_rss_mb"] = round(_rss(tree[:1]), 1)
            row[f"rq{i}_tree_rss_mb"] = round(_rss(tree), 1)
        for i, proc in enumerate(parts["web"], 1):
            row[f"web{i}_rss_mb"] = round(_rss([proc]), 1)
        elapsed = max(1e-6, now - self._last_t)
        for name in (*CPU_PARTS, "machine"):
            before = self._last_cpu[name] if self._last_cpu else cpu[name]
            row[f"cpu_{name}_pct"] = round(max(0.0, cpu[name] - before) / elapsed * 100, 1)
        row["_cpu"] = cpu
        self._last_cpu, self._last_t = cpu, now
        return row

    def run(self) -> None:
        """A sample every ``interval`` seconds, and a last one when stopped."""
        while True:
            stopping = self.stop.is_set()
            try:
                self.rows.append(self.sample())
            except Exception as exc:  # noqa: BLE001 - a sample lost is reported, the run goes on
                print(f"sample failed: {type(exc).__name__}: {exc}", file=sys.stderr)
            if stopping:
                break
            self.stop.wait(self.interval)


# -- the clerk -----------------------------------------------------------------------------------------------
def multipart(fields: Sequence[tuple[str, str]], files: Sequence[tuple[str, str, bytes, str]]) -> tuple[bytes, str]:
    """A multipart/form-data body and its content type: ``fields`` (name, value), ``files`` (field, file
    name, bytes, media type)."""
    boundary = f"----soak{uuid.uuid4().hex}"
    out = io.BytesIO()
    for name, value in fields:
        out.write(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
    for name, filename, data, media in files:
        out.write(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
                  f"Content-Type: {media}\r\n\r\n".encode())
        out.write(data)
        out.write(b"\r\n")
    out.write(f"--{boundary}--\r\n".encode())
    return out.getvalue(), f"multipart/form-data; boundary={boundary}"


MEDIA = {".pdf": "application/pdf", ".jpg": "image/jpeg", ".png": "image/png", ".tif": "image/tiff"}
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def run_clerk(port: int, folder: Path, files: list[BatchFile], batch: Batch, poll_s: float, stop: threading.Event,
              out: list[Sample]) -> None:
    """Upload every file through the intake page, one after another, as ``upload.js`` does; meanwhile, on a
    second connection, poll each accepted letter's status every ``poll_s`` seconds until it settles."""
    uploader, poller = Client(port, timeout=120), Client(port)
    uploader.login(CLERK, PASSWORD)
    poller.cookies = dict(uploader.cookies)  # one browser: one session, two connections
    status, _, page = uploader.request("GET", "/letters/upload")
    found = CSRF.search(page.decode("utf-8", "replace"))
    if status != 200 or not found:
        raise RuntimeError(f"GET /letters/upload answered {status} without a csrf_token")
    due: dict[int, float] = {}  # letter id → next poll
    lock = threading.Lock()

    def poll_loop() -> None:
        while not stop.is_set():
            with lock:
                pending = sorted(due.items(), key=lambda item: item[1])
            if not pending:
                if batch.uploaded_at is not None:
                    return
                stop.wait(0.2)
                continue
            letter_id, when = pending[0]
            if when > time.perf_counter():
                stop.wait(min(0.2, when - time.perf_counter()))
                continue
            started = time.perf_counter()
            try:
                code, _, body = poller.request("GET", f"/api/v1/letters/{letter_id}/status", accept="application/json")
                result = "ok" if code == 200 else str(code)
                info = json.loads(body) if code == 200 else {}
            except Exception as exc:  # noqa: BLE001 - every failure is an error of the run
                result, info = type(exc).__name__, {}
                poller.close()
            out.append(Sample("status", time.perf_counter() - started, result, started))
            settled = info.get("status") == "failed" or (info.get("status") == "ocr_done" and info.get("stages_done"))
            with lock:
                if settled:
                    due.pop(letter_id, None)
                else:
                    due[letter_id] = time.perf_counter() + poll_s

    polling = threading.Thread(target=poll_loop, name="clerk-poll", daemon=True) if poll_s > 0 else None
    if polling:
        polling.start()
    batch.started_at = time.perf_counter()
    for f in files:
        if stop.is_set():
            break
        body, content_type = multipart([("csrf_token", found.group(1)), ("channel", "post"), ("received", "")],
                                       [("files", f.name, (folder / f.name).read_bytes(), MEDIA[Path(f.name).suffix])])
        started = time.perf_counter()
        try:
            code, _, answer = uploader.request("POST", "/letters/upload", body, content_type=content_type,
                                               accept="application/json")
            outcome = (json.loads(answer).get("letters") or [{}])[0] if code == 202 else {}
            result = "ok" if code == 202 and outcome.get("letter_id") and not outcome.get("duplicate_of") \
                else f"{code} {outcome.get('code') or outcome.get('error') or ''}".strip()
        except Exception as exc:  # noqa: BLE001
            result, outcome = type(exc).__name__, {}
            uploader.close()
        out.append(Sample("upload", time.perf_counter() - started, result, started))
        if result == "ok":
            batch.accepted[int(outcome["letter_id"])] = f
            with lock:
                due[int(outcome["letter_id"])] = time.perf_counter() + poll_s
        else:
            batch.refused.append(f"{f.name}: {result}")
    batch.uploaded_at = time.perf_counter()
    uploader.close()
    if polling:
        polling.join()
    poller.close()


# -- report --------------------------------------------------------------------------------------------------
def slope(points: Sequence[tuple[float, float]]) -> float | None:
    """Least-squares slope of y on x; None with fewer than 5 points or no spread in x."""
    if len(points) < 5:
        return None
    mx = sum(x for x, _ in points) / len(points)
    my = sum(y for _, y in points) / len(points)
    sxx = sum((x - mx) ** 2 for x, _ in points)
    if sxx == 0:
        return None
    return sum((x - mx) * (y - my) for x, y in points) / sxx


def latency_line(name: str, samples: list[Sample], seconds: float) -> str:
    ms = sorted(s.seconds * 1000 for s in samples)
    errors = Counter(s.outcome for s in samples if s.outcome != "ok")
    kinds = ", ".join(f"{k}×{n}" for k, n in errors.most_common()) or "-"
    return (f"{name:<26}{len(samples):>9}{sum(errors.values()):>8}{percentile(ms, 50):>9.0f}{percentile(ms, 95):>9.0f}"
            f"{percentile(ms, 99):>9.0f}{(ms[-1] if ms else math.nan):>9.0f}{len(samples) / max(seconds, 1e-6):>8.1f}"
            f"  {kinds}")


def cpu_shares(rows: list[dict[str, Any]]) -> dict[str, float]:
    """% of one core each part used between the first and the last of ``rows``."""
    if len(rows) < 2:
        return {}
    first, last = rows[0]["_cpu"], rows[-1]["_cpu"]
    seconds = max(1e-6, last["_t"] - first["_t"])
    shares = {name: (last[name] - first[name]) / seconds * 100 for name in (*CPU_PARTS, "machine")}
    shares["other"] = max(0.0, shares["machine"] - sum(shares[name] for name in CPU_PARTS))
    return shares


def write_csv(path: Path, rows: list[dict[str, Any]]) -> None:
    columns: list[str] = []
    for row in rows:
        columns += [k for k in row if not k.startswith("_") and k not in columns]
    with path.open("w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=columns, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)


def check_letters(svc: Services, batch: Batch) -> tuple[int, int, int, list[str], int]:
    """After the system stopped: (settled, failed, lost, reasons for each lost letter, letters registered that
    the clerk was not told of). Lost: accepted but missing, not settled, or its original missing or altered."""
    settled = failed = 0
    lost: list[str] = []
    with svc.db.read() as session:
        rows = {row.id: row for row in session.execute(
            select(Letter.id, Letter.status, Letter.stages_done, Letter.storage_path, Letter.sha256,
                   Letter.page_count, Letter.pages_done, Letter.error).where(Letter.id > batch.first_id))}
    for letter_id, f in sorted(batch.accepted.items()):
        row = rows.get(letter_id)
        if row is None:
            lost.append(f"#{letter_id} {f.name}: no row")
            continue
        path = svc.settings.data_dir / row.storage_path
        digest = hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else None
        if digest != f.sha256 or row.sha256 != f.sha256:
            lost.append(f"#{letter_id} {f.name}: original missing or altered ({row.storage_path})")
            continue
        if row.status == "failed":
            failed += 1
            settled += 1
            lost_reason = None
            print(f"  failed: #{letter_id} {f.name}: {row.error}")
        elif row.status == "ocr_done" and row.stages_done:
            settled += 1
            lost_reason = None if row.pages_done == f.pages else f"{row.pages_done}/{f.pages} pages read"
        else:
            lost_reason = f"status {row.status}, stages_done {row.stages_done}, pages {row.pages_done}/{f.pages}"
        if lost_reason:
            lost.append(f"#{letter_id} {f.name}: {lost_reason}")
    unknown = len(set(rows) - set(batch.accepted))
    return settled, failed, len(lost), lost, unknown


def memory_figures(rows: list[dict[str, Any]], key: str, warm_pages: int) -> dict[str, Any]:
    """The column ``key`` while pages were being read: ``start`` (the first sample with ``warm_pages`` read),
    ``peak``, ``end`` (the last sample before the last page was read), and the slope against pages read over the
    second half (MB per 100 pages); ``idle``: the last sample, after the batch settled."""
    batch_rows = [r for r in rows if r["phase"] == "batch"]
    total = batch_rows[-1]["pages_done"] if batch_rows else 0  # pages read in the end (a failed page never is)
    busy = [r for r in batch_rows if warm_pages <= r["pages_done"] < total]
    s = slope([(r["pages_done"], r[key]) for r in busy if r["pages_done"] >= total / 2])
    return {"start": busy[0][key] if busy else None, "peak": max((r[key] for r in busy), default=None),
            "end": busy[-1][key] if busy else None, "idle": batch_rows[-1][key] if batch_rows else None,
            "slope_per_100_pages": None if s is None else round(s * 100, 2),
            "points": sum(1 for r in busy if r["pages_done"] >= total / 2)}


def web_slope_per_minute(rows: list[dict[str, Any]], half_t: float) -> float | None:
    s = slope([(r["t_s"] / 60, r["web_rss_mb"]) for r in rows if r["phase"] == "batch" and r["t_s"] >= half_t])
    return None if s is None else round(s, 2)


# -- main ----------------------------------------------------------------------------------------------------
def _interrupt(_signum: int, _frame: object) -> None:
    raise KeyboardInterrupt


def parse_args() -> argparse.Namespace:
    cores = os.cpu_count() or 1
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--letters", type=int, default=100_000, help="letters in the data dir")
    parser.add_argument("--data-dir", type=Path, help="the built data dir (default: a temporary one, removed)")
    parser.add_argument("--reuse", action="store_true", help="use the data dir when it holds --letters letters")
    parser.add_argument("--keep", action="store_true", help="keep a data dir this run builds")
    parser.add_argument("--keep-run", action="store_true", help="keep the working copy the system ran on")
    parser.add_argument("--build-jobs", type=int, default=cores)
    parser.add_argument("--pages", type=int, default=1000, help="pages in the intake batch")
    parser.add_argument("--batch-seed", type=int, default=1)
    parser.add_argument("--batch-dir", type=Path, help="where the batch is rendered (default beside the data dir)")
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--think-ms", type=float, default=200)
    parser.add_argument("--routes", help="the users' routes, as web_load.py's --routes")
    parser.add_argument("--workers", type=int, default=2, help="RQ workers")
    parser.add_argument("--web-workers", type=int, default=0, help="gunicorn processes (default: donthu run's)")
    parser.add_argument("--port", type=int)
    parser.add_argument("--interval", type=float, default=5, help="seconds between samples")
    parser.add_argument("--warmup", type=float, default=5, help="web warm-up seconds, not measured")
    parser.add_argument("--baseline-seconds", type=float, default=30, help="users browsing before the batch")
    parser.add_argument("--warmup-pages", type=int, default=50, help="pages read before the RSS 'start' figure")
    parser.add_argument("--poll-seconds", type=float, default=1.5, help="the upload page's status polling "
                        "interval (0: none)")
    parser.add_argument("--max-minutes", type=float, default=45, help="give up on the batch after this")
    parser.add_argument("--seed", type=int, default=1)
    return parser.parse_args()


@dataclass
class Run:
    """What one soak run observed, for the report."""

    args: argparse.Namespace
    files: list[BatchFile]
    batch: Batch
    routes: list[Any]
    rows: list[dict[str, Any]]
    users: list[Sample]
    clerk: list[Sample]
    started: float  # perf_counter of the sampler's t = 0
    measure_from: float
    batch_start: float
    timed_out: bool
    restarts: int
    csv_path: Path


def soak(args: argparse.Namespace, svc: Services, work: Path, files: list[BatchFile], batch_dir: Path,
         csv_path: Path, stop: threading.Event, started_system: list[System]) -> Run:
    """Start the system on ``work``, let the users browse, upload the batch, sample until it settles."""
    cores = os.cpu_count() or 1
    prepare_database(svc, with_admin=True)  # migrations that landed since the build
    emails = ensure_users(svc, args.users)
    with svc.db.write() as session:
        if session.scalar(select(User.id).where(User.email == CLERK)) is None:
            create_user(session, CLERK, PASSWORD, "clerk", full_name="Văn thư thử tải")
    wl = workload(svc, random.Random(args.seed))
    with svc.db.read() as session:
        batch = Batch(first_id=session.scalar(select(func.max(Letter.id))) or 0)
    routes = pick_routes(args.routes)
    port = args.port or free_port()
    print(f"\nmachine: {cores} cores, {psutil.virtual_memory().total / MB / 1024:.0f} GiB, Python "
          f"{sys.version.split()[0]}; data: {work} ({batch.first_id:,} letters)")
    print(f"system: donthu run --workers {args.workers}"
          + (f" --web-workers {args.web_workers}" if args.web_workers else " (gunicorn 2 per core × 2 threads)")
          + f", private redis-server; port {port}")
    print(f"batch: {len(files)} files, {sum(f.pages for f in files)} pages "
          f"({', '.join(f'{k} {n}' for k, n in Counter(f.kind for f in files).most_common())}); "
          f"the clerk uploads one file after another, polls every {args.poll_seconds:g} s")
    print(f"users: {args.users}, think 0–{args.think_ms:.0f} ms; baseline {args.baseline_seconds:g} s, then the "
          f"batch until it settles (max {args.max_minutes:g} min); a sample every {args.interval:g} s\n", flush=True)

    t0 = time.perf_counter()
    system = System(work, port, args.workers, args.web_workers)
    started_system.append(system)
    system.wait_ready()
    parts = system.parts()
    nice = sorted({p.nice() for p in parts["rq"]})
    print(f"system ready in {time.perf_counter() - t0:.0f} s: {len(parts['web'])} gunicorn workers, "
          f"{len(parts['rq'])} RQ workers at nice {', '.join(map(str, nice))}", flush=True)

    clients = [Client(port) for _ in emails]
    for client, email in zip(clients, emails, strict=True):
        client.login(email, PASSWORD)
    user_out: list[list[Sample]] = [[] for _ in clients]
    clerk_out: list[Sample] = []
    started = time.perf_counter()
    measure_from = started + args.warmup
    users = [threading.Thread(target=run_user, daemon=True, name=f"user{i + 1}",
                              args=(c, routes, wl, random.Random(args.seed * 1000 + i), args.think_ms / 1000,
                                    measure_from, math.inf, stop, user_out[i]))
             for i, c in enumerate(clients)]
    for t in users:
        t.start()
    sampler = Sampler(system, svc, batch, user_out, args.interval, started)
    sampler.start()
    time.sleep(args.warmup + args.baseline_seconds)

    sampler.phase = "batch"
    batch_start = time.perf_counter()
    clerk = threading.Thread(target=run_clerk, name="clerk", daemon=True,
                             args=(port, batch_dir, files, batch, args.poll_seconds, stop, clerk_out))
    clerk.start()
    deadline = batch_start + args.max_minutes * 60
    printed = 0
    try:
        while time.perf_counter() < deadline:
            time.sleep(1)
            if system.proc.poll() is not None:
                print(f"donthu run exited with {system.proc.returncode}; see {system.log_path}", file=sys.stderr)
                break
            if len(sampler.rows) > printed and sampler.rows[-1]["t_s"] >= printed_t(sampler.rows, printed) + 30:
                printed = len(sampler.rows)
                print(progress_line(sampler.rows[-1], len(batch.accepted)), flush=True)
            if batch.uploaded_at is not None and batch.progress(svc)[2] >= len(batch.accepted):
                break  # every accepted letter is read and classified, or failed
            if batch.uploaded_at is None and not clerk.is_alive():
                print("the clerk stopped before sending every file (its traceback is above)", file=sys.stderr)
                break
    finally:
        batch.settled_at = time.perf_counter()
        stop.set()
        sampler.stop.set()
        sampler.join(30)
        for t in users:
            t.join(35)
        clerk.join(35)
    return Run(args, files, batch, routes, sampler.rows, [s for out in user_out for s in out], clerk_out,
               started, measure_from, batch_start, batch.settled_at >= deadline, sampler.restarts, csv_path)


def printed_t(rows: list[dict[str, Any]], printed: int) -> float:
    """The time of the last row printed (-inf before the first)."""
    return rows[printed - 1]["t_s"] if printed else -math.inf


def progress_line(r: dict[str, Any], accepted: int) -> str:
    return (f"  t={r['t_s']:>5.0f} s  pages {r['pages_done']:>4}  settled {r['letters_settled']:>3}/{accepted:<3}"
            f" queue {r['queue_length']}  rq RSS {r['rq_rss_mb']:.0f} MB (tree {r['rq_tree_rss_mb']:.0f})  "
            f"web RSS {r['web_rss_mb']:.0f} MB  p95 {r['p95_ms']} ms  CPU rq {r['cpu_rq_pct']:.0f}% "
            f"web {r['cpu_web_pct']:.0f}%")


def page_seconds(svc: Services, first_id: int) -> tuple[float, float]:
    """Median and p95 of the reading time of the batch's pages, inside the jobs (seconds)."""
    with svc.db.read() as session:
        values = sorted(v for v in session.scalars(select(Page.seconds).where(Page.letter_id > first_id))
                        if v is not None)
    return percentile(values, 50), percentile(values, 95)


def letter_latency(svc: Services, first_id: int) -> dict[str, tuple[float, float, float]]:
    """Per letter read, in minutes (p50, p90, max): upload → text assembled (``ocr_done``), text → last post-OCR
    stage done (classified, indexed, checked for repeats), upload → all done."""
    def parse(value: object) -> datetime | None:
        try:
            return datetime.fromisoformat(str(value)).replace(tzinfo=None) if value else None
        except ValueError:
            return None

    spans: dict[str, list[float]] = {"upload→read": [], "read→stages done": [], "upload→stages done": []}
    with svc.db.read() as session:
        rows = session.execute(select(Letter.created_at, Letter.finished_at, Letter.stages)
                               .where(Letter.id > first_id, Letter.status == "ocr_done")).all()
    for created, finished, stages in rows:
        done = max((t for t in (parse((v or {}).get("at")) for v in (stages or {}).values()) if t), default=None)
        if created and finished and done:
            spans["upload→read"].append((finished - created).total_seconds() / 60)
            spans["read→stages done"].append(max(0.0, (done - finished).total_seconds() / 60))
            spans["upload→stages done"].append((done - created).total_seconds() / 60)
    return {k: (percentile(sorted(v), 50), percentile(sorted(v), 90), max(v)) for k, v in spans.items() if v}


def report(run: Run, svc: Services) -> int:
    """Print the figures, write the CSV and the JSON line; the exit code."""
    args, batch, rows = run.args, run.batch, run.rows
    cores = os.cpu_count() or 1
    settled, failed, lost, lost_reasons, unknown = check_letters(svc, batch)
    write_csv(run.csv_path, rows)
    settled_at = batch.settled_at or time.perf_counter()
    baseline = [s for s in run.users if s.at < run.batch_start]
    during = [s for s in run.users if run.batch_start <= s.at <= settled_at]
    uploads = [s for s in run.clerk if s.route == "upload"]
    polls = [s for s in run.clerk if s.route == "status"]
    batch_seconds = settled_at - run.batch_start
    errors = sum(1 for s in run.users + run.clerk if s.outcome != "ok")
    batch_rows = [r for r in rows if r["phase"] == "batch"]
    pages = batch_rows[-1]["pages_done"] if batch_rows else 0
    read_minutes = (settled_at - (batch.started_at or run.batch_start)) / 60
    total_pages = sum(f.pages for f in batch.accepted.values())
    rq = memory_figures(rows, "rq_rss_mb", args.warmup_pages)
    tree = memory_figures(rows, "rq_tree_rss_mb", args.warmup_pages)
    tree_pss = memory_figures(rows, "rq_tree_pss_mb", args.warmup_pages)
    web_mem = memory_figures(rows, "web_rss_mb", args.warmup_pages)
    half_t = next((r["t_s"] for r in batch_rows if r["pages_done"] >= pages / 2), math.inf)
    web_growth = web_slope_per_minute(rows, half_t)
    ms = sorted(s.seconds * 1000 for s in during)
    p50, p95, p99 = (percentile(ms, p) for p in (50, 95, 99))

    print(f"\n{'requests':<26}{'count':>9}{'errors':>8}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'max ms':>9}"
          f"{'req/s':>8}  errors by kind")
    print(latency_line(f"users, baseline ({run.batch_start - run.measure_from:.0f} s)", baseline,
                       run.batch_start - run.measure_from))
    print(latency_line(f"users, batch ({batch_seconds / 60:.1f} min)", during, batch_seconds))
    for route in run.routes:
        print(latency_line(f"  {route.name}", [s for s in during if s.route == route.name], batch_seconds))
    print(latency_line("clerk uploads", uploads, batch_seconds))
    print(latency_line("clerk status polls", polls, batch_seconds))
    print(f"users' p95 during the batch: {p95:.0f} ms (web target ≤ {TARGET_P95_MS:.0f} ms: reported, not judged); "
          f"errors, all requests: {errors}")
    cpu: dict[str, dict[str, float]] = {}
    for name, phase_rows in (("baseline", [r for r in rows if r["phase"] == "baseline"]), ("batch", batch_rows)):
        cpu[name] = shares = cpu_shares(phase_rows)
        if shares:
            print(f"CPU, {name} phase, % of one core (the machine has {cores * 100}%): "
                  + ", ".join(f"{k} {shares[k]:.0f}%" for k in ("rq", "web", "redis", "supervisor", "load", "other"))
                  + f"; machine {shares['machine']:.0f}%")
            if shares["other"] > 25:
                print(f"  warning: processes outside this run used {shares['other']:.0f}% in the {name} phase: "
                      "the figures are pessimistic")
    print("  (rq: RQ workers with their horses and tesseract; web: gunicorn; supervisor: donthu run itself with the "
          "sweeper; load: this script's users, clerk and sampler)")

    med, p95_page = page_seconds(svc, batch.first_id)
    ten = next((r for r in batch_rows if r["pages_done"] >= total_pages * 0.1), None)
    ninety = next((r for r in batch_rows if r["pages_done"] >= total_pages * 0.9), None)
    steady = (ninety["pages_done"] - ten["pages_done"]) / max(1e-6, (ninety["t_s"] - ten["t_s"]) / 60) \
        if ten and ninety and ninety is not ten else math.nan
    last_read = next((r for r in batch_rows if r["pages_done"] >= pages), None)
    ocr_minutes = (run.started + last_read["t_s"] - (batch.started_at or run.batch_start)) / 60 if last_read \
        else math.nan
    print(f"\npages read: {pages} of {total_pages}: {pages / max(ocr_minutes, 1e-6):.0f} pages/min from the first "
          f"upload to the last page read ({ocr_minutes:.1f} min), {steady:.0f} pages/min between 10% and 90% read, "
          f"{pages / max(read_minutes, 1e-6):.0f} pages/min to the last letter settled ({read_minutes:.1f} min); a page "
          f"takes {med:.1f} s (p95 {p95_page:.1f} s) inside its job"
          + (f"; all files uploaded after {batch.uploaded_at - batch.started_at:.0f} s"
             if batch.uploaded_at and batch.started_at else ""))
    waits = letter_latency(svc, batch.first_id)
    if waits:
        print("per letter, minutes (p50 / p90 / max): "
              + "; ".join(f"{name} {v[0]:.1f} / {v[1]:.1f} / {v[2]:.1f}" for name, v in waits.items()))
    print(f"letters: {len(run.files)} files sent, {len(batch.accepted)} accepted, {len(batch.refused)} refused; "
          f"{settled} settled ({failed} failed), lost {lost}"
          + (f"; {unknown} registered letters the clerk was not told of" if unknown else ""))
    for reason in batch.refused + lost_reasons:
        print(f"  {reason}")

    def mem(label: str, m: dict[str, Any]) -> str:
        fmt = lambda v: "n/a" if v is None else f"{v:.0f}"  # noqa: E731
        return (f"{label:<38} start {fmt(m['start']):>5}  peak {fmt(m['peak']):>5}  end {fmt(m['end']):>5}  idle "
                f"{fmt(m['idle']):>5} MB; growth "
                + (f"{m['slope_per_100_pages']} MB/100 pages" if m["slope_per_100_pages"] is not None
                   else "not measured (fewer than 5 samples)") + f" ({m['points']} samples)")

    print("\nmemory over time (every ~10% of the pages; the CSV has every sample)")
    print(f"{'t s':>6}{'pages':>7}{'queue':>7}{'rq RSS':>8}{'tree RSS':>10}{'tree PSS':>10}{'web RSS':>9}"
          f"{'p95 ms':>8}{'CPU rq':>8}{'CPU web':>9}")
    shown = -1
    for r in batch_rows:
        step = int(r["pages_done"] * 10 / max(1, total_pages))
        if step > shown or r is batch_rows[-1]:
            shown = step
            print(f"{r['t_s']:>6.0f}{r['pages_done']:>7}{r['queue_length'] or 0:>7}{r['rq_rss_mb']:>8.0f}"
                  f"{r['rq_tree_rss_mb']:>10.0f}{r['rq_tree_pss_mb']:>10.0f}{r['web_rss_mb']:>9.0f}"
                  f"{(r['p95_ms'] or 0):>8.0f}{r['cpu_rq_pct']:>7.0f}%{r['cpu_web_pct']:>8.0f}%")
    print(f"memory while pages were read (start: the first sample after {args.warmup_pages} pages; end: the last "
          "before all were read; idle: after the batch settled; growth: least-squares slope against pages read over "
          "the second half)")
    print(mem(f"RQ worker processes ({args.workers}), RSS", rq))
    print(mem("RQ workers + horses + tesseract, RSS", tree))
    print(mem("RQ workers + horses + tesseract, PSS", tree_pss))
    web_procs = sum(1 for k in (rows[-1] if rows else {}) if re.fullmatch(r"web\d+_rss_mb", k))
    print(mem(f"gunicorn workers ({web_procs}), RSS", web_mem) + f"; {web_growth} MB/min")
    print(f"RQ worker restarts: {run.restarts}; {len(rows)} samples in {run.csv_path}")

    growth = rq["slope_per_100_pages"]
    checks = {"errors == 0": errors == 0, "lost == 0": lost == 0, "failed == 0": failed == 0,
              f"RQ worker RSS growth < {GROWTH_LIMIT_MB:g} MB/100 pages": growth is not None
              and growth < GROWTH_LIMIT_MB, "batch settled": not run.timed_out}
    print("\n" + "; ".join(f"{k}: {'yes' if v else 'NO'}" for k, v in checks.items()))
    summary = {
        "users": args.users, "requests": len(during), "errors": errors, "p50_ms": round(p50, 1),
        "p95_ms": round(p95, 1), "p99_ms": round(p99, 1),
        "baseline_p95_ms": round(percentile(sorted(s.seconds * 1000 for s in baseline), 95), 1),
        "uploads": len(uploads), "status_polls": len(polls), "files": len(run.files), "pages": pages,
        "pages_per_min": round(pages / max(read_minutes, 1e-6), 1), "steady_pages_per_min": round(steady, 1),
        "ocr_pages_per_min": round(pages / max(ocr_minutes, 1e-6), 1), "ocr_minutes": round(ocr_minutes, 2),
        "batch_minutes": round(read_minutes, 2), "page_seconds_p50": round(med, 2),
        "letter_minutes": {k: [round(x, 1) for x in v] for k, v in waits.items()},
        "accepted": len(batch.accepted), "settled": settled, "failed": failed, "lost": lost,
        "rq_rss_mb": rq, "rq_tree_rss_mb": tree, "rq_tree_pss_mb": tree_pss,
        "web_rss_mb": {**web_mem, "slope_mb_per_min": web_growth}, "rq_restarts": run.restarts,
        "growth_limit_mb_per_100_pages": GROWTH_LIMIT_MB,
        "cpu_pct": {phase: {k: round(v, 1) for k, v in shares.items()} for phase, shares in cpu.items()},
        "csv": str(run.csv_path), "passed": all(checks.values()),
    }
    print(json.dumps(summary, ensure_ascii=False))
    return 0 if all(checks.values()) else 1


def main() -> int:
    args = parse_args()
    signal.signal(signal.SIGTERM, _interrupt)
    base, created = prepare_base(args)
    batch_dir = (args.batch_dir or base.parent / f"donthu-soak-batch-{args.pages}p-s{args.batch_seed}").resolve()
    files = ensure_batch(batch_dir, args.pages, args.batch_seed, os.cpu_count() or 1)
    work = base if created and not args.keep else working_copy(base)
    csv_path = base.parent / f"{base.name}-soak-{datetime.now():%Y%m%d-%H%M%S}.csv"
    os.environ["DONTHU_DATA_DIR"] = str(work)
    stop = threading.Event()
    systems: list[System] = []
    try:
        run = soak(args, Services(load_settings()), work, files, batch_dir, csv_path, stop, systems)
        for system in systems:
            system.stop()  # the letters are checked with the system stopped
        dispose_all()
        return report(run, Services(load_settings()))
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    finally:
        stop.set()
        for system in systems:
            system.stop()
        dispose_all()
        if work != base and not args.keep_run:
            shutil.rmtree(work, ignore_errors=True)
        elif work != base:
            print(f"working copy kept in {work}")
        if created and not args.keep:
            shutil.rmtree(base, ignore_errors=True)
        elif created:
            print(f"data kept in {base} (rerun with --data-dir {base} --reuse)")


if __name__ == "__main__":
    raise SystemExit(main())

"""OCR throughput: a 24-page scanned PDF through the queue with 2 workers, against (a) the plain tesseract CLI,
single-threaded, two pages at a time, and (b) ``ocrmypdf -l vie --sidecar -j 2``, timed in the same run.

Run: ``make bench`` (or ``.venv/bin/python bench/ocr_throughput.py [--pages 24] [--rounds 3]``). The three
pipelines run interleaved, round after round, on the same PDFs; it prints each round and the medians, in
pages/minute and as ratios (single runs on this shared 2-core machine vary by ±15%).
Targets (issue "Intake spine"): ours ≥ 0.85 × (a) and ≥ 1.2 × (b).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from core.settings import load_settings  # noqa: E402
from ingest.dispatch import dispatch_new_letter  # noqa: E402
from ingest.intake import register_file  # noqa: E402
from ingest.reader import render_pdf_page  # noqa: E402
from ingest.services import Services  # noqa: E402
from models import Letter  # noqa: E402
from tests.conftest import RedisServer  # noqa: E402
from tests.scans import SAMPLE_TEXTS, damage, render_page, scanned_pdf  # noqa: E402
from web.bootstrap import prepare_database  # noqa: E402

WORKERS = 2


def build_pdf(pages: int, seed: int = 0) -> bytes:
    """Pages as a scanner makes them: 300 dpi, a little noise and skew on some, as JPEG-in-PDF would carry."""
    images = []
    for i in range(pages):
        page = render_page(SAMPLE_TEXTS[(i + seed) % len(SAMPLE_TEXTS)], dpi=300, seed=i + 1 + 100 * seed)
        if i % 3 == 1:
            page = damage(page, skew=2.0 if i % 2 else -2.0, noise=0.02, seed=i + 100 * seed)
        images.append(page)
    return scanned_pdf(images, dpi=300)


class QueuePipeline:
    """Donthu's own queue: a private Redis, a SQLite data dir and ``donthu worker -n 2``, started once."""

    def __init__(self, folder: Path) -> None:
        (folder / "redis").mkdir(parents=True)
        self.redis = RedisServer(folder / "redis")
        self.folder = folder
        self.proc: subprocess.Popen | None = None
        self.svc: Services | None = None

    def __enter__(self) -> QueuePipeline:
        self.redis.start()
        os.environ.update({"DONTHU_DATA_DIR": str(self.folder / "data"), "DONTHU_REDIS_URL": self.redis.url,
                           "DONTHU_WORKERS": str(WORKERS),
                           "DONTHU_DATABASE_URL": f"sqlite:///{self.folder / 'data' / 'donthu.db'}"})
        self.svc = Services(load_settings())
        prepare_database(self.svc)
        self.proc = subprocess.Popen([sys.executable, "-m", "web.cli", "worker", "-n", str(WORKERS)],
                                     env={**os.environ, "DONTHU_LOG_LEVEL": "WARNING"}, start_new_session=True)
        warm = register_file(self.svc, "Kính gửi Tỉnh ủy. Khởi động máy đọc.".encode(), "warmup.txt")
        dispatch_new_letter(self.svc, warm.letter_id, warm.job_id)
        _wait(self.svc, warm.letter_id, stages=True)  # workers up, classifier trained and loaded
        return self

    def __exit__(self, *exc: object) -> None:
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(30)
        self.redis.stop()

    def run(self, pdf: bytes) -> tuple[float, float]:
        """(seconds from upload to ``ocr_done``, mean reading seconds per page inside the jobs)."""
        started = time.perf_counter()
        result = register_file(self.svc, pdf, "bench.pdf")
        dispatch_new_letter(self.svc, result.letter_id, result.job_id)
        status = _wait(self.svc, result.letter_id)
        elapsed = time.perf_counter() - started
        if status != "ocr_done":
            raise SystemExit(f"the benchmark letter ended as {status}")
        with self.svc.db.read() as session:
            seconds = [p.seconds for p in session.get(Letter, result.letter_id).pages]
        return elapsed, sum(seconds) / len(seconds)


def _wait(svc: Services, letter_id: int, timeout: float = 1800, stages: bool = False) -> str:
    """Until the letter's text is assembled (``ocr_done``), or with ``stages`` also classified."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with svc.db.read() as session:
            letter = session.get(Letter, letter_id)
            status, done = letter.status, letter.stages_done
        if status == "failed" or (status == "ocr_done" and (done or not stages)):
            return status
        time.sleep(0.1)
    raise SystemExit("timed out")


def run_tesseract_cli(pdf: bytes, pages: int, folder: Path) -> float:
    """(a) the plain CLI on the same pages, rasterised beforehand (not timed), 2 at a time, 1 thread each."""
    images = []
    for i in range(pages):
        path = folder / f"page-{i:03d}.png"
        render_pdf_page(pdf, i, 300).save(path, dpi=(300, 300))
        images.append(path)
    env = {**os.environ, "OMP_THREAD_LIMIT": "1"}

    def one(path: Path) -> None:
        subprocess.run(["tesseract", str(path), str(path.with_suffix("")), "-l", "vie"], env=env, check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        list(pool.map(one, images))
    return time.perf_counter() - started


def run_ocrmypdf(pdf: bytes, folder: Path) -> float | None:
    """(b) ``ocrmypdf -l vie --sidecar -j 2`` on the same PDF; None when ocrmypdf is not installed."""
    binary = shutil.which("ocrmypdf") or (str(Path(sys.executable).parent / "ocrmypdf")
                                          if (Path(sys.executable).parent / "ocrmypdf").exists() else None)
    if binary is None:
        print("ocrmypdf is not installed (`make bench` installs it): (b) skipped")
        return None
    src, out, sidecar = folder / "in.pdf", folder / "out.pdf", folder / "out.txt"
    src.write_bytes(pdf)
    started = time.perf_counter()
    subprocess.run([binary, "-l", "vie", "--sidecar", str(sidecar), "-j", str(WORKERS), str(src), str(out)],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                   env={**os.environ, "OMP_THREAD_LIMIT": "1"})
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pages", type=int, default=24)
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds; medians are reported")
    args = parser.parse_args()
    # Each round uses a freshly rendered PDF (other bytes, so the intake does not recognise a repeat).
    pdfs = [build_pdf(args.pages, seed=r) for r in range(args.rounds)]
    rows: list[tuple[float, float | None, float, float]] = []
    with tempfile.TemporaryDirectory(prefix="donthu-bench-") as tmp:
        folder = Path(tmp)
        with QueuePipeline(folder / "ours") as ours_pipeline:
            for r, pdf in enumerate(pdfs):
                (folder / f"a{r}").mkdir()
                (folder / f"b{r}").mkdir()
                a = run_tesseract_cli(pdf, args.pages, folder / f"a{r}")
                b = run_ocrmypdf(pdf, folder / f"b{r}")
                ours, per_page = ours_pipeline.run(pdf)
                rows.append((ours, b, a, per_page))
                print(f"round {r + 1}: ours {ours:.1f} s, (a) {a:.1f} s, (b) {b:.1f} s, "
                      f"ours/(a) {a / ours:.2f}, ours/(b) {(b or 0) / ours:.2f}" if b else
                      f"round {r + 1}: ours {ours:.1f} s, (a) {a:.1f} s, ours/(a) {a / ours:.2f}")
    ours = statistics.median(row[0] for row in rows)
    a = statistics.median(row[2] for row in rows)
    b_values = [row[1] for row in rows if row[1]]
    b = statistics.median(b_values) if b_values else None
    per_min = lambda secs: args.pages / secs * 60  # noqa: E731
    print(f"\nOCR throughput, {args.pages}-page scanned PDF at 300 dpi, {WORKERS} workers, {os.cpu_count()} cores, "
          f"median of {args.rounds} interleaved rounds")
    print(f"{'pipeline':<34}{'seconds':>10}{'pages/min':>12}")
    print(f"{'donthu queue (2 RQ workers)':<34}{ours:>10.1f}{per_min(ours):>12.1f}")
    print(f"{'(a) tesseract CLI, 2 at a time':<34}{a:>10.1f}{per_min(a):>12.1f}")
    if b:
        print(f"{'(b) ocrmypdf -j 2':<34}{b:>10.1f}{per_min(b):>12.1f}")
    print(f"reading time per page inside the jobs (render + clean-up + OCR, 2 in parallel): "
          f"{statistics.median(row[3] for row in rows):.2f} s")
    ratios_a = sorted(row[2] / row[0] for row in rows)
    ratio_a = statistics.median(ratios_a)
    print(f"ratio ours/(a) = {ratio_a:.2f} (rounds {', '.join(f'{x:.2f}' for x in ratios_a)}; "
          f"target >= 0.85: {'met' if ratio_a >= 0.85 else 'NOT met'})")
    if b:
        ratios_b = sorted(row[1] / row[0] for row in rows if row[1])
        ratio_b = statistics.median(ratios_b)
        print(f"ratio ours/(b) = {ratio_b:.2f} (rounds {', '.join(f'{x:.2f}' for x in ratios_b)}; "
              f"target >= 1.20: {'met' if ratio_b >= 1.2 else 'NOT met'})")


if __name__ == "__main__":
    main()

"""Search at scale on the embedded FTS5 index: 100,000 synthetic letters (``--million`` for 1,000,000).

Prints index time, disk size, and p50/p95 latency of name queries, content queries and duplicate checks; then
times, on a sample, the near-duplicate approach paperless-ngx ships (rapidfuzz ratio ≥ 85 against every stored
letter) and prints how many times slower one check is with it than with ours.

Targets (issue "Search and duplicate detection"): at 100,000 letters, name and content search p95 ≤ 50 ms and
duplicate check p95 ≤ 100 ms on a 2-core machine.

Letters are made from the shipped corpus: each takes a corpus letter, gives it a new sender (a generated
Vietnamese name), new numbers and dates, drops some sentences, and now and then is a re-send of an earlier
synthetic letter. Run: ``.venv/bin/python bench/search_scale.py [--letters N] [--million] [--keep DIR]``.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import shutil
import statistics
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from rapidfuzz import fuzz  # noqa: E402

from classify.corpus import load  # noqa: E402
from core.vntext import fold  # noqa: E402
from ingest.duplicates import find_duplicates  # noqa: E402
from ingest.indexing import document_for_text  # noqa: E402
from search.base import SearchDocument, SearchQuery  # noqa: E402
from search.fts5 import FTS5Backend  # noqa: E402

SURNAMES = ["Nguyễn"] * 38 + ["Trần"] * 11 + ["Lê"] * 9 + ["Phạm"] * 7 + ["Hoàng"] * 5 + ["Huỳnh"] * 4 + \
    ["Phan", "Vũ", "Võ", "Đặng", "Bùi", "Đỗ", "Hồ", "Ngô", "Dương", "Lý", "Đoàn", "Doãn", "Lương", "Hà"] * 2
MIDDLES = ["Văn"] * 6 + ["Thị"] * 6 + ["Minh", "Quốc", "Đức", "Hữu", "Thanh", "Ngọc", "Xuân", "Công", "Đình", "Kim"]
_GIVEN_WORDS = ("An Anh Bình Cường Dũng Đức Dục Giang Hà Hải Hạnh Hòa Hoa Hùng Hương Khải Lan Lâm Linh Loan Long Mai Mạnh "
          "Minh Nam Nga Nghĩa Ngọc Nhung Phong Phúc Phượng Quang Sơn Tâm Thắng Thanh Thảo Thủy Tiến Trang Trung Tú "
          "Tuấn Vân Việt Vinh Yến")
GIVENS = _GIVEN_WORDS.split()
TOPICS = ["bồi thường giải phóng mặt bằng", "cấp giấy chứng nhận quyền sử dụng đất", "ô nhiễm môi trường",
          "chế độ chính sách người có công", "tham nhũng tiêu cực", "kỷ luật đảng viên", "thi hành án dân sự",
          "bảo hiểm xã hội", "xây dựng trái phép", "hộ nghèo", "tranh chấp đất đai", "khởi tố vụ án",
          "lấn chiếm đất công", "tiền hỗ trợ tái định cư", "cầu treo", "trại lợn nước thải"]
_SENTENCE = re.compile(r"(?<=[.;!?])\s+")
_DIGITS = re.compile(r"\d+")


def _name(rng: random.Random) -> str:
    return f"{rng.choice(SURNAMES)} {rng.choice(MIDDLES)} {rng.choice(GIVENS)}"


def _vary(template: dict, sender: str, rng: random.Random) -> str:
    text = template["text"]
    if template.get("sender"):
        text = text.replace(template["sender"], sender)
    for accused in template.get("accused") or []:
        text = text.replace(accused["name"], _name(rng))
    text = _DIGITS.sub(lambda m: "".join(rng.choice("0123456789") for _ in m.group(0)), text)
    lines = []
    for line in text.split("\n"):
        sentences = _SENTENCE.split(line)
        kept = [s for s in sentences if len(sentences) == 1 or rng.random() < 0.85]
        lines.append(" ".join(kept))
    return "\n".join(lines)


def make_letters(count: int, seed: int = 7) -> list[tuple[int, str, date]]:
    """(letter id, text, received date) for ``count`` synthetic letters, about 12% of them re-sends."""
    rng = random.Random(seed)
    templates = [r for r in load() if not r.get("ocr_of")]
    letters: list[tuple[int, str, date]] = []
    senders: list[tuple[dict, str]] = []
    start = date(2020, 1, 1)
    for letter_id in range(1, count + 1):
        if senders and rng.random() < 0.12:
            template, sender = rng.choice(senders[-5000:])  # a re-send of a recent letter, rewritten
        else:
            template, sender = rng.choice(templates), _name(rng)
            senders.append((template, sender))
        received = start + timedelta(days=letter_id * 2000 // count)
        letters.append((letter_id, _vary(template, sender, rng), received))
    return letters


def _documents(chunk: list[tuple[int, str, date]]) -> list[SearchDocument]:
    return [document_for_text(text, letter_id=i, register_no=f"{i:07d}/{d.year}", received=d) for i, text, d in chunk]


def _percentiles(samples: list[float]) -> str:
    ordered = sorted(samples)
    p50 = statistics.median(ordered)
    p95 = ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]
    return f"p50 {p50 * 1000:6.1f} ms   p95 {p95 * 1000:6.1f} ms   (n={len(ordered)})"


def _timed(func, items) -> list[float]:  # noqa: ANN001
    out = []
    for item in items:
        started = time.perf_counter()
        func(item)
        out.append(time.perf_counter() - started)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--letters", type=int, default=100_000)
    parser.add_argument("--million", action="store_true", help="1,000,000 letters")
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--checks", type=int, default=200)
    parser.add_argument("--sample", type=int, default=300, help="stored letters one paperless check is timed on")
    parser.add_argument("--keep", type=Path, help="keep the index in this folder")
    parser.add_argument("--reuse", action="store_true", help="with --keep: query the index built by an earlier run")
    args = parser.parse_args()
    count = 1_000_000 if args.million else args.letters
    folder = args.keep or Path(tempfile.mkdtemp(prefix="donthu-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    db = folder / "search.sqlite3"
    rng = random.Random(11)
    backend = FTS5Backend(f"sqlite:///{db}")
    if not (args.reuse and db.exists()):
        build(backend, db, count)
    count = backend.count()
    measure(backend, count, args, rng)
    if not args.keep:
        shutil.rmtree(folder, ignore_errors=True)
    return 0


def build(backend: FTS5Backend, db: Path, count: int) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    print(f"making {count:,} synthetic letters …", flush=True)
    letters = make_letters(count)
    chunks = [letters[i : i + 1000] for i in range(0, len(letters), 1000)]
    build_s = index_s = 0.0
    started = time.perf_counter()
    with ProcessPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        for n, docs in enumerate(pool.map(_documents, chunks), 1):
            t = time.perf_counter()
            backend.index(docs)
            index_s += time.perf_counter() - t
            if n % 20 == 0:
                print(f"  {n * 1000:,} indexed", flush=True)
    build_s = time.perf_counter() - started - index_s
    t = time.perf_counter()
    backend.finish_rebuild("live")  # FTS5 'optimize': merges the index segments, as reindex does at the end
    optimize_s = time.perf_counter() - t
    size = sum(Path(f"{db}{s}").stat().st_size for s in ("", "-wal") if Path(f"{db}{s}").exists())
    print(f"\n{count:,} letters indexed")
    print(f"index time:  {index_s:7.1f} s writing the index ({count / index_s:,.0f} letters/s) + {optimize_s:.1f} s "
          f"optimize; documents built in parallel alongside ({build_s:.1f} s more wall time)")
    print(f"disk size:   {size / 2**20:7.1f} MiB ({size / count / 1024:.1f} KiB per letter, text included)")


def measure(backend: FTS5Backend, count: int, args: argparse.Namespace, rng: random.Random) -> None:

    senders = [backend.get(i).sender for i in rng.sample(range(1, count + 1), 60)]
    senders = [s for s in senders if s]
    name_queries = []
    for s in senders:
        parts = s.split()
        name_queries += [fold(s), s, f"{parts[0]} {parts[-1]}", fold(s).upper()]
    name_queries = (name_queries * 10)[: args.queries]
    content_queries = []
    for topic in TOPICS:
        content_queries += [topic, fold(topic), f'"{fold(topic)}"', topic.split()[0] + " " + topic.split()[-1]]
    content_queries = (content_queries * 20)[: args.queries]
    for q in name_queries[:20] + content_queries[:20]:  # warm the page cache as a running server would have
        backend.query(SearchQuery(text=q))
    names = _timed(lambda q: backend.query(SearchQuery(text=q)), name_queries)
    contents = _timed(lambda q: backend.query(SearchQuery(text=q)), content_queries)
    check_ids = rng.sample(range(count // 2, count + 1), args.checks)
    check_docs = backend.get_many(check_ids)
    checks = _timed(lambda i: find_duplicates(backend, check_docs[i], before_id=i), check_ids)
    print(f"name search:      {_percentiles(names)}")
    print(f"content search:   {_percentiles(contents)}")
    print(f"duplicate check:  {_percentiles(checks)}")

    # paperless-ngx: rapidfuzz ratio ≥ 85 between the new letter and every stored one
    sample = [backend.get(i).text.lower() for i in rng.sample(range(1, count + 1), args.sample)]
    probe = check_docs[check_ids[0]].text.lower()
    t = time.perf_counter()
    for other in sample:
        fuzz.ratio(probe, other) >= 85  # noqa: B015 - timing the comparison itself
    per_pair = (time.perf_counter() - t) / len(sample)
    paperless_check = per_pair * count
    ours = statistics.median(checks)
    print(f"paperless-ngx check (rapidfuzz ratio ≥ 85 over all {count:,} letters, timed on {len(sample)} pairs): "
          f"{per_pair * 1e6:.0f} µs per pair → {paperless_check:.1f} s per check")
    print(f"ratio paperless / ours (median duplicate check): {paperless_check / ours:,.0f}×")


if __name__ == "__main__":
    raise SystemExit(main())

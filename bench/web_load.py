"""Web load: concurrent reviewers browsing the review queue, review pages, letters, search and dossiers.

Acceptance target: 20 concurrent users browsing the queue, review pages and search over 100,000 letters:
p95 ≤ 300 ms, zero errors.

1. Build (or ``--reuse``) a data dir: ``prepare_database`` (so the schema is whatever the code has now), then N
   synthetic letters from ``bench/search_scale.make_letters`` bulk-inserted with SQLAlchemy Core (one letter,
   one done page, a classification in the classifier's own shape, ~15% needing review, ~10% with duplicate
   candidates), a few dossiers when the models have them, the search index, and reviewer accounts
   bench01..benchNN@donthu.local.
2. Serve it with gunicorn as ``donthu run`` does (``web.runner``: 2 workers × 4 threads by default; no RQ
   workers), with ``DONTHU_DATA_DIR`` pointing at the data dir.
3. ``--users`` threads, each its own logged-in session (stdlib ``http.client``, one keep-alive connection and
   a cookie jar, like a browser), pick weighted routes from ``ROUTES`` below in a closed loop with a think time
   uniform in 0–``--think-ms`` ms (default 200, mean 100 ms: every user clicks several times a second, so 20
   users make ~90 requests/s, far harsher than people reading letters) for a warm-up, then for ``--seconds``.
4. Report per route and overall: requests, errors (any status other than 200, redirects to /login, exceptions),
   p50/p95/p99/max, requests/s, and the CPU that gunicorn, the load generator and other processes used (the
   load generator shares the machine). Exit code 0 iff p95 ≤ 300 ms with zero errors.

Run: ``.venv/bin/python bench/web_load.py [--letters N] [--users 20] [--seconds 60] [--data-dir DIR --keep]
[--reuse] [--web-workers W] [--think-ms MS] [--routes letters,letter,letters_review]``. A 100,000-letter
build takes about 6–7 minutes on 2 cores with ``--build-jobs 1``; keep it with ``--data-dir DIR --keep`` and
measure again with ``--data-dir DIR --reuse``.
"""

from __future__ import annotations

import argparse
import hashlib
import http.client
import json
import math
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import date, timedelta
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import func, insert, select  # noqa: E402

from bench.search_scale import TOPICS, make_letters  # noqa: E402
from classify.extract import extract  # noqa: E402
from classify.matter import KINDS, exact_reasons  # noqa: E402
from core.settings import CHANNELS, Settings, load_settings  # noqa: E402
from core.vntext import fold  # noqa: E402
from ingest.indexing import document_for_text  # noqa: E402
from ingest.services import Services  # noqa: E402
from ingest.stages import registered_stages  # noqa: E402
from models import Letter, Page, RegisterCounter, User  # noqa: E402
from models.base import Base, utcnow  # noqa: E402
from models.session import dispose_all  # noqa: E402
from search.base import SearchDocument  # noqa: E402
from web.accounts import create_user  # noqa: E402
from web.bootstrap import prepare_database  # noqa: E402

TARGET_P95_MS = 300.0
PASSWORD = "bench-load-password"  # of the benchNN reviewer accounts, in a throwaway data dir
MARKER = "web_load.json"  # written in a data dir this script built: it may rebuild it
CHUNK = 5000  # letters per bulk insert, one transaction each
TEMPLATES = 400  # distinct texts the real classifier runs on; other letters reuse their prediction's shape
REVIEW_SHARE, DUPLICATE_SHARE = 0.15, 0.10
CHANNEL_WEIGHTS = {"post": 50, "in_person": 12, "reception": 10, "agency": 12, "email": 10, "press": 3, "deputy": 3}
CONTENT_QUERIES = ["bồi thường đất", "lấn chiếm", "boi thuong dat", "lan chiem dat cong", "thu hồi đất",
                   "tranh chấp", "xây dựng trái phép", "chế độ chính sách"]


# -- what the users do ---------------------------------------------------------------------------------------
@dataclass
class Workload:
    """What the users' paths are drawn from: letter ids, queue pages, and search queries."""

    first_id: int
    last_id: int
    queue_pages: int
    names: list[str]
    words: list[str]
    numbers: list[str]

    def letter_id(self, rng: random.Random) -> int:
        return rng.randint(self.first_id, self.last_id)


@dataclass(frozen=True)
class Route:
    name: str
    weight: float  # relative share of requests; 0: only when named with --routes
    path: Callable[[Workload, random.Random], str]


def _search(queries: Callable[[Workload], list[str]]) -> Callable[[Workload, random.Random], str]:
    return lambda w, r: "/search?" + urlencode({"q": r.choice(queries(w))})


# The pages a reviewer browses, with their share of requests. A route the app does not have answers 404 and
# counts as an error. Rows of weight 0 run only when named: ``--routes letters,letters_review,letter`` measures
# the pages that predate the review UI (letters_review is the old queue, /letters?status=review).
ROUTES: tuple[Route, ...] = (
    Route("queue", 20, lambda w, r: "/review"),
    Route("queue_page", 8, lambda w, r: f"/review?page={r.randint(2, max(2, min(w.queue_pages, 20)))}"),
    Route("review", 25, lambda w, r: f"/letters/{w.letter_id(r)}/review"),
    Route("letter", 10, lambda w, r: f"/letters/{w.letter_id(r)}"),
    Route("search_name", 12, _search(lambda w: w.names)),  # sender names, mostly without diacritics
    Route("search_words", 10, _search(lambda w: w.words)),  # content words, with and without diacritics
    Route("search_number", 5, _search(lambda w: w.numbers)),  # register numbers
    Route("dossiers", 10, lambda w, r: "/dossiers"),
    Route("letters", 0, lambda w, r: f"/letters?page={r.randint(1, 5)}"),
    Route("letters_review", 0, lambda w, r: f"/letters?status=review&page={r.randint(1, 5)}"),
)


def pick_routes(spec: str | None) -> list[Route]:
    """The table's routes with weight > 0, or those ``spec`` names ("name[=weight],..."; weight 0 counts as 1)."""
    if not spec:
        return [r for r in ROUTES if r.weight > 0]
    table = {r.name: r for r in ROUTES}
    chosen = []
    for item in spec.split(","):
        name, _, weight = item.strip().partition("=")
        if name not in table:
            raise SystemExit(f"unknown route {name!r}: one of {', '.join(table)}")
        base = table[name]
        chosen.append(Route(name, float(weight) if weight else (base.weight or 1.0), base.path))
    return chosen


# -- build ---------------------------------------------------------------------------------------------------
def _duplicate_candidates(rng: random.Random, letter_id: int, registers: list[str]) -> list[dict[str, Any]]:
    """1–3 candidates among earlier letters, in the ``find_duplicates`` shape."""
    out = []
    for other in sorted({rng.randint(max(1, letter_id - 5000), letter_id - 1) for _ in range(rng.randint(1, 3))},
                        reverse=True):
        kind = rng.choice(KINDS)
        reasons = exact_reasons(same_bytes=False) if kind == "exact" else \
            ["cùng người gửi", f"nội dung giống {rng.randint(55, 97)}%", "cùng nhắc đến UBND xã"]
        out.append({"letter_id": other, "register_no": registers[other - 1], "kind": kind,
                    "score": 1.0 if kind == "exact" else round(rng.uniform(0.5, 0.98), 3), "reasons": reasons})
    return out


@dataclass
class Planned:
    """One letter as planned in the main process; :func:`_prepare` turns it into rows and a search document."""

    letter_id: int
    text: str
    received: date
    year: int
    seq: int
    channel: str
    template: dict[str, Any]
    needs_review: bool
    duplicates: list[dict[str, Any]]
    dossier_id: int | None = None


@dataclass
class Prepared:
    letters: list[dict[str, Any]] = field(default_factory=list)
    pages: list[dict[str, Any]] = field(default_factory=list)
    docs: list[SearchDocument] = field(default_factory=list)


def _classification(template: dict[str, Any], text: str, needs_review: bool) -> dict[str, Any]:
    """A real prediction of another text, with this text's extracted facts and the chosen review flag."""
    facts = extract(text)
    flags = dict(template["flags"])
    flags.update(anonymous=facts.anonymous, collective=facts.signers >= 5, sent_to_many=facts.sent_to_many)
    extracted = {key: getattr(facts, key) for key in template["extracted"]}
    return {**template, "flags": flags, "extracted": extracted, "needs_review": needs_review}


def _review_columns(row: dict[str, Any], holidays: frozenset[date]) -> dict[str, Any]:
    """What the classify and duplicates stages derive, when the models have it: deadline and queue place."""
    columns = Letter.__table__.c
    out: dict[str, Any] = {}
    if "due_date" in columns:
        from core.deadlines import processing_deadline

        kind = row["classification"]["type"]["label"]
        out["due_date"] = processing_deadline(row["received_date"], type=kind, channel=row["channel"],
                                              holidays=holidays).due
    if "queue_order" in columns and hasattr(Letter, "refresh_queue"):
        letter = Letter(classification=row["classification"], needs_review=row["needs_review"],
                        duplicates=row["duplicates"], reviewed_at=None)
        letter.refresh_queue()
        out["queue_order"] = letter.queue_order
    return out


def _prepare(batch: tuple[list[Planned], list[str], frozenset[date]]) -> Prepared:
    """Rows and search documents for a chunk of planned letters (runs in a worker process)."""
    planned, stage_names, holidays = batch
    done = {name: {"status": "done", "seconds": 0.05, "at": utcnow().isoformat(timespec="seconds")}
            for name in stage_names}
    out = Prepared()
    for p in planned:
        text = p.text.strip()
        data = text.encode()
        register_no = f"{p.seq:04d}/{p.year}"
        classification = _classification(p.template, text, p.needs_review)
        row: dict[str, Any] = {
            "id": p.letter_id, "register_year": p.year, "register_seq": p.seq, "register_no": register_no,
            "received_date": p.received, "channel": p.channel, "status": "ocr_done",
            # the text's hash, made unique with the id: a re-send in make_letters may repeat a text
            "sha256": hashlib.sha256(data + b"\0" + str(p.letter_id).encode()).hexdigest(),
            "original_name": f"don_{p.letter_id:06d}.txt", "media_type": "text/plain", "size_bytes": len(data),
            "storage_path": f"files/bench/{p.letter_id % 100:02d}/{p.letter_id}.txt", "page_count": 1,
            "pages_done": 1, "full_text": text, "text_source": "plain", "stages": done, "stages_done": True,
            "classification": classification, "model_version": classification["model_version"],
            "needs_review": p.needs_review, "duplicates": p.duplicates, "finished_at": utcnow(),
            # the labels as they stand, as the classify stage writes them
            "type": classification["type"]["label"], "field": classification["field"]["label"],
            "agency": classification["agency"]["label"],
        }
        if p.dossier_id is not None:
            row["dossier_id"] = p.dossier_id
        row.update(_review_columns(row, holidays))
        out.letters.append(row)
        out.pages.append({"letter_id": p.letter_id, "index": 0, "status": "done", "source": "text", "text": text})
        doc = document_for_text(text, letter_id=p.letter_id, register_no=register_no, received=p.received)
        doc.type = classification["type"]["label"]
        doc.agency = classification["agency"]["label"]
        doc.field = classification["field"]["label"]
        doc.status, doc.channel, doc.dossier_id = "ocr_done", p.channel, p.dossier_id
        out.docs.append(doc)
    # every row of an executemany must carry the same keys
    keys = set().union(*(r.keys() for r in out.letters)) if out.letters else set()
    for r in out.letters:
        for key in keys - r.keys():
            r[key] = None
    return out


def _templates(settings: Settings, texts: list[str]) -> list[dict[str, Any]]:
    """Real predictions for a few hundred texts (the first model is trained into the data dir, ~10 s)."""
    from ingest.classification import current_classifier

    return current_classifier(settings).predict_many(texts)


def _holidays(svc: Services) -> frozenset[date]:
    try:
        from models.dossiers import holiday_set
    except ImportError:
        return frozenset()
    with svc.db.read() as session:
        return holiday_set(session)


def _make_dossiers(svc: Services, plans: list[Planned], count: int, rng: random.Random) -> int:
    """``count`` open dossiers of 1–3 letters each, when the models have dossiers (else none)."""
    table = Base.metadata.tables.get("dossiers")
    if table is None or count <= 0 or "dossier_id" not in Letter.__table__.c:
        return 0
    pool = rng.sample(plans, min(len(plans), count * 2))
    rows: list[dict[str, Any]] = []
    counters: Counter[int] = Counter()
    position = 0
    for dossier_id in range(1, count + 1):
        members = pool[position : position + rng.randint(1, 3)]
        position += len(members)
        if not members:
            break
        year = members[0].received.year
        counters[year] += 1
        head = members[0].template
        rows.append({"id": dossier_id, "year": year, "seq": counters[year],
                     "number": f"{counters[year]:04d}/{year}/HS", "type": head["type"]["label"],
                     "field": head["field"]["label"], "agency": head["agency"]["label"],
                     "summary": f"Đơn {head['type']['label']} về {rng.choice(TOPICS)}"})
        for member in members:
            member.dossier_id = dossier_id
    with svc.db.write() as session:
        session.execute(insert(table), rows)
        counter_table = Base.metadata.tables.get("dossier_counters")
        if counter_table is not None:
            session.execute(insert(counter_table), [{"year": y, "last_seq": n} for y, n in counters.items()])
    return len(rows)


def ensure_users(svc: Services, count: int) -> list[str]:
    """Reviewer accounts bench01..benchNN@donthu.local (created when missing); their emails."""
    emails = [f"bench{i:02d}@donthu.local" for i in range(1, count + 1)]
    with svc.db.write() as session:
        known = set(session.scalars(select(User.email).where(User.email.in_(emails))))
        for email in emails:
            if email not in known:
                create_user(session, email, PASSWORD, "reviewer", full_name=f"Cán bộ thử tải {email[5:7]}")
    return emails


def _chunks(items: Sequence[Planned], size: int) -> Iterator[list[Planned]]:
    for start in range(0, len(items), size):
        yield list(items[start : start + size])


def build(svc: Services, count: int, jobs: int, dossiers: int) -> None:
    """Fill a fresh data dir with ``count`` letters, their pages, dossiers and the search index."""
    started = time.perf_counter()
    prepare_database(svc, with_admin=True)
    rng = random.Random(2024)
    print(f"making {count:,} synthetic letters …", flush=True)
    letters = make_letters(count)
    print(f"classifying {min(TEMPLATES, count)} of them for real (the model is trained first if missing) …",
          flush=True)
    templates = _templates(svc.settings, [text for _, text, _ in letters[:TEMPLATES]])
    first_day = date.today() - timedelta(days=730)
    channels, weights = list(CHANNEL_WEIGHTS), list(CHANNEL_WEIGHTS.values())
    assert set(channels) <= set(CHANNELS)
    seqs: Counter[int] = Counter()
    plans: list[Planned] = []
    registers: list[str] = []
    for letter_id, text, _ in letters:
        received = first_day + timedelta(days=(letter_id - 1) * 730 // count)
        seqs[received.year] += 1
        registers.append(f"{seqs[received.year]:04d}/{received.year}")
        template = templates[letter_id - 1] if letter_id <= len(templates) else rng.choice(templates)
        duplicates = _duplicate_candidates(rng, letter_id, registers) \
            if letter_id > 1 and rng.random() < DUPLICATE_SHARE else []
        plans.append(Planned(letter_id, text, received, received.year, seqs[received.year],
                             rng.choices(channels, weights)[0], template, rng.random() < REVIEW_SHARE, duplicates))
    del letters
    made = _make_dossiers(svc, plans, dossiers, rng)
    holidays = _holidays(svc)
    stage_names = [s.name for s in registered_stages()]
    batches = [(chunk, stage_names, holidays) for chunk in _chunks(plans, CHUNK)]
    letters_table, pages_table = Letter.__table__, Page.__table__
    insert_s = index_s = 0.0
    pool = ProcessPoolExecutor(max_workers=jobs) if jobs > 1 else None
    try:
        results = pool.map(_prepare, batches) if pool else map(_prepare, batches)
        done = 0
        for prepared in results:
            t = time.perf_counter()
            with svc.db.write() as session:
                session.execute(insert(letters_table), prepared.letters)
                session.execute(insert(pages_table), prepared.pages)
            insert_s += time.perf_counter() - t
            t = time.perf_counter()
            svc.search.index(prepared.docs)
            index_s += time.perf_counter() - t
            done += len(prepared.letters)
            print(f"  {done:,} letters stored and indexed ({time.perf_counter() - started:.0f} s)", flush=True)
    finally:
        if pool:
            pool.shutdown(cancel_futures=True)
    with svc.db.write() as session:
        session.execute(insert(RegisterCounter.__table__), [{"year": y, "last_seq": n} for y, n in seqs.items()])
    t = time.perf_counter()
    svc.search.finish_rebuild("live")  # FTS5 'optimize', as `donthu reindex` does at the end
    optimize_s = time.perf_counter() - t
    ensure_users(svc, 20)
    total = time.perf_counter() - started
    (svc.settings.data_dir / MARKER).write_text(json.dumps({"letters": count, "dossiers": made,
                                                             "build_seconds": round(total, 1)}))
    print(f"build: {count:,} letters, {made:,} dossiers in {total:.1f} s ({jobs} build process"
          f"{'es' if jobs > 1 else ''}; {insert_s:.1f} s inserting rows, {index_s:.1f} s writing the index, "
          f"{optimize_s:.1f} s optimizing it)", flush=True)


def letter_count(svc: Services) -> int | None:
    """Letters in the data dir's database, or None when it has no letters table yet."""
    try:
        with svc.db.read() as session:
            return session.scalar(select(func.count(Letter.id)))
    except Exception:  # noqa: BLE001 - a missing file or table: nothing built yet
        return None


def ensure_built(svc: Services, data_dir: Path, letters: int, jobs: int, dossiers: int, *, reuse: bool) -> bool:
    """Build ``letters`` letters into ``data_dir`` unless ``reuse`` finds it holding that many (True then). A dir
    holding letters this script did not build is never wiped."""
    have = letter_count(svc)
    if reuse and have == letters:
        print(f"reusing {data_dir}: {have:,} letters")
        return True
    if have and not (data_dir / MARKER).exists():
        raise SystemExit(f"{data_dir} holds {have:,} letters bench/web_load.py did not make: pick another "
                         f"--data-dir (or --reuse with --letters {have})")
    _wipe(data_dir)
    build(svc, letters, max(1, jobs), dossiers)
    return False


def _wipe(data_dir: Path) -> None:
    """Remove what an earlier build of this script left (database, index, marker); keep the trained model."""
    dispose_all()  # a pooled connection would go on writing to the unlinked file
    for name in ("donthu.db", "donthu.db-wal", "donthu.db-shm", "search.sqlite3", "search.sqlite3-wal",
                 "search.sqlite3-shm", MARKER, "reindex.json"):
        (data_dir / name).unlink(missing_ok=True)


def workload(svc: Services, rng: random.Random) -> Workload:
    """Letter ids, queue length, and search queries drawn from the stored letters."""
    with svc.db.read() as session:
        first, last = session.execute(select(func.min(Letter.id), func.max(Letter.id))).one()
        queued = session.scalar(select(func.count(Letter.id)).where(Letter.classification.is_not(None))) or 0
        sample = rng.sample(range(first, last + 1), min(400, last - first + 1))
        rows = session.execute(select(Letter.register_no, Letter.classification).where(Letter.id.in_(sample))).all()
    names, numbers = [], []
    for register_no, classification in rows:
        numbers.append(register_no)
        sender = ((classification or {}).get("extracted") or {}).get("sender")
        if sender:
            names.append(fold(sender).lower() if rng.random() < 0.75 else sender)
    words = CONTENT_QUERIES + [t for topic in TOPICS for t in (topic, fold(topic))]
    return Workload(first, last, max(1, -(-queued // 50)), names or ["nguyen van hung"], words, numbers)


# -- serve ---------------------------------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(settings: Settings, port: int, workers: int, threads: int, app: str) -> subprocess.Popen:
    """gunicorn as ``web.runner.run_system`` starts it, on 127.0.0.1:port."""
    run_dir = settings.data_dir / "run"
    run_dir.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, **settings.as_env(), "DONTHU_HOST": "127.0.0.1", "DONTHU_PORT": str(port)}
    return subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--workers", str(workers), "--threads", str(threads),
         "--bind", f"127.0.0.1:{port}", "--access-logfile", str(run_dir / "access.log"),
         "--graceful-timeout", "10", "--control-socket", str(run_dir / "gunicorn.ctl"), app],
        env=env, cwd=ROOT, start_new_session=True,
        stdout=open(run_dir / "gunicorn.log", "ab"), stderr=subprocess.STDOUT,  # noqa: SIM115
    )


def wait_ready(server: subprocess.Popen, port: int, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"gunicorn exited with code {server.returncode} (see run/gunicorn.log in the data dir)")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", "/login")
            if conn.getresponse().status == 200:
                conn.close()
                return
            conn.close()
        except OSError:
            pass
        time.sleep(0.3)
    raise SystemExit(f"gunicorn did not answer /login with 200 within {timeout:.0f} s")


def stop_server(server: subprocess.Popen) -> None:
    """SIGTERM to gunicorn's process group (a graceful stop), SIGKILL if it lingers."""
    if server.poll() is not None:
        return
    try:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(20)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)
        server.wait(5)
    except ProcessLookupError:
        pass


# -- users ---------------------------------------------------------------------------------------------------
class Client:
    """One browser: a keep-alive connection and a cookie jar (stdlib only: the venv has no requests/httpx)."""

    _CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')

    def __init__(self, port: int, timeout: float = 30) -> None:
        self.port, self.timeout = port, timeout
        self.cookies: dict[str, str] = {}
        self.conn: http.client.HTTPConnection | None = None
        self.used = False

    def request(self, method: str, path: str, body: str | bytes | None = None, *,
                content_type: str = "application/x-www-form-urlencoded",
                accept: str = "text/html") -> tuple[int, str, bytes]:
        """(status, Location header, body); a connection the server closed while idle is reopened once."""
        for attempt in (0, 1):
            if self.conn is None:
                self.conn, self.used = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout), False
            headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items()), "Accept": accept}
            if body is not None:
                headers["Content-Type"] = content_type
            try:
                self.conn.request(method, path, body=body, headers=headers)
                response = self.conn.getresponse()
                data = response.read()
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                self.close()
                if attempt or not self.used:
                    raise
                continue
            self.used = True
            for header in response.msg.get_all("Set-Cookie") or []:
                for morsel in SimpleCookie(header).values():
                    self.cookies[morsel.key] = morsel.value
            if response.will_close:
                self.close()
            return response.status, response.getheader("Location") or "", data
        raise AssertionError("unreachable")

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None

    def login(self, email: str, password: str) -> None:
        status, _, page = self.request("GET", "/login")
        found = self._CSRF.search(page.decode("utf-8", "replace"))
        if status != 200 or not found:
            raise RuntimeError(f"GET /login answered {status} without a csrf_token")
        form = urlencode({"email": email, "password": password, "csrf_token": found.group(1)})
        status, location, _ = self.request("POST", "/login", form)
        if status not in (302, 303) or "/login" in location:
            raise RuntimeError(f"login as {email} failed: {status} {location}")


def outcome(status: int, location: str) -> str:
    if status == 200:
        return "ok"
    if 300 <= status < 400 and "/login" in location:
        return "→login"
    return str(status)


@dataclass
class Sample:
    route: str
    seconds: float
    outcome: str
    at: float = 0.0  # time.perf_counter() when the request started


def run_user(client: Client, routes: list[Route], wl: Workload, rng: random.Random, think: float,
             measure_from: float, stop_at: float, stop: threading.Event, out: list[Sample]) -> None:
    """Browse until ``stop_at``: weighted routes, think time uniform in [0, think] s; keeps the samples that
    started at or after ``measure_from``."""
    weights = [r.weight for r in routes]
    while not stop.is_set() and time.perf_counter() < stop_at:
        route = rng.choices(routes, weights)[0]
        path = route.path(wl, rng)
        started = time.perf_counter()
        try:
            status, location, _ = client.request("GET", path)
            result = outcome(status, location)
        except Exception as exc:  # noqa: BLE001 - every failure is an error of the run
            result = type(exc).__name__
            client.close()
        if started >= measure_from:
            out.append(Sample(route.name, time.perf_counter() - started, result, started))
        if think:
            stop.wait(rng.uniform(0, think))
    client.close()


# -- report --------------------------------------------------------------------------------------------------
def _proc_fields(pid: str) -> list[str] | None:
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return raw[raw.rfind(")") + 2 :].split()  # after "pid (comm) ": state, ppid, ...


def cpu_snapshot(server_pid: int) -> tuple[float, float, float] | None:
    """CPU seconds so far: the whole machine (busy), this process (the users), gunicorn's processes; None off
    Linux. Differences over the measurement say whether the server was short of CPU or other work competed."""
    try:
        ticks = os.sysconf("SC_CLK_TCK")
        cpu = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    except (OSError, ValueError):
        return None
    busy = (sum(cpu[:8]) - cpu[3] - cpu[4]) / ticks  # all but idle and iowait (guest time is inside user)
    server = 0.0
    for pid in filter(str.isdigit, os.listdir("/proc")):
        stat = _proc_fields(pid)
        if stat and (int(pid) == server_pid or int(stat[1]) == server_pid):
            server += (int(stat[11]) + int(stat[12])) / ticks
    return busy, time.process_time(), server


def cpu_line(before: tuple[float, float, float] | None, after: tuple[float, float, float] | None,
             seconds: float) -> str:
    if not before or not after:
        return "CPU: not measured (interrupted, or no /proc)"
    busy, users, server = ((a - b) / seconds * 100 for a, b in zip(after, before, strict=True))
    other = max(0.0, busy - users - server)
    line = (f"CPU over the measurement, % of one core (the machine has {(os.cpu_count() or 1) * 100}%): "
            f"gunicorn {server:.0f}%, load generator {users:.0f}%, other processes {other:.0f}%")
    if other > 25:
        line += "\nwarning: other processes used the CPU during the run; the figures are pessimistic"
    return line


def percentile(ordered: list[float], p: float) -> float:
    """Nearest-rank percentile (``p`` in 0–100) of sorted values."""
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered), max(1, math.ceil(p / 100 * len(ordered)))) - 1]


def report(samples: list[Sample], routes: list[Route], seconds: float) -> tuple[float, int]:
    """Print the per-route table; returns (overall p95 in ms, error count)."""
    print(f"\n{'route':<15}{'weight':>7}{'requests':>10}{'errors':>8}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}"
          f"{'max ms':>9}{'req/s':>8}  errors by kind")
    rows = [(r.name, r.weight, [s for s in samples if s.route == r.name]) for r in routes]
    rows.append(("overall", sum(r.weight for r in routes), samples))
    p95_all, errors_all = float("nan"), 0
    for name, weight, group in rows:
        ms = sorted(s.seconds * 1000 for s in group)
        errors = Counter(s.outcome for s in group if s.outcome != "ok")
        kinds = ", ".join(f"{kind}×{n}" for kind, n in errors.most_common()) or "-"
        p95 = percentile(ms, 95)
        if name == "overall":
            print("-" * 100)
            p95_all, errors_all = p95, sum(errors.values())
        print(f"{name:<15}{weight:>7g}{len(group):>10}{sum(errors.values()):>8}{percentile(ms, 50):>9.1f}"
              f"{p95:>9.1f}{percentile(ms, 99):>9.1f}{(ms[-1] if ms else float('nan')):>9.1f}"
              f"{len(group) / seconds:>8.1f}  {kinds}")
    ok = sorted(s.seconds * 1000 for s in samples if s.outcome == "ok")
    if len(ok) != len(samples):
        print(f"(p95 of the {len(ok)} answers with status 200 only: {percentile(ok, 95):.1f} ms)")
    return p95_all, errors_all


# -- main ----------------------------------------------------------------------------------------------------
def _interrupt(_signum: int, _frame: object) -> None:
    """SIGTERM as Ctrl-C: stop the users, report, and stop gunicorn on the way out."""
    raise KeyboardInterrupt


def main() -> int:
    cores = os.cpu_count() or 1
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--letters", type=int, default=100_000)
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=60, help="measurement time, after the warm-up")
    parser.add_argument("--warmup", type=float, default=5)
    parser.add_argument("--think-ms", type=float, default=200, help="think time between a user's requests: "
                        "uniform in [0, this] ms")
    parser.add_argument("--data-dir", type=Path, help="default: a temporary dir, removed at the end")
    parser.add_argument("--keep", action="store_true", help="keep a data dir this run created")
    parser.add_argument("--reuse", action="store_true", help="skip the build when the data dir holds N letters")
    parser.add_argument("--web-workers", type=int, default=2 * cores, help="gunicorn workers (default two per "
                        "core, as `donthu run`)")
    parser.add_argument("--web-threads", type=int, default=2, help="threads per worker (donthu run uses 2)")
    parser.add_argument("--port", type=int, help="default: a free port on 127.0.0.1")
    parser.add_argument("--app", default="web.wsgi:app", help="WSGI app gunicorn serves (a variant to compare; "
                        "PYTHONPATH is passed on)")
    parser.add_argument("--build-jobs", type=int, default=cores, help="processes making rows and documents")
    parser.add_argument("--dossiers", type=int, help="dossiers to create (default letters / 20)")
    parser.add_argument("--routes", help="only these routes: name[=weight],... (default: the table's weights)")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    routes = pick_routes(args.routes)

    data_dir = (args.data_dir or Path(tempfile.mkdtemp(prefix="donthu-load-"))).resolve()
    created = args.data_dir is None or not data_dir.exists()
    data_dir.mkdir(parents=True, exist_ok=True)
    os.environ["DONTHU_DATA_DIR"] = str(data_dir)
    settings = load_settings()
    svc = Services(settings)
    server: subprocess.Popen | None = None
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        dossiers = args.letters // 20 if args.dossiers is None else args.dossiers
        if ensure_built(svc, data_dir, args.letters, args.build_jobs, dossiers, reuse=args.reuse):
            prepare_database(svc, with_admin=True)  # migrations that landed since the build
        emails = ensure_users(svc, args.users)
        wl = workload(svc, random.Random(args.seed))

        port = args.port or free_port()
        print(f"\nmachine: {cores} cores, Python {sys.version.split()[0]}; database {settings.database_url}")
        print(f"gunicorn: {args.app}, {args.web_workers} workers × {args.web_threads} threads (gthread), "
              f"keep-alive, 127.0.0.1:{port}, access log on; no RQ workers")
        print(f"load: {args.users} users, think time uniform 0–{args.think_ms:.0f} ms, warm-up {args.warmup:g} s, "
              f"measured {args.seconds:g} s; routes: " + ", ".join(f"{r.name}={r.weight:g}" for r in routes))
        server = start_server(settings, port, args.web_workers, args.web_threads, args.app)
        wait_ready(server, port)

        clients = [Client(port) for _ in emails]
        for client, email in zip(clients, emails, strict=True):
            client.login(email, PASSWORD)
        stop = threading.Event()
        now = time.perf_counter()
        measure_from, stop_at = now + args.warmup, now + args.warmup + args.seconds
        outs: list[list[Sample]] = [[] for _ in clients]
        threads = [threading.Thread(target=run_user, daemon=True, name=f"user{i + 1}",
                                    args=(c, routes, wl, random.Random(args.seed * 1000 + i), args.think_ms / 1000,
                                          measure_from, stop_at, stop, outs[i]))
                   for i, c in enumerate(clients)]
        for t in threads:
            t.start()
        interrupted = False
        cpu_before = cpu_after = None
        try:
            time.sleep(max(0.0, measure_from - time.perf_counter()))
            cpu_before = cpu_snapshot(server.pid)
            time.sleep(max(0.0, stop_at - time.perf_counter()))
            cpu_after = cpu_snapshot(server.pid)
            for t in threads:
                t.join()
        except KeyboardInterrupt:
            interrupted = True
            stop.set()
            for t in threads:
                t.join(35)
        measured = max(0.001, min(time.perf_counter(), stop_at) - measure_from)
        samples = [s for out in outs for s in out]
        p95, errors = report(samples, routes, measured)
        print(cpu_line(cpu_before, cpu_after, measured))
        met = bool(samples) and p95 <= TARGET_P95_MS and errors == 0 and not interrupted
        print(f"\n{len(samples)} requests in {measured:.1f} s: {len(samples) / measured:.1f} requests/s"
              + (" (interrupted)" if interrupted else ""))
        print(f"p95 overall: {p95:.0f} ms (target ≤ {TARGET_P95_MS:.0f}) errors: {errors}")
        return 0 if met else (130 if interrupted else 1)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    finally:
        if server is not None:
            stop_server(server)
        if created and not args.keep:
            shutil.rmtree(data_dir, ignore_errors=True)
        elif created:
            print(f"data kept in {data_dir} (rerun with --data-dir {data_dir} --reuse)")


if __name__ == "__main__":
    raise SystemExit(main())

"""Report speed: the periodic report (XLD01–04, TCD01 and the charts) over 100,000 letters must render in ≤ 2 s.

Uses the data dir of ``bench/web_load.py`` (built the same way, or ``--reuse``d), then marks ~70% of the letters
older than ten days as reviewed, with handling decisions, resolution statuses and some reviewer labels, and adds
citizen reception sessions, so every form has work to count. Measures, three times each (median printed):
* computing the report (all five forms and the charts) for a week, a month, a statistical quarter, a calendar
  year and a statistical year;
* the report page (``GET /reports``) rendered by the app for the calendar year, and its XLSX and PDF exports.
Exit code 0 iff the slowest page render is ≤ 2 s.

Run: ``.venv/bin/python bench/report_speed.py [--letters N] [--data-dir DIR] [--reuse] [--keep]``.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import statistics
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import func, insert, select, update  # noqa: E402

from bench.web_load import MARKER, PASSWORD, _wipe, build, ensure_users, letter_count  # noqa: E402
from core.periods import month_of, quarter, week_of, year_period  # noqa: E402
from core.settings import load_settings  # noqa: E402
from ingest.reports.service import build_report  # noqa: E402
from ingest.services import Services  # noqa: E402
from models import Letter, LetterLabel, ReceptionSession, Visit  # noqa: E402
from web.bootstrap import prepare_database  # noqa: E402

TARGET_S = 2.0
REVIEWED_MARKER = "report_speed.json"
DECISIONS = ["thu_ly"] * 3 + ["chuyen_don"] * 4 + ["huong_dan"] * 2 + ["luu_don"] * 2 + ["don_doc", "tra_lai"]
PRIORS = ["none"] * 7 + ["once", "once", "many", "judgment"]


def review_most(svc: Services, seed: int = 5) -> None:
    """Letters older than ten days: 70% reviewed a few days after receipt with a decision; 5% relabelled."""
    rng = random.Random(seed)
    cutoff = date.today() - timedelta(days=10)
    with svc.db.read() as session:
        rows = session.execute(select(Letter.id, Letter.received_date).where(Letter.received_date < cutoff)).all()
    chosen = [(i, d) for i, d in rows if rng.random() < 0.7]
    started = time.perf_counter()
    for start in range(0, len(chosen), 5000):
        chunk = chosen[start:start + 5000]
        with svc.db.write() as session:
            for letter_id, received in chunk:
                reviewed = received + timedelta(days=rng.randint(1, 12))
                session.execute(update(Letter).where(Letter.id == letter_id).values(
                    reviewed_at=time_of(reviewed), decision=rng.choice(DECISIONS), prior_resolution=rng.choice(PRIORS),
                    queue_order=None))
            relabel = [{"letter_id": i, "type": rng.choice(["khieu_nai", "to_cao", "kien_nghi", "phan_anh"]),
                        "agency": rng.choice(["BNC_TU", "THANHTRA", "UBND_TINH", "SO_NNMT"]),
                        "field": rng.choice(["dat_dai", "chinh_sach", "tham_nhung", "khac"])}
                       for i, _ in chunk if rng.random() < 0.05]
            if relabel:  # a reviewer's labels, and the letter's labels as they now stand
                session.execute(insert(LetterLabel), [{**r, "flags": {}, "corrected": True} for r in relabel])
                for r in relabel:
                    session.execute(update(Letter).where(Letter.id == r["letter_id"]).values(
                        type=r["type"], agency=r["agency"], field=r["field"]))
    with svc.db.write() as session:
        first = date.today() - timedelta(days=730)
        for n in range(104):  # two years of weekly reception, a few visits each
            held = first + timedelta(days=7 * n)
            reception = ReceptionSession(held_on=held, kind=rng.choice(["routine", "routine", "scheduled", "ad_hoc"]))
            session.add(reception)
            session.flush()
            for _ in range(rng.randint(2, 8)):
                group = rng.random() < 0.15
                session.add(Visit(session_id=reception.id, name="Công dân", delegation=group,
                                  headcount=rng.randint(5, 30) if group else 1, repeat=rng.random() < 0.3))
    (svc.settings.data_dir / REVIEWED_MARKER).write_text(f'{{"reviewed": {len(chosen)}}}')
    print(f"reviewed {len(chosen):,} letters and added two years of reception in {time.perf_counter() - started:.1f} s")


def time_of(day: date):  # noqa: ANN201
    from datetime import datetime

    return datetime.combine(day, datetime.min.time()).replace(hour=9)


def median_seconds(func, repeat: int = 3) -> float:  # noqa: ANN001
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        func()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--letters", type=int, default=100_000)
    parser.add_argument("--data-dir", type=Path)
    parser.add_argument("--reuse", action="store_true", help="skip the build when the data dir holds N letters")
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--build-jobs", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()
    data_dir = (args.data_dir or Path(tempfile.mkdtemp(prefix="donthu-reports-"))).resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    os.environ["DONTHU_DATA_DIR"] = str(data_dir)
    svc = Services(load_settings())
    have = letter_count(svc)
    if args.reuse and have == args.letters:
        prepare_database(svc, with_admin=True)
        print(f"reusing {data_dir}: {have:,} letters")
    else:
        if have and not (data_dir / MARKER).exists():
            raise SystemExit(f"{data_dir} holds letters this script did not make: pick another --data-dir")
        _wipe(data_dir)
        (data_dir / REVIEWED_MARKER).unlink(missing_ok=True)
        build(svc, args.letters, max(1, args.build_jobs), args.letters // 20)
    if not (data_dir / REVIEWED_MARKER).exists():
        review_most(svc)
    ensure_users(svc, 1)
    today = date.today()
    periods = {"week": week_of(today - timedelta(days=7)), "month": month_of(today),
               "quarter (statistical)": quarter(today.year, 1, statistical=True),
               "year (calendar)": year_period(today.year - 1), "year (statistical)": year_period(today.year,
                                                                                                 statistical=True)}
    with svc.db.read() as session:
        letters = session.scalar(select(func.count()).select_from(Letter))
        reviewed = session.scalar(select(func.count()).select_from(Letter).where(Letter.reviewed_at.is_not(None)))
    print(f"\n{letters:,} letters ({reviewed:,} reviewed); machine: {os.cpu_count()} cores\n")
    print(f"{'report':<24} {'letters in it':>14} {'compute s':>10}")
    for name, period in periods.items():
        def compute(period=period):  # noqa: ANN001, ANN202
            with svc.db.read() as session:
                return build_report(session, period)

        seconds = median_seconds(compute)
        counted = compute().forms["XLD01"].table.rows[-1].cells["total"]
        print(f"{name:<24} {counted:>14,} {seconds:>10.2f}")

    from web.app import create_app

    app = create_app(svc.settings)
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    client.post("/login", data={"email": "bench01@donthu.local", "password": PASSWORD, "csrf_token": token})
    year = periods["year (calendar)"].start.year
    timings = {}
    for name, url in (("page, calendar year", f"/reports?kind=year&year={year}"),
                      ("page, statistical year", f"/reports?kind=year&year={today.year}&stat=1"),
                      ("XLSX, calendar year", f"/reports/export.xlsx?kind=year&year={year}"),
                      ("PDF, calendar year", f"/reports/export.pdf?kind=year&year={year}")):
        def fetch(url=url):  # noqa: ANN001, ANN202
            response = client.get(url)
            assert response.status_code == 200, (url, response.status_code)

        timings[name] = median_seconds(fetch)
    print()
    for name, seconds in timings.items():
        print(f"{name:<24} {seconds:>10.2f} s")
    slowest = max(timings[k] for k in timings if k.startswith("page"))
    print(f"\nslowest report page: {slowest:.2f} s (target ≤ {TARGET_S:g} s)")
    return 0 if slowest <= TARGET_S else 1


if __name__ == "__main__":
    sys.exit(main())

"""Backup and restore, proved: back an office up, restore it into a fresh data dir and a fresh database, and compare
every table (row count and a hash of its rows) and every file (SHA-256), then run ``donthu check`` on the copy.

The office: ``--letters`` letters from the training corpus registered and read through the real pipeline (in this
process), a reviewer, a dossier per tenth letter with an attachment, and the filed weekly report — or an existing
data dir with ``--data-dir`` (SQLite; it is only read, and may be in use: the backup is taken online). It runs on
SQLite, and on PostgreSQL too when a server answers at ``--pg`` (default 127.0.0.1:5432, scratch databases are
created and dropped).

Run: ``.venv/bin/python bench/backup_restore.py [--letters 200] [--data-dir DIR] [--pg URL | --no-pg]``.
Prints one line per engine and a JSON summary; exit code 0 iff every table and file matched and the check passed.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import select  # noqa: E402

from core.periods import week_of  # noqa: E402
from core.settings import load_settings  # noqa: E402
from ingest.backup import backup, file_digests, restore, table_digests  # noqa: E402
from ingest.dispatch import dispatch_new_letter  # noqa: E402
from ingest.dossiers import add_attachment, open_dossier  # noqa: E402
from ingest.intake import register_file  # noqa: E402
from ingest.reports.filing import file_report  # noqa: E402
from ingest.services import Services  # noqa: E402
from models import Letter  # noqa: E402
from tests.conftest import scratch_pg_database  # noqa: E402
from web.accounts import create_user  # noqa: E402
from web.bootstrap import prepare_database, prepare_model  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
CORPUS = sorted((ROOT / "classify" / "data" / "corpus").glob("*.jsonl"))
DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def services(data_dir: Path, url: str) -> Services:
    os.environ["DONTHU_DATA_DIR"] = str(data_dir)
    os.environ["DONTHU_DATABASE_URL"] = url
    return Services(load_settings())


def build_office(svc: Services, letters: int) -> None:
    prepare_database(svc)
    prepare_model(svc)
    texts = [json.loads(line)["text"] for path in CORPUS for line in path.read_text("utf-8").splitlines() if line]
    with svc.db.write() as session:
        user = create_user(session, "bench-reviewer@donthu.local", "bench-pass-1", "reviewer", full_name="Bench")
        session.flush()
        user_id = user.id
    for i in range(letters):
        result = register_file(svc, texts[i % len(texts)].encode() + f"\n(bản {i})".encode(), f"thu-{i:04d}.txt")
        dispatch_new_letter(svc, result.letter_id, result.job_id, sync=True)
    with svc.db.write() as session:
        for letter in session.scalars(select(Letter).where(Letter.id % 10 == 1)):
            dossier = open_dossier(session, letter, user_id, type=letter.type or "khieu_nai",
                                   field=letter.field or "khac", agency=letter.agency or "UBND_TINH")
            add_attachment(session, svc.settings.data_dir, dossier, f"%PDF-1.4 trả lời {letter.id}".encode(),
                           "tra-loi.pdf", user_id)
    file_report(svc, week_of(date.today()))


def round_trip(label: str, source: Services, target: Services, work: Path) -> dict:
    archive = work / f"{label}.tar"
    made = backup(source, archive)
    restored = restore(target, archive)
    tables_a, tables_b = table_digests(source.settings.database_url), table_digests(target.settings.database_url)
    files_a, files_b = file_digests(source.settings.data_dir), file_digests(target.settings.data_dir)
    bad_tables = sorted(t for t in tables_a if tables_a[t] != tables_b.get(t))
    bad_files = sorted(set(files_a) ^ set(files_b) | {p for p in files_a if files_b.get(p) != files_a[p]})
    result = {"engine": label, "letters": made.letters, "rows": sum(n for n, _ in tables_a.values()),
              "tables": len(tables_a), "files": len(files_a), "archive_mb": round(made.bytes / 1e6, 1),
              "backup_s": round(made.seconds, 1), "restore_s": round(restored.seconds, 1),
              "tables_differing": bad_tables, "files_differing": bad_files[:10], "check_ok": restored.check_ok}
    result["ok"] = not bad_tables and not bad_files and restored.check_ok
    print(f"{label:10} {result['letters']:6} letters {result['rows']:8} rows in {result['tables']} tables "
          f"{result['files']:6} files  archive {result['archive_mb']:7.1f} MB  backup {result['backup_s']:6.1f} s  "
          f"restore+check {result['restore_s']:6.1f} s  tables differing {len(bad_tables)}  files differing "
          f"{len(bad_files)}  check {'ok' if restored.check_ok else 'FAILED'}", flush=True)
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--letters", type=int, default=200)
    parser.add_argument("--data-dir", type=Path, help="back up this existing (SQLite) data dir instead")
    parser.add_argument("--pg", default=DEFAULT_PG, help="PostgreSQL server for the second round")
    parser.add_argument("--no-pg", action="store_true")
    parser.add_argument("--work", type=Path, help="where archives and restored copies go (default: a temp dir)")
    args = parser.parse_args()
    results = []
    with tempfile.TemporaryDirectory(prefix="donthu-backup-bench-", dir=args.work) as tmp:
        work = Path(tmp)
        if args.data_dir:
            source = services(args.data_dir.resolve(), f"sqlite:///{args.data_dir.resolve() / 'donthu.db'}")
        else:
            source = services(work / "office", f"sqlite:///{work / 'office' / 'donthu.db'}")
            started = time.monotonic()
            build_office(source, args.letters)
            print(f"built an office of {args.letters} letters in {time.monotonic() - started:.0f} s", flush=True)
        results.append(round_trip("sqlite", source, services(work / "restored",
                                                             f"sqlite:///{work / 'restored' / 'donthu.db'}"), work))
        if not args.no_pg:
            try:
                with scratch_pg_database(args.pg, "donthu_bk") as source_url, scratch_pg_database(args.pg, "donthu_bk") as target_url:
                    pg_source = services(work / "office-pg", source_url)
                    build_office(pg_source, min(args.letters, 200))
                    results.append(round_trip("postgresql", pg_source, services(work / "restored-pg", target_url),
                                              work))
            except Exception as exc:  # noqa: BLE001 - no server: say so, the SQLite round stands
                print(f"postgresql skipped: {type(exc).__name__}: {exc}")
        shutil.rmtree(work, ignore_errors=True)
    print(json.dumps({"rounds": len(results), "ok": all(r["ok"] for r in results), "results": results}))
    return 0 if results and all(r["ok"] for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())

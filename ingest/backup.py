"""``donthu backup`` and ``donthu restore``: the whole office in one archive, and back.

The archive is a tar file holding ``manifest.json``, a consistent snapshot of the database (SQLite's online backup,
or ``pg_dump -Fc`` for PostgreSQL), a snapshot of the FTS5 index when it lives in its own file, and every other
file of the data dir (originals, page images, attachments, filed reports, models, the secret key).

The database is snapshotted first and the files copied after: originals and attachments are written before their
rows commit and never change, so every row in the snapshot finds its file in the archive. Files that arrived
after the snapshot travel too and are found by ``donthu check`` after a restore (as orphans, set aside).

A restore goes into an empty data dir (and, for PostgreSQL, an empty database), upgrades the schema to this
version of the code, then runs ``donthu check --repair`` so that the index agrees with the database.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

from sqlalchemy import create_engine, func, inspect, select, text
from sqlalchemy.engine import make_url

from ingest.errors import DonthuError
from ingest.services import Services
from ingest.storage import sha256_file
from models import Letter
from models.migrate import upgrade
from models.session import is_sqlite
from search.factory import fts5_url

FORMAT = 1
DATABASE_SQLITE = "database.sqlite3"
DATABASE_PGDUMP = "database.pgdump"
SEARCH_SQLITE = "search.sqlite3"
# never archived: the running system's sockets and logs, the live database files (snapshotted instead),
# an interrupted reindex's checkpoint
SKIP_TOP = {"run", "reindex.json"}
SKIP_SUFFIXES = ("-wal", "-shm", "-journal")


class BackupError(DonthuError):
    code = "backup_error"


@dataclass
class BackupReport:
    path: Path
    database: str  # sqlite | postgresql
    letters: int
    files: int
    bytes: int
    seconds: float

    def as_dict(self) -> dict:
        return {"path": str(self.path), "database": self.database, "letters": self.letters, "files": self.files,
                "bytes": self.bytes, "seconds": round(self.seconds, 2)}


@dataclass
class RestoreReport:
    data_dir: Path
    database_url: str
    letters: int
    files: int
    seconds: float
    check_ok: bool
    check_counts: dict[str, int]

    def as_dict(self) -> dict:
        return {"data_dir": str(self.data_dir), "database": make_url(self.database_url).render_as_string(),
                "letters": self.letters, "files": self.files, "seconds": round(self.seconds, 2),
                "check_ok": self.check_ok, "check_counts": self.check_counts}


def _sqlite_path(url: str) -> Path:
    return Path(make_url(url).database or "").resolve()


def _libpq(url: str) -> str:
    """The SQLAlchemy URL as a libpq connection URI for pg_dump and pg_restore."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def _sqlite_snapshot(source: Path, target: Path) -> None:
    """A consistent copy of a live SQLite database (the online backup API: writers may go on meanwhile)."""
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True, timeout=30)
    dst = sqlite3.connect(target)
    try:
        src.backup(dst)
    finally:
        dst.close()
        src.close()


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise BackupError(f"{name} is not installed (Debian: postgresql-client)", "missing_tool")
    return found


def _archived_files(data_dir: Path, skip: set[Path]) -> list[Path]:
    out: list[Path] = []
    for path in sorted(data_dir.rglob("*")):
        rel = path.relative_to(data_dir)
        if rel.parts[0] in SKIP_TOP or path in skip or not path.is_file():
            continue
        if path.name.startswith(".tmp-") or path.name.endswith(SKIP_SUFFIXES):
            continue
        out.append(path)
    return out


def backup(svc: Services, dest: Path) -> BackupReport:
    """Write the archive to ``dest`` (atomically: a partial archive never has the final name)."""
    started = time.monotonic()
    settings = svc.settings
    data_dir = settings.data_dir.resolve()
    dest = Path(dest).resolve()
    if dest.is_relative_to(data_dir):
        raise BackupError("the archive must be written outside the data dir", "bad_request")
    url = settings.database_url
    with svc.db.read() as session:
        letters = session.scalar(select(func.count(Letter.id))) or 0
    skip: set[Path] = set()
    with tempfile.TemporaryDirectory(prefix="donthu-backup-", dir=dest.parent) as tmp:
        work = Path(tmp)
        members: list[tuple[Path, str]] = []
        if is_sqlite(url):
            kind = "sqlite"
            live = _sqlite_path(url)
            _sqlite_snapshot(live, work / DATABASE_SQLITE)  # holds the FTS5 index too: one consistent snapshot
            members.append((work / DATABASE_SQLITE, DATABASE_SQLITE))
            skip.add(live)
        else:
            kind = "postgresql"
            subprocess.run([_tool("pg_dump"), "-Fc", "--no-owner", "--no-privileges", "-f", str(work / DATABASE_PGDUMP),
                            "-d", _libpq(url)], check=True, capture_output=True)
            members.append((work / DATABASE_PGDUMP, DATABASE_PGDUMP))
            index = _sqlite_path(fts5_url(settings))
            if index.exists():
                _sqlite_snapshot(index, work / SEARCH_SQLITE)
                members.append((work / SEARCH_SQLITE, SEARCH_SQLITE))
                skip.add(index)
        files = _archived_files(data_dir, skip)
        manifest = {"format": FORMAT, "created": datetime.now(UTC).isoformat(timespec="seconds"), "database": kind,
                    "revision": _revision(url), "letters": letters, "files": len(files),
                    "search_url": settings.search_url}
        (work / "manifest.json").write_text(json.dumps(manifest, indent=2))
        partial = work / "archive.tar"
        with tarfile.open(partial, "w") as tar:
            tar.add(work / "manifest.json", arcname="manifest.json")
            for path, name in members:
                tar.add(path, arcname=name)
            for path in files:
                tar.add(path, arcname=f"data/{path.relative_to(data_dir)}")
        with partial.open("rb") as fh:
            os.fsync(fh.fileno())
        os.replace(partial, dest)
    return BackupReport(dest, kind, letters, len(files), dest.stat().st_size, time.monotonic() - started)


def _revision(url: str) -> str | None:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            if "alembic_version" not in inspect(conn).get_table_names():
                return None
            return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
    finally:
        engine.dispose()


def read_manifest(archive: Path) -> dict:
    try:
        with tarfile.open(archive, "r") as tar:
            member = tar.extractfile("manifest.json")
            if member is None:
                raise KeyError("manifest.json")
            manifest = json.loads(member.read())
    except (tarfile.TarError, KeyError, OSError, ValueError) as exc:
        raise BackupError(f"{archive} is not a Donthu backup: {exc}", "bad_archive") from exc
    if manifest.get("format") != FORMAT:
        raise BackupError(f"backup format {manifest.get('format')!r} is not supported", "bad_archive")
    return manifest


def _empty_data_dir(data_dir: Path) -> bool:
    """Empty but for what merely loading the settings creates (the secret key) and the run folder."""
    return not data_dir.exists() or all(p.name in ("secret_key", "run") for p in data_dir.iterdir())


def _postgres_is_empty(url: str) -> bool:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return not inspect(conn).get_table_names()
    finally:
        engine.dispose()


def restore(svc: Services, archive: Path) -> RestoreReport:
    """Restore ``archive`` into this configuration's (empty) data dir and database, then upgrade and check."""
    from ingest.check import check  # check needs the whole pipeline; keep it out of a plain backup's imports

    started = time.monotonic()
    settings = svc.settings
    manifest = read_manifest(archive)
    data_dir = settings.data_dir.resolve()
    url = settings.database_url
    if not _empty_data_dir(data_dir):
        raise BackupError(f"{data_dir} is not empty: restore into a fresh data dir", "target_not_empty")
    target_sqlite = is_sqlite(url)
    if (manifest["database"] == "sqlite") != target_sqlite:
        raise BackupError(f"the backup holds a {manifest['database']} database but the target is "
                          f"{'SQLite' if target_sqlite else 'PostgreSQL'}: use `donthu copy-db` to move between them",
                          "wrong_database")
    if not target_sqlite and not _postgres_is_empty(url):
        raise BackupError("the target PostgreSQL database is not empty", "target_not_empty")
    data_dir.mkdir(parents=True, exist_ok=True)
    files = 0
    with tarfile.open(archive, "r") as tar, tempfile.TemporaryDirectory(prefix="donthu-restore-") as tmp:
        for member in tar:
            if not member.isfile():
                continue
            if member.name.startswith("data/"):
                files += 1
                tar.extract(member, tmp, filter="data")  # the filter refuses absolute and ../ names
            elif member.name in (DATABASE_SQLITE, DATABASE_PGDUMP, SEARCH_SQLITE):
                tar.extract(member, tmp, filter="data")
        work = Path(tmp)
        for path in sorted((work / "data").rglob("*")) if (work / "data").exists() else []:
            if path.is_file():
                target = data_dir / path.relative_to(work / "data")
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.move(str(path), target)
        if target_sqlite:
            live = _sqlite_path(url)
            live.parent.mkdir(parents=True, exist_ok=True)
            shutil.move(str(work / DATABASE_SQLITE), live)
        else:
            subprocess.run([_tool("pg_restore"), "--no-owner", "--no-privileges", "--exit-on-error", "-d", _libpq(url),
                            str(work / DATABASE_PGDUMP)], check=True, capture_output=True)
            if (work / SEARCH_SQLITE).exists():
                index = _sqlite_path(fts5_url(settings))
                shutil.move(str(work / SEARCH_SQLITE), index)
    svc.__dict__.pop("db", None)  # reopen on the restored files
    svc.__dict__.pop("search", None)
    upgrade(url)  # an older backup meets newer code: migrate it
    with svc.db.read() as session:
        letters = session.scalar(select(func.count(Letter.id))) or 0
    report = check(svc, repair=True, jobs=False)  # the queue is new: the workers' sweeper requeues on start
    after = check(svc, jobs=False)
    return RestoreReport(data_dir, url, letters, files, time.monotonic() - started, after.ok, report.counts())


# -- comparing two offices (the restore test and bench/backup_restore.py) ------------------------------------
def _plain(value: object) -> object:
    """Engine-neutral: SQLite hands back naive datetimes where PostgreSQL gives aware ones."""
    if isinstance(value, datetime):
        return value.replace(tzinfo=None).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return value


def table_digests(url: str) -> dict[str, tuple[int, str]]:
    """Each model table's row count and a SHA-256 of its rows in primary-key order."""
    import models  # noqa: F401 - every model's table on Base.metadata
    from models.base import Base

    engine = create_engine(url)
    out: dict[str, tuple[int, str]] = {}
    try:
        with engine.connect() as conn:
            for table in Base.metadata.sorted_tables:
                digest, rows = hashlib.sha256(), 0
                result = conn.execution_options(stream_results=True).execute(
                    select(table).order_by(*table.primary_key.columns))
                for row in result:
                    digest.update(repr(tuple(_plain(v) for v in row)).encode())
                    rows += 1
                out[table.name] = (rows, digest.hexdigest())
    finally:
        engine.dispose()
    return out


def file_digests(data_dir: Path) -> dict[str, str]:
    """SHA-256 of every file a backup carries, by path in the data dir (live database files left out)."""
    data_dir = data_dir.resolve()
    live = {data_dir / "donthu.db", data_dir / SEARCH_SQLITE}
    return {str(p.relative_to(data_dir)): sha256_file(p) for p in _archived_files(data_dir, live)}

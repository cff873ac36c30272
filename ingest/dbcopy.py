"""``donthu copy-db``: move the office's database to another engine (SQLite to PostgreSQL when it outgrows one
machine), table by table through the models, then rebuild the search index for the new configuration."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Integer, create_engine, delete, func, insert, inspect, select, text
from sqlalchemy.engine import Engine

import models  # noqa: F401 - every model's table on Base.metadata
from ingest.errors import DonthuError
from models.base import Base
from models.migrate import upgrade

BATCH = 2000


class CopyError(DonthuError):
    code = "copy_error"


@dataclass
class CopyReport:
    tables: dict[str, int]

    @property
    def rows(self) -> int:
        return sum(self.tables.values())


OWN_DATA = ("letters", "users", "dossiers")  # the migrations seed catalogs, never these


def _has_rows(engine: Engine) -> list[str]:
    with engine.connect() as conn:
        names = set(inspect(conn).get_table_names())
        return [t.name for t in Base.metadata.sorted_tables
                if t.name in names and t.name in OWN_DATA
                and conn.execute(select(func.count()).select_from(t)).scalar()]


def copy_database(source_url: str, target_url: str, progress: Callable[[str, int], None] | None = None) -> CopyReport:
    """Copy every model table from ``source_url`` to ``target_url`` (which must hold no letters or users yet).

    Both are first migrated to the current schema; the target's seeded rows are replaced by the source's, and
    PostgreSQL's id sequences are moved past the copied ids.
    """
    upgrade(source_url)
    upgrade(target_url)
    source, target = create_engine(source_url), create_engine(target_url)
    try:
        taken = _has_rows(target)
        if taken:
            raise CopyError(f"the target database already holds data ({', '.join(taken)}): copy into an empty one",
                            "target_not_empty")
        tables = Base.metadata.sorted_tables
        counts: dict[str, int] = {}
        with target.begin() as dst:
            for table in reversed(tables):
                dst.execute(delete(table))  # seeds made by the migrations: the source has its own
            for table in tables:
                copied = 0
                with source.connect() as src:
                    result = src.execution_options(stream_results=True).execute(select(table))
                    while rows := result.fetchmany(BATCH):
                        dst.execute(insert(table), [dict(row._mapping) for row in rows])
                        copied += len(rows)
                counts[table.name] = copied
                if progress:
                    progress(table.name, copied)
            if dst.dialect.name == "postgresql":
                for table in tables:
                    _move_sequence(dst, table)
        return CopyReport(counts)
    finally:
        source.dispose()
        target.dispose()


def _move_sequence(conn, table) -> None:  # noqa: ANN001 - a Connection and a Table
    keys = list(table.primary_key.columns)
    if len(keys) != 1 or not isinstance(keys[0].type, Integer):
        return
    column = keys[0].name
    sequence = conn.execute(text("SELECT pg_get_serial_sequence(:t, :c)"), {"t": table.name, "c": column}).scalar()
    if sequence:
        conn.execute(text(f"SELECT setval(:s, COALESCE((SELECT max({column}) FROM {table.name}), 0) + 1, false)"),
                     {"s": sequence})

"""Register numbers ("số đến"): sequential per year, never reused, safe under concurrent intake."""

from __future__ import annotations

from sqlalchemy import update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from models.letters import RegisterCounter


def format_register_no(seq: int, year: int) -> str:
    return f"{seq:04d}/{year}"


def next_register_seq(session: Session, year: int) -> int:
    """Take the next number of ``year`` inside the caller's transaction (the row lock serialises writers)."""
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    session.execute(insert(RegisterCounter).values(year=year, last_seq=0).on_conflict_do_nothing())
    return session.execute(
        update(RegisterCounter)
        .where(RegisterCounter.year == year)
        .values(last_seq=RegisterCounter.last_seq + 1)
        .returning(RegisterCounter.last_seq)
    ).scalar_one()

"""Register numbers ("số đến"): sequential per year, never reused, safe under concurrent intake."""

from __future__ import annotations

from sqlalchemy import update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from models.dossiers import DossierCounter
from models.letters import RegisterCounter


def format_register_no(seq: int, year: int) -> str:
    return f"{seq:04d}/{year}"


def next_seq(session: Session, counter: type[RegisterCounter | DossierCounter], year: int) -> int:
    """Take the next number of ``year`` from a per-year counter table, inside the caller's transaction (the row
    lock serialises writers)."""
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    session.execute(insert(counter).values(year=year, last_seq=0).on_conflict_do_nothing())
    return session.execute(
        update(counter).where(counter.year == year).values(last_seq=counter.last_seq + 1).returning(counter.last_seq)
    ).scalar_one()


def next_register_seq(session: Session, year: int) -> int:
    """The next register number ("số đến") of ``year``."""
    return next_seq(session, RegisterCounter, year)

"""Dates as people type them: dd/mm/yyyy (how Vietnamese offices write dates) or ISO yyyy-mm-dd."""

from __future__ import annotations

from datetime import date, datetime

FORMATS = ("%d/%m/%Y", "%Y-%m-%d", "%d-%m-%Y", "%d.%m.%Y")


def parse_day(value: str | None) -> date | None:
    """The date in ``value``; None when it is empty. Raises ValueError naming the value otherwise."""
    value = (value or "").strip()
    if not value:
        return None
    for fmt in FORMATS:
        try:
            return datetime.strptime(value, fmt).date()
        except ValueError:
            continue
    raise ValueError(f"ngày không hợp lệ: {value!r} (viết dd/mm/yyyy)")

"""Failpoints: named places where the fault tests can hold a process, so that a ``kill -9`` lands exactly there.

Off unless ``DONTHU_FAILPOINTS`` names them (``"stage.classify.after=5,page.read.after=5"``). A process that
reaches an armed failpoint writes ``<pid> <name>`` to ``<data_dir>/run/failpoints.log`` (so the test knows whom to
kill), then sleeps for the given seconds and carries on as if nothing happened.
"""

from __future__ import annotations

import os
import time
from functools import cache

from core.settings import Settings


@cache
def _armed(spec: str) -> dict[str, float]:
    points: dict[str, float] = {}
    for item in filter(None, (part.strip() for part in spec.split(","))):
        name, _, seconds = item.partition("=")
        points[name.strip()] = float(seconds or 0)
    return points


def failpoint(settings: Settings, name: str) -> None:
    """Hold here when the fault tests armed ``name``; a no-op otherwise (the usual case: one dict lookup)."""
    if not settings.failpoints:
        return
    seconds = _armed(settings.failpoints).get(name)
    if seconds is None:
        return
    log = settings.data_dir / "run" / "failpoints.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("a") as fh:
        fh.write(f"{os.getpid()} {name}\n")
    time.sleep(seconds)

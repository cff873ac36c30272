"""Watch a scanner's output folder: register each new file, then move it to ``done/`` or ``failed/``.

A file is taken only once its size has stopped changing (the scanner may still be writing it). A refused
file goes to ``failed/`` with a ``.error.txt`` beside it saying why.
"""

from __future__ import annotations

import logging
import shutil
import time
from collections.abc import Callable
from pathlib import Path

from ingest.dispatch import dispatch_new_letter
from ingest.errors import IntakeError
from ingest.intake import register_file
from ingest.services import Services

log = logging.getLogger(__name__)


def _free_name(folder: Path, name: str) -> Path:
    """``name`` in ``folder``, with a numeric suffix when a file of that name is already there."""
    target = folder / name
    stem, suffix, n = target.stem, target.suffix, 1
    while target.exists():
        target = folder / f"{stem}.{n}{suffix}"
        n += 1
    return target


class FolderWatcher:
    def __init__(self, svc: Services, folder: Path, *, channel: str = "post", sync: bool = False) -> None:
        self.svc = svc
        self.folder = folder
        self.channel = channel
        self.sync = sync
        self.done = folder / "done"
        self.failed = folder / "failed"
        self._sizes: dict[Path, tuple[int, float]] = {}

    def _candidates(self, settle_seconds: float) -> list[Path]:
        now = time.monotonic()
        ready: list[Path] = []
        seen: set[Path] = set()
        for path in sorted(self.folder.iterdir()):
            if not path.is_file() or path.name.startswith(".") or path.name.endswith((".part", ".tmp")):
                continue
            seen.add(path)
            size = path.stat().st_size
            previous = self._sizes.get(path)
            if previous is None or previous[0] != size:
                self._sizes[path] = (size, now)
                if settle_seconds > 0:
                    continue
            if now - self._sizes[path][1] >= settle_seconds:
                ready.append(path)
        self._sizes = {p: v for p, v in self._sizes.items() if p in seen}
        return ready

    def handle(self, path: Path) -> str:
        """Register one file and move it away; returns a line for the log."""
        self.done.mkdir(exist_ok=True)
        self.failed.mkdir(exist_ok=True)
        try:
            result = register_file(self.svc, path.read_bytes(), path.name, channel=self.channel, actor="watch")
        except IntakeError as exc:
            target = _free_name(self.failed, path.name)
            shutil.move(path, target)
            target.with_name(target.name + ".error.txt").write_text(f"{exc.code}: {exc.message}\n", encoding="utf-8")
            return f"failed  {path.name}: {exc.message}"
        if result.duplicate_of is None:
            dispatch_new_letter(self.svc, result.letter_id, result.job_id, sync=self.sync)
        shutil.move(path, _free_name(self.done, path.name))
        dup = f" (same file as letter {result.duplicate_of})" if result.duplicate_of else ""
        return f"done    {path.name}: {result.register_no}, letter {result.letter_id}{dup}"

    def scan_once(self, settle_seconds: float = 2.0) -> list[str]:
        self.folder.mkdir(parents=True, exist_ok=True)
        return [self.handle(path) for path in self._candidates(settle_seconds)]

    def run(self, interval: float, echo: Callable[[str], None] = print) -> None:
        echo(f"watching {self.folder} (Ctrl-C to stop)")
        while True:
            try:
                for line in self.scan_once(settle_seconds=interval):
                    echo(line)
            except OSError as exc:  # a file vanished or a disk error: report and keep watching
                log.warning("watch: %s", exc)
            time.sleep(interval)

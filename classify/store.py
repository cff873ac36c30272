"""Versioned classifier models in the data dir, written atomically; the only place models are loaded from."""

from __future__ import annotations

import fcntl
import io
import json
import os
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import joblib

from classify.model import LetterClassifier, Thresholds


def _write_atomic(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def new_version() -> str:
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")


class ModelStore:
    """``models/classifier/<version>.joblib`` + ``<version>.json`` (metrics), and ``current.json`` naming the
    model in use. Replacing the current model is one atomic rename."""

    _cache: dict[tuple[str, str], LetterClassifier] = {}
    _cache_lock = threading.Lock()

    def __init__(self, models_dir: Path) -> None:
        self.dir = Path(models_dir) / "classifier"

    def current_version(self) -> str | None:
        try:
            return json.loads((self.dir / "current.json").read_text())["version"]
        except (FileNotFoundError, KeyError, json.JSONDecodeError):
            return None

    def metadata(self, version: str) -> dict:
        try:
            return json.loads((self.dir / f"{version}.json").read_text())
        except FileNotFoundError:
            return {}

    def save(self, model: LetterClassifier, metadata: dict, *, make_current: bool) -> str:
        with io.BytesIO() as buf:
            joblib.dump(model, buf, compress=3)
            _write_atomic(self.dir / f"{model.version}.joblib", buf.getvalue())
        _write_atomic(self.dir / f"{model.version}.json",
                      json.dumps({"version": model.version, **metadata}, ensure_ascii=False, indent=1).encode())
        if make_current:
            self.make_current(model.version)
        return model.version

    def make_current(self, version: str) -> None:
        _write_atomic(self.dir / "current.json", json.dumps({"version": version}).encode())

    def load(self, version: str | None = None, thresholds: Thresholds | None = None) -> LetterClassifier | None:
        """The model ``version`` (default: current), cached per process; None when there is none yet."""
        version = version or self.current_version()
        if version is None:
            return None
        key = (str(self.dir), version)
        with self._cache_lock:
            model = self._cache.get(key)
            if model is None:
                model = joblib.load(self.dir / f"{version}.joblib")
                self._cache[key] = model
        if thresholds is not None:
            model.thresholds = thresholds
        return model

    def versions(self) -> list[str]:
        return sorted(p.stem for p in self.dir.glob("*.joblib"))

    @contextmanager
    def training_lock(self) -> Iterator[None]:
        """One trainer at a time across processes (workers may all find no model at first start)."""
        self.dir.mkdir(parents=True, exist_ok=True)
        with open(self.dir / ".train.lock", "w") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)

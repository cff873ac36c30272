"""Content-addressed storage of originals (written atomically, read-only afterwards) and derived page images."""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sha256_file(path: Path) -> str:
    """The digest of a file read in 1 MiB chunks (originals may be tens of megabytes)."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


class FileStore:
    """Files under ``root``: ``files/ab/<sha256><ext>`` for originals, ``files/ab/<sha256>.pages/`` beside them."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = Path(data_dir)

    def original_relpath(self, sha: str, ext: str) -> str:
        return f"files/{sha[:2]}/{sha}{ext}"

    def page_image_relpath(self, sha: str, index: int) -> str:
        return f"files/{sha[:2]}/{sha}.pages/{index:04d}.png"

    def path(self, relpath: str) -> Path:
        """``relpath`` inside the data dir. Stored paths are built from digests, never from names; one that would
        leave the data dir (absolute, or with "..") can only come from a tampered row and is refused."""
        parts = Path(relpath).parts
        if not parts or Path(relpath).is_absolute() or ".." in parts:
            raise ValueError(f"stored path {relpath!r} is not inside the data dir")
        return self.data_dir / relpath

    def put_original(self, data: bytes, sha: str, ext: str) -> str:
        """Store ``data`` (whose digest is ``sha``) once; returns its path relative to the data dir."""
        rel = self.original_relpath(sha, ext)
        target = self.path(rel)
        if target.exists() and sha256_of(target.read_bytes()) == sha:
            return rel  # same content already stored: originals are never rewritten
        write_atomic(target, data, mode=0o444)
        return rel

    def read(self, relpath: str) -> bytes:
        return self.path(relpath).read_bytes()


def write_atomic(target: Path, data: bytes, mode: int = 0o644, *, durable: bool = True) -> None:
    """Write to a temporary file in the same folder, then rename: readers see all or nothing. ``durable``
    also fsyncs the file and the folder (originals); derived files that can be made again skip it."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-", suffix=target.suffix)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            if durable:
                fh.flush()
                os.fsync(fh.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, target)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    if not durable:
        return
    dir_fd = os.open(target.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)  # make the rename itself durable
    finally:
        os.close(dir_fd)

"""A private redis-server for ``donthu run`` on a fresh machine: a Unix socket in the data dir, no TCP port."""

from __future__ import annotations

import shutil
import subprocess
import time
from pathlib import Path

from redis import Redis

INSTALL_HINT = "apt-get install -y redis-server"


def start_private_redis(socket_path: Path, log_path: Path) -> subprocess.Popen:
    """Start redis-server on ``socket_path`` and wait until it answers PING."""
    binary = shutil.which("redis-server")
    if binary is None:
        raise RuntimeError(f"redis-server is not installed: run `make setup` (or `{INSTALL_HINT}`)")
    socket_path.parent.mkdir(parents=True, exist_ok=True)
    if socket_path.exists():
        try:
            if Redis(unix_socket_path=str(socket_path), socket_connect_timeout=1).ping():
                raise RuntimeError(f"a Redis server already listens on {socket_path}: is `donthu run` running?")
        except OSError:
            pass
        except Exception as exc:  # redis.ConnectionError: a stale socket from a crashed run
            if "already listens" in str(exc):
                raise
        socket_path.unlink(missing_ok=True)
    proc = subprocess.Popen(
        [binary, "--port", "0", "--unixsocket", str(socket_path), "--unixsocketperm", "700",
         "--save", "", "--appendonly", "no", "--dir", str(socket_path.parent), "--logfile", str(log_path)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"redis-server exited with code {proc.returncode}; see {log_path}")
        try:
            if Redis(unix_socket_path=str(socket_path), socket_connect_timeout=1).ping():
                return proc
        except Exception:  # noqa: BLE001 - not up yet
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError(f"redis-server did not start within 10 s; see {log_path}")

"""Login rate limiting: after ``MAX_FAILURES`` wrong passwords for one account, or from one address, within
``WINDOW`` seconds, further attempts are refused until the window passes. Counted in Redis so every web worker
sees the same numbers; an in-process count stands in when Redis cannot be reached (better than none)."""

from __future__ import annotations

import threading
import time

from redis import Redis
from redis.exceptions import RedisError

MAX_FAILURES = 5
WINDOW = 15 * 60

_local: dict[str, tuple[int, float]] = {}
_lock = threading.Lock()


class LoginLimiter:
    def __init__(self, redis_url: str, prefix: str = "donthu:login") -> None:
        self.redis = Redis.from_url(redis_url, socket_connect_timeout=0.5, socket_timeout=0.5)
        self.prefix = prefix

    def _keys(self, email: str, address: str) -> list[str]:
        return [f"{self.prefix}:user:{email}", f"{self.prefix}:addr:{address}"]

    def blocked(self, email: str, address: str) -> bool:
        keys = self._keys(email, address)
        try:
            counts = self.redis.mget(keys)
            return any(int(c or 0) >= MAX_FAILURES for c in counts)
        except RedisError:
            now = time.monotonic()
            with _lock:
                return any(_local.get(k, (0, 0))[0] >= MAX_FAILURES and _local[k][1] > now for k in keys)

    def failed(self, email: str, address: str) -> None:
        keys = self._keys(email, address)
        try:
            pipe = self.redis.pipeline()
            for key in keys:
                pipe.incr(key)
                pipe.expire(key, WINDOW, nx=True)
            pipe.execute()
        except RedisError:
            now = time.monotonic()
            with _lock:
                for key in keys:
                    count, until = _local.get(key, (0, 0.0))
                    if until <= now:  # the window passed: start counting again
                        count, until = 0, now + WINDOW
                    _local[key] = (count + 1, until)

    def succeeded(self, email: str) -> None:
        key = self._keys(email, "")[0]
        try:
            self.redis.delete(key)
        except RedisError:
            with _lock:
                _local.pop(key, None)

"""Server-side record of login sessions, so that logging out really ends one.

Flask keeps the session in a signed cookie: clearing it on log out only changes what the browser holds, and a
copy of the old cookie (a shared computer, a proxy log) would still say who is signed in until it expires. So each
login gets a random session id, kept in Redis with the session's lifetime (renewed as it is used, like the
cookie); the cookie names it, a request whose id is not (or no longer) registered is signed out, and log out
deletes it.

When Redis cannot be reached the cookie alone is trusted (the office keeps working, as uploads do), except for
the ids this process saw logged out, which stay refused; Redis is then left alone for ``RETRY_AFTER`` seconds, so
that a stopped server does not add a connection timeout to every page.
"""

from __future__ import annotations

import logging
import secrets
import threading
import time
from collections.abc import Callable
from typing import TypeVar

from redis import Redis
from redis.exceptions import RedisError

log = logging.getLogger(__name__)

RETRY_AFTER = 5.0
T = TypeVar("T")

_ended: set[str] = set()  # ids logged out while Redis was unreachable (this process)
_lock = threading.Lock()


class _Unreachable(Exception):
    """Redis failed a moment ago: not tried again yet."""


class SessionRegistry:
    def __init__(self, redis_url: str, prefix: str, lifetime: int) -> None:
        self.redis = Redis.from_url(redis_url, socket_connect_timeout=0.5, socket_timeout=0.5)
        self.prefix = prefix
        self.lifetime = lifetime
        self._down_until = 0.0

    def _key(self, sid: str) -> str:
        return f"{self.prefix}:{sid}"

    def _call(self, command: Callable[[], T]) -> T:
        """Run one Redis command; raises ``_Unreachable`` while Redis is known to be down."""
        if time.monotonic() < self._down_until:
            raise _Unreachable
        try:
            return command()
        except RedisError as exc:
            self._down_until = time.monotonic() + RETRY_AFTER
            raise _Unreachable from exc

    def start(self, user_id: int) -> str:
        """A new session id for ``user_id``, registered for the session's lifetime."""
        sid = secrets.token_urlsafe(24)
        try:
            self._call(lambda: self.redis.set(self._key(sid), str(user_id), ex=self.lifetime))
        except _Unreachable:
            log.warning("session registry unreachable at login: the session is not registered")
        return sid

    def alive(self, sid: str | None, user_id: int) -> bool:
        """Whether ``sid`` is a live session of ``user_id``; renews its lifetime."""
        if not sid:
            return False
        try:
            found = self._call(lambda: self.redis.getex(self._key(sid), ex=self.lifetime))
        except _Unreachable:
            with _lock:
                return sid not in _ended
        return found is not None and found.decode() == str(user_id)

    def end(self, sid: str | None) -> None:
        if not sid:
            return
        try:
            self._call(lambda: self.redis.delete(self._key(sid)))
        except _Unreachable:
            with _lock:
                _ended.add(sid)

    def end_all(self, user_id: int) -> int:
        """End every session of ``user_id`` (a password reset by an admin); returns how many."""
        ended = 0
        try:
            for key in self.redis.scan_iter(match=f"{self.prefix}:*", count=500):
                if self.redis.get(key) == str(user_id).encode():
                    ended += self.redis.delete(key)
        except RedisError as exc:
            log.warning("session registry unreachable: sessions of user %s not ended: %s", user_id, exc)
        return ended

"""Login rate limiting: after ``MAX_FAILURES`` wrong passwords for one account, or from one address, within
``WINDOW`` seconds, further attempts are refused until the window passes. Counted in Redis so every web worker
sees the same numbers; an in-process count stands in when Redis cannot be reached (better than none).

An attempt reserves its place *before* the password is checked (``begin``): the counters are incremented
atomically and the attempt goes ahead only if they stay within the limit. Checking first and counting after the
slow password hash would let a burst of parallel requests all pass the check and try many more passwords than
the limit allows. A right password gives its reservation back (``succeeded``), so colleagues logging in from one
office address do not lock each other out.
"""

from __future__ import annotations

import threading
import time

from redis import Redis
from redis.exceptions import RedisError

MAX_FAILURES = 5
WINDOW = 15 * 60

_local: dict[str, tuple[int, float]] = {}
_lock = threading.Lock()

# INCR every key (the window starts at its first failure); if one goes over the limit, undo them all and refuse:
# one script, so concurrent attempts see each other's counts
_RESERVE = """
local over = false
for i, key in ipairs(KEYS) do
  local n = redis.call('INCR', key)
  if n == 1 then redis.call('EXPIRE', key, ARGV[2]) end
  if n > tonumber(ARGV[1]) then over = true end
end
if over then
  for i, key in ipairs(KEYS) do redis.call('DECR', key) end
  return 0
end
return 1
"""


class LoginLimiter:
    def __init__(self, redis_url: str, prefix: str = "donthu:login") -> None:
        self.redis = Redis.from_url(redis_url, socket_connect_timeout=0.5, socket_timeout=0.5)
        self.prefix = prefix
        self._reserve = self.redis.register_script(_RESERVE)

    def _keys(self, email: str, address: str) -> list[str]:
        return [f"{self.prefix}:user:{email}", f"{self.prefix}:addr:{address}"]

    def blocked(self, email: str, address: str) -> bool:
        """Whether a further attempt for this account or from this address would be refused now."""
        keys = self._keys(email, address)
        try:
            counts = self.redis.mget(keys)
            return any(int(c or 0) >= MAX_FAILURES for c in counts)
        except RedisError:
            now = time.monotonic()
            with _lock:
                return any(_local.get(k, (0, 0))[0] >= MAX_FAILURES and _local[k][1] > now for k in keys)

    def begin(self, email: str, address: str) -> bool:
        """Reserve one attempt for this account and address; False when either has used up the window."""
        keys = self._keys(email, address)
        try:
            return bool(self._reserve(keys=keys, args=[MAX_FAILURES, WINDOW]))
        except RedisError:
            now = time.monotonic()
            with _lock:
                current = {}
                for key in keys:
                    count, until = _local.get(key, (0, 0.0))
                    if until <= now:  # the window passed: start counting again
                        count, until = 0, now + WINDOW
                    current[key] = (count + 1, until)
                if any(count > MAX_FAILURES for count, _ in current.values()):
                    return False
                _local.update(current)
                return True

    def succeeded(self, email: str, address: str) -> None:
        """The reserved attempt was right: the account starts afresh and the address gets its attempt back."""
        user_key, addr_key = self._keys(email, address)
        try:
            pipe = self.redis.pipeline()
            pipe.delete(user_key)
            pipe.decr(addr_key)
            pipe.execute()
        except RedisError:
            with _lock:
                _local.pop(user_key, None)
                count, until = _local.get(addr_key, (1, 0.0))
                _local[addr_key] = (max(0, count - 1), until)

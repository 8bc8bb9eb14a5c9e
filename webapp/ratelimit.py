"""A fixed-window counter in the cache: enough to stop guessing invitation tokens.

The limiter must never be why a candidate cannot take their exam: when its store (the cache, Redis in
production) cannot be reached, it lets the request through and logs it.
"""

from __future__ import annotations

import logging
import time

from django.core.cache import cache

from accounts.network import client_address  # noqa: F401 - the rate limits' key, re-exported

log = logging.getLogger(__name__)


def _key(bucket: str, ident: str, window_s: int) -> str:
    return f"rl:{bucket}:{ident}:{int(time.time() // window_s)}"


def is_limited(bucket: str, ident: str, *, limit: int, window_s: int) -> bool:
    try:
        return (cache.get(_key(bucket, ident, window_s)) or 0) >= limit
    except Exception as exc:  # noqa: BLE001 - the cache backend's own errors (redis, memcached) vary
        log.warning("rate limiter store unreachable, letting %s/%s through: %s", bucket, ident, exc)
        return False


def hit(bucket: str, ident: str, *, window_s: int) -> int:
    """Count one request in the current window and return the count so far.

    The counter is incremented first: it exists for every request of a window but the first, so the usual case
    costs the store one increment instead of a failed add and then the increment (autosaves count here).
    """
    key = _key(bucket, ident, window_s)
    try:
        try:
            return cache.incr(key)
        except ValueError:  # the window's first request (or its counter just expired)
            if cache.add(key, 1, timeout=window_s + 5):
                return 1
            try:
                return cache.incr(key)  # another request created it in between
            except ValueError:
                return 1
    except Exception as exc:  # noqa: BLE001 - see is_limited
        log.warning("rate limiter store unreachable, not counting %s/%s: %s", bucket, ident, exc)
        return 0

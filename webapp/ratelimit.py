"""A fixed-window counter in the cache: enough to stop guessing invitation tokens."""

from __future__ import annotations

import time

from django.core.cache import cache
from django.http import HttpRequest


def client_address(request: HttpRequest) -> str:
    # REMOTE_ADDR only: a header the client sets (X-Forwarded-For) would let it pick its own bucket.
    # Behind a reverse proxy, have the proxy set REMOTE_ADDR (e.g. gunicorn --forwarded-allow-ips).
    return request.META.get("REMOTE_ADDR", "unknown")


def _key(bucket: str, ident: str, window_s: int) -> str:
    return f"rl:{bucket}:{ident}:{int(time.time() // window_s)}"


def is_limited(bucket: str, ident: str, *, limit: int, window_s: int) -> bool:
    return (cache.get(_key(bucket, ident, window_s)) or 0) >= limit


def hit(bucket: str, ident: str, *, window_s: int) -> int:
    key = _key(bucket, ident, window_s)
    if cache.add(key, 1, timeout=window_s + 5):
        return 1
    try:
        return cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.add(key, 1, timeout=window_s + 5)
        return 1

"""A fixed-window counter in the cache: enough to stop guessing invitation tokens.

The limiter must never be why a candidate cannot take their exam: when its store (the cache, Redis in
production) cannot be reached, it lets the request through and logs it.
"""

from __future__ import annotations

import ipaddress
import logging
import time

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest

log = logging.getLogger(__name__)


def _trusted(addr: str) -> bool:
    try:
        ip = ipaddress.ip_address(addr)
    except ValueError:
        return False
    return any(ip in net for net in settings.TRUSTED_PROXY_NETWORKS)


def client_address(request: HttpRequest) -> str:
    """The client's address: REMOTE_ADDR, unless that is one of our reverse proxies (TRUSTED_PROXIES), then the
    right-most X-Forwarded-For entry that is not one of them. Entries left of it are the client's own say and are
    never used, so a client cannot pick its bucket by sending the header itself."""
    remote = request.META.get("REMOTE_ADDR", "unknown")
    if not _trusted(remote):
        return remote
    hops = [h.strip() for h in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if h.strip()]
    for hop in reversed(hops):
        if not _trusted(hop):
            return hop
    return remote


def _key(bucket: str, ident: str, window_s: int) -> str:
    return f"rl:{bucket}:{ident}:{int(time.time() // window_s)}"


def is_limited(bucket: str, ident: str, *, limit: int, window_s: int) -> bool:
    try:
        return (cache.get(_key(bucket, ident, window_s)) or 0) >= limit
    except Exception as exc:  # noqa: BLE001 - the cache backend's own errors (redis, memcached) vary
        log.warning("rate limiter store unreachable, letting %s/%s through: %s", bucket, ident, exc)
        return False


def hit(bucket: str, ident: str, *, window_s: int) -> int:
    key = _key(bucket, ident, window_s)
    try:
        if cache.add(key, 1, timeout=window_s + 5):
            return 1
        try:
            return cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.add(key, 1, timeout=window_s + 5)
            return 1
    except Exception as exc:  # noqa: BLE001 - see is_limited
        log.warning("rate limiter store unreachable, not counting %s/%s: %s", bucket, ident, exc)
        return 0

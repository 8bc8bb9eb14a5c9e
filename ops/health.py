"""Health checks: each answers whether one dependency works right now.

The database is required (nothing works without it); the cache and the broker are not: without them exams
go on (the rate limiter lets requests through, runs wait in the database to be published), so their
failure makes the site "degraded", which a load balancer should not act on but an operator must see.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.core.cache import cache
from django.db import connection


@dataclass(frozen=True)
class Check:
    ok: bool
    detail: str = ""


@dataclass(frozen=True)
class Health:
    checks: dict[str, Check] = field(default_factory=dict)
    required: tuple[str, ...] = ("database",)

    @property
    def status(self) -> str:
        if not all(self.checks[name].ok for name in self.required if name in self.checks):
            return "down"
        return "ok" if all(c.ok for c in self.checks.values()) else "degraded"


def database_check() -> Check:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception as exc:  # noqa: BLE001 - the driver's errors: the answer is "not ok", with why
        return Check(False, f"{type(exc).__name__}: {exc}"[:300])
    return Check(True, connection.vendor)


def cache_check() -> Check:
    try:
        cache.set("healthz", "1", timeout=10)
        ok = cache.get("healthz") == "1"
    except Exception as exc:  # noqa: BLE001
        return Check(False, f"{type(exc).__name__}: {exc}"[:300])
    return Check(ok, cache.__class__.__name__)


def broker_check() -> Check:
    from celery import current_app

    try:
        with current_app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, interval_start=0, interval_step=0.2, timeout=3)
    except Exception as exc:  # noqa: BLE001
        return Check(False, f"{type(exc).__name__}: {exc}"[:300])
    return Check(True, current_app.conf.broker_url.split("://", 1)[0])


def health_get() -> Health:
    return Health(checks={"database": database_check(), "cache": cache_check(), "broker": broker_check()})

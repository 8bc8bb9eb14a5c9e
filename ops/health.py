"""Health checks: each answers whether one dependency works right now."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import connection


@dataclass(frozen=True)
class DatabaseHealth:
    vendor: str


def database_check() -> DatabaseHealth:
    """A round trip to the database; raises the driver's error when it is down (the caller answers 500)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return DatabaseHealth(vendor=connection.vendor)

"""Telling a passing outage (a database, broker or cache that is down) from a bug, for the error pages."""

from __future__ import annotations

from django.db import DatabaseError, DataError, IntegrityError, ProgrammingError


def is_infrastructure_error(exc: BaseException | None) -> bool:
    """True when the exception (or one it was raised from) is a lost connection to PostgreSQL, Redis or the broker:
    worth a 503 and a retry. Data and programming errors are bugs: a 500."""
    from kombu.exceptions import OperationalError as BrokerError
    from redis.exceptions import ConnectionError as RedisConnectionError
    from redis.exceptions import TimeoutError as RedisTimeoutError

    for _ in range(10):
        if exc is None:
            return False
        if isinstance(exc, DataError | IntegrityError | ProgrammingError):
            return False
        if isinstance(exc, DatabaseError | BrokerError | RedisConnectionError | RedisTimeoutError | ConnectionError):
            return True
        exc = exc.__cause__ or exc.__context__
    return False

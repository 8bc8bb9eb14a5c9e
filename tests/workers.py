"""Start real Celery worker processes against the test database and a real Redis broker."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def redis_available(url: str = REDIS_URL) -> tuple[bool, str]:
    import redis

    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
        return True, ""
    except Exception as exc:
        return False, f"{url}: {exc}"


def database_url_for_tests() -> str:
    from django.db import connection

    s = connection.settings_dict
    if s["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{s['NAME']}"
    auth = s["USER"] + (f":{s['PASSWORD']}" if s.get("PASSWORD") else "")
    return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


def start_worker(log: Path, *, queues: str = "default", env: dict[str, str] | None = None,
                 pool: str = "solo", concurrency: int = 1, beat: bool = False,
                 name: str | None = None) -> subprocess.Popen:
    """A worker in its own process group (so a test can kill it whole); `beat` embeds the scheduler (-B)."""
    base = {k: v for k, v in os.environ.items() if not k.startswith("CELERY_")}
    base.update({"DJANGO_SETTINGS_MODULE": "webapp.settings_test", **(env or {})})
    extra = ["-B", "-s", str(log.with_suffix(".beat"))] if beat else []
    extra += ["-n", name] if name else []
    return subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "webapp", "worker", "-Q", queues, "--pool", pool,
         "--concurrency", str(concurrency), "--without-gossip", "--without-mingle", "-l", "INFO", *extra],
        cwd=ROOT, env=base, stdout=log.open("a"), stderr=subprocess.STDOUT, start_new_session=True,
    )


def stop_worker(proc: subprocess.Popen, sig: int = signal.SIGTERM) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, sig)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)


@contextmanager
def use_broker(url: str):
    """Point this process's Celery app at `url` for the duration (on_commit sends go there)."""
    from webapp.celery import app

    old = app.conf.broker_url
    app.conf.broker_url = url
    _drop_pools(app)
    try:
        yield app
    finally:
        app.conf.broker_url = old
        _drop_pools(app)


def _drop_pools(app) -> None:
    # Both caches hold connections to the previous broker: the connection pool and the producer
    # pool built on it (an earlier test that queued a task on the default broker filled them).
    app._pool = None
    if "amqp" in app.__dict__:
        app.__dict__["amqp"]._producer_pool = None


def wait_for(predicate, timeout: float, interval: float = 0.25):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    return None

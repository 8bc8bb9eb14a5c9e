"""Shared fixtures. Real services are required under CI=true: a missing one fails, never skips."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from django.conf import settings

from tests import minimal_content

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
ARTIFACTS = Path(os.environ.get("TEST_ARTIFACTS_DIR", Path(__file__).resolve().parent.parent / "artifacts"))


@pytest.fixture(autouse=True)
def _empty_cache():
    """Each test starts with an empty cache: the report caches key on counts and versions that a fresh test
    database repeats (the same ids, the same counts) with other data behind them."""
    from django.core.cache import cache

    cache.clear()
    yield


def pytest_addoption(parser):
    parser.addoption("--full", action="store_true",
                     help="also run the tests marked slow (over ~10 s each); CI=true implies it")


def pytest_collection_modifyitems(config, items):
    """The everyday run leaves slow tests out, and says so (pytest_unconfigure); --full and CI run all.

    Only a whole-suite run does: naming a file or a test runs it, slow or not.
    """
    whole_suite = config.args_source == pytest.Config.ArgsSource.TESTPATHS
    if config.getoption("--full") or IN_CI or not whole_suite or config.getoption("-m"):
        return
    slow = [item for item in items if item.get_closest_marker("slow")]
    if slow:
        config.hook.pytest_deselected(items=slow)
        items[:] = [item for item in items if not item.get_closest_marker("slow")]
        config.stash[_SLOW_LEFT_OUT] = len(slow)


def pytest_unconfigure(config):
    left_out = config.stash.get(_SLOW_LEFT_OUT, 0)
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    if left_out and reporter is not None:
        reporter.write_line(f"{left_out} slow test(s) left out (over ~10 s each): `./dev test --full` runs every "
                            "test, as CI does.", yellow=True, bold=True)


_SLOW_LEFT_OUT = pytest.StashKey[int]()


def require_service(name: str, available: bool, why: str) -> None:
    """Skip locally when a real service is missing; fail under CI, where .ci/run must provide it."""
    if available:
        return
    message = f"{name} is required but not available: {why}"
    if IN_CI:
        pytest.fail(message + " (CI=true: .ci/run must start it)", pytrace=False)
    pytest.skip(message)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now, for a server a test starts."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def content_root(tmp_path: Path) -> Path:
    """A small, valid content tree (exercises/ + rubrics/) that tests may break on purpose."""
    minimal_content.write(tmp_path)
    return tmp_path


@pytest.fixture
def real_content_copy(tmp_path: Path) -> Path:
    """A copy of the shipped content, for tests that change files and re-sync."""
    for name, src in (("exercises", settings.CONTENT_EXERCISES_DIR), ("rubrics", settings.CONTENT_RUBRICS_DIR)):
        shutil.copytree(src, tmp_path / name, ignore=shutil.ignore_patterns("__pycache__", ".pytest_cache"))
    return tmp_path


@pytest.fixture
def synced_content(db):
    """The shipped track, loaded through the real sync service."""
    from assessments.services import content_sync

    bundle, _ = content_sync()
    return bundle


@pytest.fixture
def artifacts_dir() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


@pytest.fixture
def grading_worker(tmp_path, synced_content):
    """A real Celery worker on the grading queues (hidden and visible) over Redis, against the test database."""
    from tests.workers import REDIS_URL, database_url_for_tests, redis_available, start_worker, stop_worker, use_broker

    ok, why = redis_available()
    require_service("Redis", ok, why)
    log = tmp_path / "worker.log"
    proc = start_worker(log, queues="grading-cpu,grading-visible", pool="prefork", concurrency=2,
                        env={"CELERY_BROKER_URL": REDIS_URL, "DATABASE_URL": database_url_for_tests()})
    with use_broker(REDIS_URL):
        yield proc, log
    stop_worker(proc)

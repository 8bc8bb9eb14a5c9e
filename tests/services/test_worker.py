"""A real Celery worker process round-trips a task: over Redis (production) and the embedded broker."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import pytest
from celery import Celery

from tests.conftest import require_service
from tests.workers import REDIS_URL, redis_available, start_worker, stop_worker


def _round_trip(client: Celery, proc: subprocess.Popen, log: Path) -> dict:
    result = client.send_task("webapp.ping", args=["hello"], queue="default")
    try:
        return result.get(timeout=60)
    except Exception:
        pytest.fail(f"worker (exit={proc.poll()}) did not answer; log:\n{log.read_text()[-4000:]}")


def test_task_round_trip_through_redis_and_a_real_worker(tmp_path):
    ok, why = redis_available()
    require_service("Redis", ok, why)
    proc = start_worker(tmp_path / "w.log", env={"CELERY_BROKER_URL": REDIS_URL, "CELERY_RESULT_BACKEND": REDIS_URL})
    client = Celery(broker=REDIS_URL, backend=REDIS_URL)
    try:
        reply = _round_trip(client, proc, tmp_path / "w.log")
    finally:
        stop_worker(proc)
        client.close()
    assert reply["value"] == "hello"
    assert reply["pid"] == proc.pid  # answered by the worker process, not in this one


def test_embedded_filesystem_broker_runs_a_real_worker(tmp_path):
    var = tmp_path / "var"
    results = tmp_path / "results"
    results.mkdir()
    proc = start_worker(tmp_path / "w.log", env={"INTERVIEW_TRACK_VAR_DIR": str(var),
                                                 "CELERY_RESULT_BACKEND": f"file://{results}"})
    queue = var / "broker" / "queue"
    for _ in range(50):  # the worker's settings create the broker folders
        if queue.is_dir():
            break
        time.sleep(0.1)
    client = Celery(broker="filesystem://localhost/", backend=f"file://{results}")
    client.conf.broker_transport_options = {"data_folder_in": str(queue), "data_folder_out": str(queue),
                                            "processed_folder": str(var / "broker" / "processed")}
    try:
        reply = _round_trip(client, proc, tmp_path / "w.log")
    finally:
        stop_worker(proc)
        client.close()
    assert reply["value"] == "hello" and reply["pid"] == proc.pid

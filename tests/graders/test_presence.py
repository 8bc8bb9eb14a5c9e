"""Worker presence (graders.presence): the heartbeat row, the sandbox probe, and periodic tasks' last finishes."""

from __future__ import annotations

import threading
import time
from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.db import OperationalError
from django.utils import timezone

from graders import presence
from graders.backends import get_backend
from graders.models import PeriodicRun, WorkerPresence
from sandboxes.base import SandboxUnavailable
from tests.conftest import require_service

LOCAL = presence.SandboxProbe("local", True, "local (not isolated)", "")


@pytest.fixture
def local_sandbox(settings):
    settings.SANDBOX_BACKEND = "local"
    get_backend.cache_clear()
    yield
    get_backend.cache_clear()


def test_a_beat_writes_the_row_and_the_next_updates_it(db):
    started = timezone.now() - timedelta(minutes=5)
    first = presence.worker_presence_beat(hostname="w1@host", queues=["grading-cpu", "default"], started_at=started,
                                          probe=LOCAL, now=started + timedelta(seconds=1))
    assert first.queue_list == ["default", "grading-cpu"] and first.sandbox_ok and first.sandbox_backend == "local"
    missing = presence.SandboxProbe("docker", False, "image sandbox:cpu-1 missing", "sandbox:cpu-1")
    later = timezone.now()
    presence.worker_presence_beat(hostname="w1@host", queues=["grading-cpu"], started_at=started, probe=missing,
                                  now=later)
    (row,) = WorkerPresence.objects.all()
    assert row.last_seen == later and row.started_at == started and row.queues == "grading-cpu"
    assert not row.sandbox_ok and row.sandbox_detail == "image sandbox:cpu-1 missing"
    assert row.sandbox_image == "sandbox:cpu-1"


def test_workers_seen_leaves_out_the_silent(db):
    now = timezone.now()
    presence.worker_presence_beat(hostname="fresh", queues=["default"], started_at=now, probe=LOCAL, now=now)
    presence.worker_presence_beat(hostname="gone", queues=["default"], started_at=now, probe=LOCAL,
                                  now=now - timedelta(seconds=60))
    assert [w.hostname for w in presence.workers_seen(within_s=45, now=now)] == ["fresh"]
    assert [w.hostname for w in presence.workers_seen(within_s=120, now=now)] == ["fresh", "gone"]


def test_a_beat_survives_the_database_being_away(db, monkeypatch, caplog, local_sandbox):
    def refused(*args, **kwargs):
        raise OperationalError("connection to server at 127.0.0.1 failed: Connection refused")

    monkeypatch.setattr(WorkerPresence.objects, "update_or_create", refused)
    assert presence.worker_presence_beat_safely(hostname="w", queues=["default"], started_at=timezone.now()) is False
    assert "worker presence not recorded" in caplog.text and "Connection refused" in caplog.text
    monkeypatch.undo()
    assert presence.worker_presence_beat_safely(hostname="w", queues=["default"], started_at=timezone.now())
    assert WorkerPresence.objects.get(hostname="w").sandbox_detail == "local (not isolated)"


def test_the_heartbeat_thread_keeps_beating_through_a_database_error(transactional_db, monkeypatch, local_sandbox):
    real = presence.worker_presence_beat
    calls = {"n": 0}

    def flaky(**kwargs):
        calls["n"] += 1
        if calls["n"] == 1:
            raise OperationalError("the database restarted")
        return real(**kwargs)

    monkeypatch.setattr(presence, "worker_presence_beat", flaky)
    thread = presence.worker_presence_start(hostname="beating@host", queues=["grading-visible"], every_s=0.05)
    try:
        deadline = time.monotonic() + 10
        while not WorkerPresence.objects.filter(hostname="beating@host").exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert WorkerPresence.objects.filter(hostname="beating@host").exists() and thread.is_alive()
        first = WorkerPresence.objects.get(hostname="beating@host").last_seen
        while WorkerPresence.objects.get(hostname="beating@host").last_seen == first and time.monotonic() < deadline:
            time.sleep(0.05)
        assert WorkerPresence.objects.get(hostname="beating@host").last_seen > first
        assert presence.worker_presence_start(hostname="other", queues=[]) is thread  # one per process
    finally:
        presence.worker_presence_stop()
        thread.join(5)
    assert not thread.is_alive()


def test_worker_ready_starts_the_heartbeat_with_the_consumed_queues(transactional_db, local_sandbox):
    from celery.signals import worker_ready

    from webapp.celery import app

    class Consumer:  # what Celery sends: the worker's consumer (hashable: signals cache by sender)
        hostname = "celery@ready-test"
        task_consumer = SimpleNamespace(queues=[SimpleNamespace(name="grading-cpu"), SimpleNamespace(name="default")])

    Consumer.app = app
    worker_ready.send(sender=Consumer())
    try:
        deadline = time.monotonic() + 10
        while not WorkerPresence.objects.filter(hostname="celery@ready-test").exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        row = WorkerPresence.objects.get(hostname="celery@ready-test")
        assert row.queue_list == ["default", "grading-cpu"] and row.sandbox_ok
    finally:
        presence.worker_presence_stop()
        thread = next((t for t in threading.enumerate() if t.name == "worker-presence"), None)
        if thread:
            thread.join(5)


def test_the_sandbox_probe(monkeypatch, local_sandbox):
    assert presence.sandbox_probe() == presence.SandboxProbe("local", True, "local (not isolated)",
                                                             presence.sandbox_probe().image)

    class Docker:
        name, image = "docker", "interview-track-sandbox:cpu-test"

        def __init__(self, error: Exception | None):
            self.error = error

        def sandbox_identity(self):
            if self.error:
                raise self.error
            return "docker:sha256:1:"

    def backend(error):
        monkeypatch.setattr("graders.backends.get_backend", lambda: Docker(error))

    backend(None)
    assert presence.sandbox_probe() == presence.SandboxProbe("docker", True, "image interview-track-sandbox:cpu-test "
                                                             "present", "interview-track-sandbox:cpu-test")
    backend(SandboxUnavailable("sandbox image missing: 404 Client Error: No such image"))
    probe = presence.sandbox_probe()
    assert not probe.ok and probe.detail == "image interview-track-sandbox:cpu-test missing"
    backend(SandboxUnavailable("docker engine did not answer: connection refused"))
    assert presence.sandbox_probe().detail == "docker engine did not answer: connection refused"

    def no_engine():
        raise ConnectionError("Error while fetching server API version")

    monkeypatch.setattr("graders.backends.get_backend", no_engine)
    probe = presence.sandbox_probe()
    assert not probe.ok and probe.detail.startswith("docker engine did not answer")


@pytest.mark.services
def test_the_sandbox_probe_against_a_real_engine(settings):
    from sandboxes.detect import docker_engine_available

    ok, why = docker_engine_available()
    require_service("Docker engine", ok, why)
    settings.SANDBOX_BACKEND = "docker"
    settings.SANDBOX_IMAGE = "interview-track-sandbox:no-such-tag-for-tests"
    get_backend.cache_clear()
    try:
        probe = presence.sandbox_probe()
    finally:
        get_backend.cache_clear()
    assert probe == presence.SandboxProbe("docker", False, "image interview-track-sandbox:no-such-tag-for-tests "
                                          "missing", "interview-track-sandbox:no-such-tag-for-tests")


@pytest.mark.services
def test_the_sandbox_probe_names_a_runtime_the_real_engine_does_not_know(settings):
    """SANDBOX_DOCKER_RUNTIME=runsc on an engine without gVisor: readiness says so, before any job fails on it."""
    import docker
    from graders.backends import default_image_tag
    from sandboxes.detect import docker_engine_available

    ok, why = docker_engine_available()
    require_service("Docker engine", ok, why)
    image = settings.SANDBOX_IMAGE or default_image_tag()
    try:
        docker.from_env(timeout=10).images.get(image)
    except docker.errors.ImageNotFound:
        require_service("sandbox image", False, f"{image} is not built (docker/sandbox/build.sh)")
    settings.SANDBOX_BACKEND = "docker"
    settings.SANDBOX_IMAGE = image
    settings.SANDBOX_DOCKER_RUNTIME = "runsc-not-installed"
    get_backend.cache_clear()
    try:
        probe = presence.sandbox_probe()
        settings.SANDBOX_DOCKER_RUNTIME = "runc"  # every engine has it
        get_backend.cache_clear()
        known = presence.sandbox_probe()
    finally:
        get_backend.cache_clear()
    assert not probe.ok
    assert probe.detail.startswith("runtime runsc-not-installed is not registered on the sandbox engine (it has: ")
    assert "runc" in probe.detail
    assert known.ok and known.detail == f"image {image} present, runtime runc"


def test_consumer_queues_falls_back_to_the_apps_selection():
    from webapp.celery import app

    consumer = SimpleNamespace(app=app, task_consumer=None)
    assert "default" in presence.consumer_queues(consumer)


# --- periodic tasks ----------------------------------------------------------------------------


def test_a_periodic_task_records_its_finish_as_the_beat_sends_it(db):
    from assessments.tasks import refresh_summaries
    from graders.tasks import reconcile_runs

    before = timezone.now()
    reconcile_runs.apply()
    row = PeriodicRun.objects.get(name="graders.reconcile_runs")
    assert row.last_outcome == "success" and row.last_finished >= before
    # The same task called for one attempt is not the sweep: nothing recorded.
    refresh_summaries.apply(args=[[123456]])
    assert not PeriodicRun.objects.filter(name="assessments.refresh_summaries").exists()
    refresh_summaries.apply()
    assert PeriodicRun.objects.filter(name="assessments.refresh_summaries").exists()


def test_a_failed_periodic_task_is_recorded_with_its_exception(db):
    task = SimpleNamespace(name="graders.reconcile_runs")
    presence.on_task_postrun(task=task, args=(), kwargs={}, state="FAILURE", retval=OperationalError("down"))
    assert PeriodicRun.objects.get(name="graders.reconcile_runs").last_outcome == "failure: OperationalError"
    presence.on_task_postrun(task=SimpleNamespace(name="graders.grade_run"), args=("x",), kwargs={}, state="SUCCESS")
    assert not PeriodicRun.objects.filter(name="graders.grade_run").exists()


def test_recording_a_finish_never_fails_the_task(db, monkeypatch, caplog):
    def refused(*args, **kwargs):
        raise OperationalError("down")

    monkeypatch.setattr(PeriodicRun.objects, "update_or_create", refused)
    presence.on_task_postrun(task=SimpleNamespace(name="graders.reconcile_runs"), args=(), kwargs={},
                             state="SUCCESS")
    assert "could not record the finish of graders.reconcile_runs" in caplog.text

"""/readyz: ready only with the database, the broker, a grading worker whose sandbox works, and content."""

from __future__ import annotations

import time
from datetime import timedelta

from django.db import OperationalError
from django.urls import reverse
from django.utils import timezone

from graders.presence import SandboxProbe, worker_presence_beat
from tests.workers import use_broker

OK_SANDBOX = SandboxProbe("docker", True, "image interview-track-sandbox:cpu-abc present",
                          "interview-track-sandbox:cpu-abc")


def _worker(hostname="grader-1@host", queues=("default", "grading-cpu", "grading-visible"), probe=OK_SANDBOX,
            seen_s_ago: float = 1):
    now = timezone.now() - timedelta(seconds=seen_s_ago)
    return worker_presence_beat(hostname=hostname, queues=list(queues), started_at=now, probe=probe, now=now)


def _ready(client):
    started = time.monotonic()
    response = client.get(reverse("readyz"))
    return response.status_code, response.json(), time.monotonic() - started


def test_ready_when_all_four_checks_pass(client, mini_track):
    _worker()
    status, body, _ = _ready(client)
    assert status == 200, body
    assert body["status"] == "ready" and body["failing"] == []
    assert set(body) == {"status", "failing", "database", "broker", "sandbox", "content"}
    for name in ("database", "broker", "sandbox", "content"):
        assert body[name]["ok"] is True and body[name]["required"] is True, name
    assert body["sandbox"]["detail"] == "worker grader-1@host: image interview-track-sandbox:cpu-abc present"
    assert body["content"]["detail"] == "1 track(s), 2 question(s)"


def test_not_ready_without_a_worker(client, mini_track):
    status, body, _ = _ready(client)
    assert status == 503 and body["status"] == "not ready" and body["failing"] == ["sandbox"]
    assert body["sandbox"] == {"ok": False, "detail": "no worker seen in 45 s", "required": True}


def test_a_worker_silent_for_three_beats_is_not_seen(client, mini_track):
    _worker(seen_s_ago=60)
    status, body, _ = _ready(client)
    assert status == 503 and body["failing"] == ["sandbox"] and body["sandbox"]["detail"] == "no worker seen in 45 s"


def test_not_ready_when_the_workers_sandbox_image_is_missing(client, mini_track):
    _worker(probe=SandboxProbe("docker", False, "image interview-track-sandbox:cpu-abc missing",
                               "interview-track-sandbox:cpu-abc"))
    status, body, _ = _ready(client)
    assert status == 503 and body["failing"] == ["sandbox"]
    assert body["sandbox"]["detail"] == "worker grader-1@host: image interview-track-sandbox:cpu-abc missing"


def test_a_worker_on_the_default_queue_alone_cannot_grade(client, mini_track):
    _worker(hostname="beat-only@host", queues=("default",))
    status, body, _ = _ready(client)
    assert status == 503 and body["failing"] == ["sandbox"]
    assert "no worker consuming a grading queue" in body["sandbox"]["detail"] and "beat-only@host" in \
        body["sandbox"]["detail"]


def test_one_able_worker_is_enough(client, mini_track):
    _worker(hostname="broken@host", probe=SandboxProbe("docker", False, "image x missing", "x"))
    _worker(hostname="good@host", probe=SandboxProbe("local", True, "local (not isolated)", ""))
    status, body, _ = _ready(client)
    assert status == 200 and body["sandbox"]["detail"] == "worker good@host: local (not isolated)"


def test_not_ready_with_the_broker_down_and_quick_about_it(client, mini_track):
    _worker()
    with use_broker("redis://127.0.0.1:1/0"):
        status, body, took = _ready(client)
    assert status == 503 and body["failing"] == ["broker"] and not body["broker"]["ok"]
    assert body["broker"]["detail"]  # why, in the driver's words
    assert took < 5, f"/readyz took {took:.1f} s with the broker down"


def test_not_ready_without_content(client, db):
    _worker()
    status, body, _ = _ready(client)
    assert status == 503 and body["failing"] == ["content"]
    assert body["content"]["detail"] == "no track loaded: run `manage.py sync_content`"


def test_not_ready_without_the_database(client, db, monkeypatch):
    from ops import health

    def refused(*args, **kwargs):
        raise OperationalError("connection refused")

    with monkeypatch.context() as patched:  # undone before the test database's teardown, which needs a cursor
        patched.setattr(health.connection, "cursor", refused)
        status, body, _ = _ready(client)
    assert status == 503 and body["failing"] == ["database", "sandbox", "content"]
    assert "connection refused" in body["database"]["detail"]
    assert body["content"]["detail"] == "database unavailable"


def test_not_ready_is_one_warning_not_a_server_error(client, mini_track, caplog):
    status, _, _ = _ready(client)
    assert status == 503
    errors = [r for r in caplog.records if r.levelname == "ERROR"]
    assert not errors, "a 503 from /readyz must not be logged (and mailed) as a server error"
    assert "not ready: sandbox (no worker seen in 45 s)" in caplog.text


def test_a_web_only_deployment_makes_the_sandbox_check_informational(client, mini_track, settings):
    settings.READYZ_REQUIRE_WORKERS = False
    status, body, _ = _ready(client)
    assert status == 200 and body["status"] == "ready" and body["failing"] == []
    assert body["sandbox"] == {"ok": False, "detail": "no worker seen in 45 s", "required": False}
    # Informational does not mean ignored: the other checks still fail it.
    with use_broker("redis://127.0.0.1:1/0"):
        status, body, _ = _ready(client)
    assert status == 503 and body["failing"] == ["broker"]

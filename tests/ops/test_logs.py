"""Structured logs (ops/logs.py): the JSON line, the request id, the task context, and what a line never holds."""

from __future__ import annotations

import io
import json
import logging
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils.module_loading import import_string

from assessments import services
from ops import logs

ROOT = Path(__file__).resolve().parents[2]


class Captured:
    def __init__(self, stream: io.StringIO):
        self.stream = stream

    @property
    def text(self) -> str:
        return self.stream.getvalue()

    @property
    def lines(self) -> list[dict]:
        return [json.loads(line) for line in self.text.splitlines() if line.strip()]

    def access(self) -> list[dict]:
        return [line for line in self.lines if line["logger"] == "interview_track.request"]


def _capture(fmt: str) -> Iterator[Captured]:
    """A handler built as settings.LOGGING builds the console's under LOG_FORMAT=`fmt`, on the root logger at
    DEBUG: every line any part of the app writes, in that format."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(import_string(settings.LOGGING["formatters"][fmt]["()"])())
    handler.addFilter(import_string(settings.LOGGING["filters"]["context"]["()"])())
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        yield Captured(stream)
    finally:
        root.removeHandler(handler)
        root.setLevel(level)


@pytest.fixture
def json_logs() -> Iterator[Captured]:
    yield from _capture("json")


@pytest.fixture
def plain_logs() -> Iterator[Captured]:
    yield from _capture("plain")


def test_log_format_json_selects_the_json_formatter():
    code = ("import django, logging; django.setup(); from django.conf import settings; "
            "print(settings.LOGGING['handlers']['console']['formatter']); "
            "logging.getLogger('probe').warning('hello %s', 'there')")
    env = {**os.environ, "LOG_FORMAT": "json", "DJANGO_SETTINGS_MODULE": "webapp.settings_test"}
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "json"
    line = json.loads(out.stderr.strip().splitlines()[-1])
    assert line["level"] == "WARNING" and line["logger"] == "probe" and line["message"] == "hello there"
    assert line["time"].endswith("Z") and "T" in line["time"]

    bad = subprocess.run([sys.executable, "-c", "import django; django.setup()"], cwd=ROOT, timeout=60,
                         env={**env, "LOG_FORMAT": "xml"}, capture_output=True, text=True)
    assert bad.returncode != 0 and "LOG_FORMAT must be plain or json" in bad.stderr


def test_a_json_line_per_request_with_the_callers_request_id_echoed(client, db, json_logs):
    response = client.get(reverse("login"), HTTP_X_REQUEST_ID="lb-7f3a.42_x")
    assert response["X-Request-ID"] == "lb-7f3a.42_x"
    (line,) = json_logs.access()
    assert line["level"] == "INFO" and line["request_id"] == "lb-7f3a.42_x"
    assert line["method"] == "GET" and line["url_name"] == "login" and line["route"] == "/login/"
    assert line["status"] == 200 and isinstance(line["duration_ms"], float)
    assert set(line) >= {"time", "level", "logger", "message"}


@pytest.mark.parametrize("header", [None, "", "has space", "semi;colon", "x" * 65, "ünïcode", "a\nb"])
def test_a_request_id_is_generated_when_absent_or_malformed(client, db, json_logs, header):
    extra = {} if header is None else {"HTTP_X_REQUEST_ID": header}
    response = client.get(reverse("login"), **extra)
    generated = response["X-Request-ID"]
    assert generated != header and len(generated) == 32 and int(generated, 16) >= 0
    (line,) = json_logs.access()
    assert line["request_id"] == generated


def test_probes_and_static_files_write_no_access_line(client, db, json_logs):
    assert client.get("/healthz")["X-Request-ID"]
    client.get("/readyz")
    client.get("/static/css/app.css")
    assert json_logs.access() == []


def test_lines_written_during_a_request_carry_its_id_and_the_attempt_the_url_names(client, db, json_logs):
    response = client.get(reverse("report-attempt", args=[4242]), HTTP_X_REQUEST_ID="req-1")
    assert response.status_code == 302  # to the sign-in page; the context was set before the view ran
    (line,) = json_logs.access()
    assert line["attempt_id"] == 4242 and line["request_id"] == "req-1"
    assert line["route"] == "/reports/attempts/<int:attempt_id>/"
    assert logs.log_context() == {}  # nothing leaks into whatever this thread does next


def test_a_celery_tasks_lines_carry_its_run_id(db, json_logs):
    from graders.tasks import grade_run

    run_id = str(uuid.uuid4())
    result = grade_run.apply(args=[run_id])  # eagerly, through Celery's tracer and its prerun/postrun signals
    assert result.get() == "missing"
    (line,) = [x for x in json_logs.lines if "does not exist" in x["message"]]
    assert line["run_id"] == run_id and line["task"] == "graders.grade_run" and line["task_id"] == result.id
    assert logs.log_context() == {}


def test_task_context_from_keyword_ids_and_in_plain_lines(plain_logs):
    class FakeTask:
        name = "assessments.example"

        def run(self, attempt_id: int, run_id: str | None = None) -> None: ...

    logs.task_context_start(task_id="t-1", task=FakeTask(), args=(), kwargs={"attempt_id": 17})
    logging.getLogger("assessments.example").info("working")
    logs.task_context_end(task_id="t-1")
    logs.task_context_start(task_id="t-2", task=FakeTask(), args=(18, "r-9"), kwargs={})
    logging.getLogger("assessments.example").info("positional")
    logs.task_context_end(task_id="t-2")
    logging.getLogger("assessments.example").info("after")
    first, second, after = plain_logs.text.splitlines()
    assert first.endswith("working attempt_id=17 task=assessments.example task_id=t-1")
    assert second.endswith("positional attempt_id=18 run_id=r-9 task=assessments.example task_id=t-2")
    assert after.endswith(" after")


def test_the_formatter_drops_extras_that_may_hold_personal_data(json_logs):
    logging.getLogger("probe").warning(
        "saved", extra={"email": "kim@example.com", "answer_text": "ZZANSWER", "invite_token": "tok123",
                        "full_name": "Kim K", "obj": object(), "status": 409,
                        "nested": {"count": 2, "candidate_email": "kim@example.com"}})
    (line,) = json_logs.lines
    assert line["status"] == 409 and line["nested"] == {"count": 2}
    assert set(line["dropped"]) == {"email", "answer_text", "invite_token", "full_name", "obj"}
    assert "kim@example.com" not in json_logs.text and "ZZANSWER" not in json_logs.text
    assert "tok123" not in json_logs.text and "Kim K" not in json_logs.text


def test_an_exam_autosave_logs_no_answer_name_email_or_token(client, mini_track, json_logs):
    from assessments.models import Attempt, Track

    answer = "Distinctive answer QQ-PRIVACY-5521 about CTC alignments"
    name, email = "Xanthe Privacyson", "xanthe.privacyson@example.org"
    track = Track.objects.get(slug="mini", is_current=True)
    invitation = services.invitation_create(candidate=services.candidate_create(full_name=name, email=email),
                                            track=track)
    token = invitation.token
    assert client.post(reverse("exam-start", args=[token]), {"consent": "on"}).status_code == 302
    url = reverse("exam-answer", args=[token, "explain-ctc"])
    saved = client.post(url, {"body": answer, "base_revision": 0}, HTTP_ACCEPT="application/json")
    assert saved.status_code == 200 and saved.json()["revision"] == 1
    # A stale save: Django logs every 4xx by its path ("Conflict: /exam/<token>/..."): masked here.
    stale = client.post(url, {"body": answer + " again", "base_revision": 0}, HTTP_ACCEPT="application/json")
    assert stale.status_code == 409
    client.post(url, {"body": answer, "base_revision": 1}, HTTP_ACCEPT="text/html")  # the no-JavaScript save

    text = json_logs.text
    # The exam's lines name the attempt by id (its URL names only the token, never logged).
    attempt_id = Attempt.objects.get(invitation=invitation).pk
    assert {line.get("attempt_id") for line in json_logs.access()
            if line["route"] == "/exam/<str:token>/answers/<slug:slug>/"} == {attempt_id}
    routes = [line["route"] for line in json_logs.access()]
    assert routes.count("/exam/<str:token>/answers/<slug:slug>/") == 3, routes  # the capture saw the saves
    assert any(line["logger"] == "django.request" and "/exam/<token>/" in line["message"]
               for line in json_logs.lines), text
    for secret in (answer, "QQ-PRIVACY-5521", name, email, token):
        assert secret not in text, f"{secret!r} was logged"

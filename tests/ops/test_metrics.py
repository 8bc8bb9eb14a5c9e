"""Prometheus metrics (ops/metrics.py): who may scrape /metrics, what moves each metric, and multiprocess mode
(gunicorn workers and Celery's prefork children adding up)."""

from __future__ import annotations

import os
import runpy
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.urls import reverse
from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families

from assessments import services
from assessments.models import Question
from graders import services as run_services
from graders.models import GradingRun, RunStatus
from graders.result import GradingResult, Outcome, Suite, TestResult, Verdict
from ops import metrics
from tests.conftest import free_port

ROOT = Path(__file__).resolve().parents[2]
JSON = {"HTTP_ACCEPT": "application/json"}


def value(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def samples(text: str) -> dict[tuple[str, tuple], float]:
    """The exposition as {(sample name, sorted labels): value}."""
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


@pytest.fixture
def started(client, mini_track):
    """A candidate who started the mini track through the exam pages."""
    candidate = services.candidate_create(full_name="Mona Metrics", email="mona@example.com")
    invitation = services.invitation_create(candidate=candidate, track=mini_track)
    assert client.post(reverse("exam-start", kwargs={"token": invitation.token}), {"consent": "on"}).status_code == 302
    return invitation


# --- who may scrape ------------------------------------------------------------------------------------------------


def test_metrics_from_loopback_lists_the_metrics(client, db):
    client.get(reverse("healthz"))
    resp = client.get("/metrics")
    assert resp.status_code == 200 and resp["Content-Type"].startswith("text/plain")
    text = resp.content.decode()
    for name in ("interview_track_http_request_duration_seconds", "interview_track_autosave_duration_seconds",
                 "interview_track_autosave_errors_total", "interview_track_queue_depth",
                 "interview_track_grading_runs", "interview_track_grading_runs_overdue",
                 "interview_track_grading_runs_finished_total", "interview_track_sandbox_start_seconds",
                 "interview_track_sandbox_run_seconds", "interview_track_webhook_delivery_failures_total"):
        assert f"# TYPE {name} " in text, name
    got = samples(text)
    assert got[("interview_track_metrics_source_up", (("source", "database"),))] == 1.0
    assert got[("interview_track_grading_runs", (("status", "queued"),))] == 0.0


def test_metrics_is_a_404_to_the_internet_unless_it_brings_the_token(client, db, settings):
    settings.METRICS_TOKEN = "scrape-secret-42"
    outside = {"REMOTE_ADDR": "203.0.113.9"}
    assert client.get("/metrics", **outside).status_code == 404
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong", **outside).status_code == 404
    resp = client.get("/metrics", HTTP_AUTHORIZATION="Bearer scrape-secret-42", **outside)
    assert resp.status_code == 200 and b"interview_track_grading_runs" in resp.content
    settings.METRICS_TOKEN = ""  # no token configured: no bearer lets anyone in
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer ", **outside).status_code == 404


def test_private_networks_may_scrape_but_not_through_a_proxy_nobody_named(client, db, settings):
    import ipaddress

    assert client.get("/metrics", REMOTE_ADDR="10.4.5.6").status_code == 200
    assert client.get("/metrics", REMOTE_ADDR="::ffff:192.168.1.20").status_code == 200
    # A proxy on the private network forwarding the internet: its address must not open the door.
    assert client.get("/metrics", REMOTE_ADDR="10.0.0.5", HTTP_X_FORWARDED_FOR="203.0.113.9").status_code == 404
    # Named in TRUSTED_PROXIES, it is believed: the client it reports decides.
    settings.TRUSTED_PROXY_NETWORKS = [ipaddress.ip_network("10.0.0.5/32")]
    assert client.get("/metrics", REMOTE_ADDR="10.0.0.5", HTTP_X_FORWARDED_FOR="203.0.113.9").status_code == 404
    assert client.get("/metrics", REMOTE_ADDR="10.0.0.5", HTTP_X_FORWARDED_FOR="10.9.9.9").status_code == 200
    settings.METRICS_ALLOWED_NETWORKS = []  # loopback only
    assert client.get("/metrics", REMOTE_ADDR="10.4.5.6").status_code == 404
    assert client.get("/metrics").status_code == 200


# --- recorded where it happens ---------------------------------------------------------------------------------------


def test_a_request_moves_the_latency_of_its_view_and_never_names_its_path(client, started):
    name = "interview_track_http_request_duration_seconds_count"
    before = value(name, view="healthz", method="GET", status="2xx")
    client.get(reverse("healthz"))
    client.get(reverse("healthz"))
    assert value(name, view="healthz", method="GET", status="2xx") == before + 2
    question_url = reverse("exam-question", kwargs={"token": started.token, "slug": "explain-ctc"})
    before = value(name, view="exam-question", method="GET", status="2xx")
    assert client.get(question_url).status_code == 200
    assert value(name, view="exam-question", method="GET", status="2xx") == before + 1
    before = value(name, view="unmatched", method="GET", status="4xx")
    client.get("/no/such/page/")
    assert value(name, view="unmatched", method="GET", status="4xx") == before + 1
    text = client.get("/metrics").content.decode()
    assert started.token not in text and "/exam/" not in text  # the token is a key to the candidate's exam


def test_autosaves_move_the_histogram_and_refusals_count_by_reason(client, started, settings):
    url = reverse("exam-answer", kwargs={"token": started.token, "slug": "explain-ctc"})
    saves, errors = "interview_track_autosave_duration_seconds_count", "interview_track_autosave_errors_total"
    before = {r: value(errors, reason=r) for r in metrics.AUTOSAVE_REASONS}
    count = value(saves)
    assert client.post(url, {"body": "one", "base_revision": 0}, **JSON).status_code == 200
    assert value(saves) == count + 1
    assert all(value(errors, reason=r) == n for r, n in before.items())  # a save is not an error
    assert client.post(url, {"body": "from another tab", "base_revision": 0}, **JSON).status_code == 409
    assert value(errors, reason="stale") == before["stale"] + 1
    settings.EXAM_MAX_ANSWER_CHARS = 3
    assert client.post(url, {"body": "too long", "base_revision": 1}, **JSON).status_code == 413
    assert value(errors, reason="invalid") == before["invalid"] + 1
    settings.EXAM_SAVES_PER_MINUTE = 1
    assert client.post(url, {"body": "x", "base_revision": 1}, **JSON).status_code == 429
    assert value(errors, reason="rate-limited") == before["rate-limited"] + 1
    assert value(saves) == count + 4
    assert value(errors, reason="late") == before["late"] and value(errors, reason="server-error") == before[
        "server-error"]


def test_an_autosave_that_fails_counts_as_a_server_error(client, started, monkeypatch):
    url = reverse("exam-answer", kwargs={"token": started.token, "slug": "explain-ctc"})
    before = value("interview_track_autosave_errors_total", reason="server-error")

    def broken(**kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(services, "response_save", broken)
    client.raise_request_exception = False
    assert client.post(url, {"body": "x", "base_revision": 0}, **JSON).status_code == 500
    assert value("interview_track_autosave_errors_total", reason="server-error") == before + 1


def test_autosave_reasons_follow_how_answer_save_answers():
    def response(status, content=b""):
        return SimpleNamespace(status_code=status, content=content)

    assert metrics.autosave_refusal(response(200)) is None
    assert metrics.autosave_refusal(response(302)) is None  # the Save button's redirect
    assert metrics.autosave_refusal(response(409, b'{"code": "stale_revision"}')) == "stale"
    assert metrics.autosave_refusal(response(409, b'{"code": "not_started"}')) == "invalid"
    assert metrics.autosave_refusal(response(403, b'{"code": "deadline_passed"}')) == "late"
    assert metrics.autosave_refusal(response(404)) == "invalid"
    assert metrics.autosave_refusal(response(502)) == "server-error"


# --- grading runs, sandboxes, webhooks --------------------------------------------------------------------------------


def _result(verdict: Verdict, sandbox: dict) -> GradingResult:
    outcome = Outcome.PASSED if verdict == Verdict.PASSED else Outcome.FAILED
    return GradingResult(suite=Suite.HIDDEN, verdict=verdict, score=1.0 if outcome == Outcome.PASSED else 0.0,
                         tests=(TestResult("test_add", outcome, ""),), sandbox=sandbox, host_seconds=1.0)


def _claimed_run(question, capture) -> tuple[GradingRun, int]:
    with capture(execute=False):  # nothing leaves for the broker
        run = run_services.grading_run_create(question=question, candidate_files={"solution.py": "x"}, suite="hidden")
    _, delivery = run_services.grading_run_claim(run_id=str(run.pk))
    return run, delivery


def test_a_finished_run_is_counted_with_its_verdict_once_it_commits(mini_track, django_capture_on_commit_callbacks):
    question = Question.objects.get(slug="add-two", is_current=True)
    finished = "interview_track_grading_runs_finished_total"
    labels = {"suite": "hidden", "status": "done", "verdict": "failed"}
    before, starts = value(finished, **labels), value("interview_track_sandbox_start_seconds_count", backend="docker")
    runs = value("interview_track_sandbox_run_seconds_sum", backend="docker")
    sandbox = {"backend": "docker", "timings": {"start_s": 0.8, "run_s": 4.5}, "wall_seconds": 4.5}
    run, delivery = _claimed_run(question, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=False):  # rolled back, say: nothing is counted
        assert run_services.grading_run_store_result(run_id=str(run.pk), delivery=delivery, backend="docker",
                                                     image="", result=_result(Verdict.FAILED, sandbox))
    assert value(finished, **labels) == before
    run, delivery = _claimed_run(question, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        run_services.grading_run_store_result(run_id=str(run.pk), delivery=delivery, backend="docker", image="",
                                              result=_result(Verdict.FAILED, sandbox))
        # A late second store of the same delivery writes nothing and counts nothing.
        run_services.grading_run_store_result(run_id=str(run.pk), delivery=delivery, backend="docker", image="",
                                              result=_result(Verdict.PASSED, sandbox))
    assert value(finished, **labels) == before + 1
    assert value("interview_track_sandbox_start_seconds_count", backend="docker") == starts + 1
    assert value("interview_track_sandbox_run_seconds_sum", backend="docker") == pytest.approx(runs + 4.5)
    errors = value(finished, suite="hidden", status="error", verdict="sandbox-error")
    run, delivery = _claimed_run(question, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        run_services.grading_run_fail(run_id=str(run.pk), delivery=delivery, error="sandbox unavailable")
    assert value(finished, suite="hidden", status="error", verdict="sandbox-error") == errors + 1


def test_the_grading_task_on_the_local_backend_records_the_sandbox_times(mini_track, settings, monkeypatch,
                                                                        django_capture_on_commit_callbacks):
    from graders import tasks

    settings.SANDBOX_BACKEND = "local"
    monkeypatch.setattr(tasks, "sandbox_containers_sweep_safely", lambda **kw: 0)
    monkeypatch.setattr(tasks, "sandbox_containers_sweep_now_and_then", lambda **kw: 0)
    question = Question.objects.get(slug="add-two", is_current=True)
    with django_capture_on_commit_callbacks(execute=False):
        run = run_services.grading_run_create(question=question, suite="visible",
                                              candidate_files={"solution.py": "def add(a, b):\n    return a + b\n"})
    starts = value("interview_track_sandbox_start_seconds_count", backend="local")
    finished = value("interview_track_grading_runs_finished_total", suite="visible", status="done", verdict="passed")
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.grade_run.apply(args=[str(run.pk)]).get() == "passed"
    assert value("interview_track_sandbox_start_seconds_count", backend="local") == starts + 1
    assert value("interview_track_sandbox_run_seconds_count", backend="local") >= 1
    assert value("interview_track_grading_runs_finished_total", suite="visible", status="done",
                 verdict="passed") == finished + 1


def test_scrape_time_gauges_count_runs_per_status_and_the_overdue(mini_track, settings,
                                                                  django_capture_on_commit_callbacks):
    from datetime import timedelta

    from django.utils import timezone

    question = Question.objects.get(slug="add-two", is_current=True)
    old, _ = _claimed_run(question, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=False):
        fresh = run_services.grading_run_create(question=question, candidate_files={"solution.py": "x"},
                                                suite="visible")
    GradingRun.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(
        seconds=settings.GRADING_OVERDUE_S + 60))
    got = samples(metrics.exposition(collectors=[metrics.GradingCollector()])[0].decode())
    assert got[("interview_track_grading_runs", (("status", "running"),))] == 1
    assert got[("interview_track_grading_runs", (("status", "queued"),))] == 1
    assert got[("interview_track_grading_runs_overdue", (("queue", "grading-cpu"),))] == 1
    assert got[("interview_track_grading_runs_overdue", (("queue", fresh.queue),))] == 0
    assert 0 <= got[("interview_track_grading_oldest_queued_age_seconds", (("queue", fresh.queue),))] < 60
    assert fresh.status == RunStatus.QUEUED


def test_a_failed_webhook_try_counts_by_reason(db):
    from django.utils import timezone

    from api import webhooks
    from api.models import WebhookAttempt, WebhookDelivery, WebhookEvent

    endpoint = webhooks.endpoint_create(url="http://127.0.0.1:9/hook", event_types=["attempt.submitted"],
                                        track_slugs=[])
    event = WebhookEvent.objects.create(type="attempt.submitted", subject="attempt:1", track_slug="mini", payload={})
    delivery = WebhookDelivery.objects.create(event=event, endpoint=endpoint, next_attempt_at=timezone.now())
    name = "interview_track_webhook_delivery_failures_total"
    before = {r: value(name, reason=r) for r in metrics.WEBHOOK_REASONS}
    assert webhooks.delivery_send(delivery_id=delivery.pk) == "retry"  # nothing listens on port 9
    assert value(name, reason="connection") == before["connection"] + 1
    WebhookAttempt.objects.create(delivery=delivery, at=timezone.now(), status_code=503, error="HTTP 503")
    WebhookAttempt.objects.create(delivery=delivery, at=timezone.now(), status_code=None, error="ReadTimeout: slow")
    WebhookAttempt.objects.create(delivery=delivery, at=timezone.now(), status_code=200, error="")
    assert value(name, reason="http-5xx") == before["http-5xx"] + 1
    assert value(name, reason="timeout") == before["timeout"] + 1
    assert sum(value(name, reason=r) for r in metrics.WEBHOOK_REASONS) == sum(before.values()) + 3


# --- the docs and the dashboard ---------------------------------------------------------------------------------------


def test_the_docs_and_the_dashboard_name_only_metrics_that_exist(db):
    import json
    import re

    text = metrics.exposition()[0].decode()
    families = {f.name for f in text_string_to_metric_families(text) if f.name.startswith("interview_track_")}
    sample_names = {f + suffix for f in families for suffix in ("", "_total", "_bucket", "_count", "_sum")}
    dashboard = json.loads((ROOT / "docs" / "grafana" / "interview-track.json").read_text())
    exprs = [t["expr"] for p in dashboard["panels"] for t in p.get("targets", [])]
    used = {n for e in exprs for n in re.findall(r"interview_track_[a-z_]+", e)}
    assert used and used <= sample_names, used - sample_names
    assert {f for f in families if any(n.startswith(f) for n in used)} == families, "a metric no panel shows"
    docs = (ROOT / "docs" / "observability.md").read_text()
    documented = set(re.findall(r"`(interview_track_[a-z_]+)`", docs))
    assert documented <= sample_names, documented - sample_names
    assert {f for f in families if f in documented or f + "_total" in documented} == families


# --- queue depth ------------------------------------------------------------------------------------------------------


def test_queue_depth_reports_a_number_per_queue_from_the_filesystem_broker(settings):
    from assessments.tasking import Queue

    assert settings.CELERY_BROKER_URL.startswith("filesystem://")
    got = samples(metrics.exposition(collectors=[metrics.QueueCollector()])[0].decode())
    for queue in Queue:
        assert got[("interview_track_queue_depth", (("queue", str(queue)),))] >= 0
    assert got[("interview_track_metrics_source_up", (("source", "broker"),))] == 1


def test_a_broker_that_cannot_say_leaves_the_queues_out_and_the_scrape_goes_on(client, db, monkeypatch):
    from graders import broker

    for answer in (lambda queues: None, lambda queues: dict.fromkeys(queues)):
        monkeypatch.setattr(broker, "queue_lengths", answer)
        resp = client.get("/metrics")
        assert resp.status_code == 200
        got = samples(resp.content.decode())
        assert not [k for k in got if k[0] == "interview_track_queue_depth"]
        assert got[("interview_track_metrics_source_up", (("source", "broker"),))] == 0

    def down(queues):
        raise ConnectionRefusedError(111, "Connection refused")

    got = samples(metrics.exposition(collectors=[metrics.QueueCollector(lengths=down)])[0].decode())
    assert got[("interview_track_metrics_source_up", (("source", "broker"),))] == 0


# --- multiprocess mode ------------------------------------------------------------------------------------------------

RECORD = """
import os, sys
from ops import metrics
for _ in range(int(sys.argv[1])):
    metrics.grading_run_record(suite="hidden", status="done", verdict="passed", seconds_to_result=3.0,
                               sandbox={"backend": "docker", "timings": {"start_s": 0.5, "run_s": 2.0}})
metrics.HTTP_IN_PROGRESS.inc()  # and exits without the dec: a worker killed mid-request
print(os.getpid())
"""


def _record_in_a_process(count: int, multiproc_dir: Path) -> int:
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(multiproc_dir),
           "DJANGO_SETTINGS_MODULE": "webapp.settings_test"}
    out = subprocess.run([sys.executable, "-c", RECORD, str(count)], cwd=ROOT, env=env, capture_output=True,
                         text=True, timeout=60, check=True)
    return int(out.stdout.strip().splitlines()[-1])


def test_two_processes_counters_add_up_in_the_exposition(tmp_path, monkeypatch, settings):
    pids = [_record_in_a_process(1, tmp_path), _record_in_a_process(2, tmp_path)]
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))
    got = samples(metrics.exposition(collectors=[])[0].decode())
    labels = (("status", "done"), ("suite", "hidden"), ("verdict", "passed"))
    assert got[("interview_track_grading_runs_finished_total", labels)] == 3
    assert got[("interview_track_sandbox_start_seconds_count", (("backend", "docker"),))] == 3
    assert got[("interview_track_http_requests_in_progress", ())] == 2
    # gunicorn's child_exit (webapp/gunicorn.conf.py) drops a dead worker's live gauge; its counters stay.
    conf = runpy.run_path(str(ROOT / "webapp" / "gunicorn.conf.py"))
    conf["child_exit"](None, SimpleNamespace(pid=pids[0]))
    got = samples(metrics.exposition(collectors=[])[0].decode())
    assert got[("interview_track_http_requests_in_progress", ())] == 1
    assert got[("interview_track_grading_runs_finished_total", labels)] == 3

    # A worker host serves the same, added up, on WORKER_METRICS_PORT.
    settings.WORKER_METRICS_PORT, settings.WORKER_METRICS_ADDR = 0, "127.0.0.1"
    server = metrics.worker_metrics_serve()
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{server.server_port}/metrics", timeout=10) as resp:
            served = samples(resp.read().decode())
    finally:
        server.shutdown()
        server.server_close()
    assert served[("interview_track_grading_runs_finished_total", labels)] == 3
    assert not [k for k in served if k[0] == "interview_track_queue_depth"]  # the web's /metrics says those


def test_worker_metrics_are_off_unless_a_port_is_set(settings):
    settings.WORKER_METRICS_PORT = None
    assert metrics.worker_metrics_serve() is None


def test_gunicorn_settings_come_from_the_environment(monkeypatch):
    path = str(ROOT / "webapp" / "gunicorn.conf.py")
    for name in ("GUNICORN_BIND", "WEB_CONCURRENCY", "PROMETHEUS_MULTIPROC_DIR", "GUNICORN_ACCESS_LOG"):
        monkeypatch.delenv(name, raising=False)
    conf = runpy.run_path(path)
    assert conf["bind"] == "0.0.0.0:8000" and 3 <= conf["workers"] <= 8
    assert (conf["keepalive"], conf["timeout"], conf["graceful_timeout"], conf["accesslog"]) == (75, 60, 30, None)
    conf["child_exit"](None, SimpleNamespace(pid=12345))  # no multiprocess folder: nothing to do, no error
    monkeypatch.setenv("GUNICORN_BIND", "127.0.0.1:9000")
    monkeypatch.setenv("WEB_CONCURRENCY", "3")
    conf = runpy.run_path(path)
    assert (conf["bind"], conf["workers"]) == ("127.0.0.1:9000", 3)


def test_gunicorn_workers_serve_metrics_added_up(tmp_path):
    """The real thing: gunicorn with webapp/gunicorn.conf.py, two workers, multiprocess mode."""
    gunicorn = Path(sys.executable).with_name("gunicorn")
    port = free_port()
    multiproc = tmp_path / "metrics"
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "webapp.settings_test", "INTERVIEW_TRACK_VAR_DIR": str(tmp_path),
           "PROMETHEUS_MULTIPROC_DIR": str(multiproc), "GUNICORN_BIND": f"127.0.0.1:{port}",
           "WEB_CONCURRENCY": "2", "GUNICORN_THREADS": "2"}
    env.pop("DATABASE_URL", None)
    proc = subprocess.Popen([str(gunicorn), "-c", "webapp/gunicorn.conf.py", "webapp.wsgi"], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(f"{base}/healthz", timeout=5).close()
                break
            except OSError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    pytest.fail("gunicorn did not start:\n" + (proc.stdout.read().decode() if proc.poll() else ""))
                time.sleep(0.2)
        for _ in range(19):
            urllib.request.urlopen(f"{base}/healthz", timeout=5).close()
        with urllib.request.urlopen(f"{base}/metrics", timeout=10) as resp:
            got = samples(resp.read().decode())
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)
    key = ("interview_track_http_request_duration_seconds_count",
           (("method", "GET"), ("status", "2xx"), ("view", "healthz")))
    assert got[key] == 20  # every request, whichever of the two workers answered it
    # The database here has no tables: that gauge is left out, and the scrape still answers.
    assert got[("interview_track_metrics_source_up", (("source", "database"),))] == 0


# --- a real prefork worker --------------------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_prefork_worker_serves_what_its_children_recorded(tmp_path, mini_track):
    from django.db import transaction

    from tests.conftest import require_service
    from tests.workers import (
        REDIS_URL,
        database_url_for_tests,
        redis_available,
        start_worker,
        stop_worker,
        use_broker,
        wait_for,
    )

    ok, why = redis_available()
    require_service("Redis", ok, why)
    port = free_port()
    log = tmp_path / "worker.log"
    (tmp_path / "metrics").mkdir()
    proc = start_worker(log, queues="grading-cpu,grading-visible", pool="prefork", concurrency=2, env={
        "CELERY_BROKER_URL": REDIS_URL, "DATABASE_URL": database_url_for_tests(), "SANDBOX_BACKEND": "local",
        "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "metrics"), "WORKER_METRICS_PORT": str(port),
        "WORKER_METRICS_ADDR": "127.0.0.1"})
    question = Question.objects.get(slug="add-two", is_current=True)
    try:
        with use_broker(REDIS_URL), transaction.atomic():
            run = run_services.grading_run_create(question=question, suite="visible",
                                                  candidate_files={"solution.py": "def add(a, b):\n    return a + b\n"})
        assert wait_for(lambda: GradingRun.objects.get(pk=run.pk).is_final, 120), log.read_text()[-3000:]

        def scrape():
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as resp:
                    return samples(resp.read().decode())
            except OSError:
                return None

        labels = (("status", "done"), ("suite", "visible"), ("verdict", "passed"))
        got = wait_for(lambda: (s := scrape()) and s.get(("interview_track_grading_runs_finished_total", labels))
                       and s, 30)
        assert got, log.read_text()[-3000:]
    finally:
        stop_worker(proc)
    assert got[("interview_track_grading_runs_finished_total", labels)] == 1
    assert got[("interview_track_sandbox_run_seconds_count", (("backend", "local"),))] == 1

"""The operations page: queue depths, workers, overdue gradings and periodic tasks, for admins only."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from assessments import services
from assessments.models import Question
from graders import services as run_services
from graders.models import GradingRun
from graders.presence import SandboxProbe, periodic_run_record, worker_presence_beat
from ops.selectors import duration_words, operations_overview
from tests.workers import use_broker

MISSING = SandboxProbe("docker", False, "image interview-track-sandbox:cpu-abc missing",
                       "interview-track-sandbox:cpu-abc")


@pytest.fixture
def late_run(mini_track, django_capture_on_commit_callbacks) -> GradingRun:
    """A hidden run of a submitted attempt, queued an hour ago and never graded."""
    candidate = services.candidate_create(full_name="Olga Ops", email="olga@example.com")
    invitation = services.invitation_create(candidate=candidate, track=mini_track)
    attempt = services.attempt_start(invitation=invitation)
    coding = Question.objects.get(slug="add-two", is_current=True)
    with django_capture_on_commit_callbacks(execute=False):
        run = run_services.grading_run_create(question=coding, attempt=attempt, suite="hidden",
                                              candidate_files={"solution.py": "def add(a, b): return a + b\n"})
    GradingRun.objects.filter(pk=run.pk).update(created_at=timezone.now() - timedelta(hours=1))
    return run


@pytest.fixture
def workers(db):
    now = timezone.now()
    worker_presence_beat(hostname="grader-1@host", queues=["grading-cpu", "grading-visible"], started_at=now,
                         probe=SandboxProbe("local", True, "local (not isolated)", ""), now=now)
    worker_presence_beat(hostname="grader-2@host", queues=["grading-gpu"], started_at=now, probe=MISSING,
                         now=now - timedelta(minutes=10))


def _admin(staff) -> Client:
    c = Client()
    c.force_login(staff["admin"])
    return c


def test_an_admin_sees_queues_workers_overdue_runs_and_sweeps(staff, late_run, workers):
    periodic_run_record(name="graders.reconcile_runs", outcome="success")
    periodic_run_record(name="assessments.attempts_close_due", outcome="failure: OperationalError",
                        now=timezone.now() - timedelta(hours=2))
    c = _admin(staff)
    home = c.get(reverse("home")).content.decode()
    assert f'href="{reverse("operations")}"' in home  # linked in the staff navigation

    page = c.get(reverse("operations"))
    assert page.status_code == 200
    html = page.content.decode()
    # Queues: the broker's depth (the embedded broker answers; what it holds is shared with other processes) and
    # the run recorded as queued on its queue.
    cpu = re.search(r'<tr data-queue="grading-cpu"><td><code>grading-cpu</code></td>\s*<td>(\d+)</td>\s*<td>(\d+)</td>'
                    r'<td>(\d+)</td>', html)
    assert cpu and cpu.group(2, 3) == ("1", "0"), html
    assert 'data-queue="grading-visible"' in html and 'data-queue="default"' in html
    # Workers: the live one, and the silent one marked stale with its sandbox's problem.
    assert 'data-worker="grader-1@host"' in html and "local (not isolated)" in html
    assert '<tr data-worker="grader-2@host" data-stale="1">' in html
    assert "image interview-track-sandbox:cpu-abc missing" in html
    # The overdue run, linked to its attempt's report.
    assert f'data-run="{late_run.pk}"' in html
    assert f'href="{reverse("report-attempt", args=[late_run.attempt_id])}"' in html
    assert "Olga Ops" not in html and "olga@example.com" not in html
    # Periodic tasks: the fresh one, the stale one with its failure, and those never recorded.
    assert '<tr data-task="graders.reconcile_runs">' in html
    assert '<tr data-task="assessments.attempts_close_due" data-stale="1">' in html
    assert "failure: OperationalError" in html and "never recorded" in html


def test_the_read_model(staff, late_run, workers):
    overview = operations_overview()
    cpu = next(q for q in overview.queues if q.name == "grading-cpu")
    assert isinstance(cpu.waiting, int) and (cpu.queued, cpu.running) == (1, 0)
    assert overview.queued_total == 1 and overview.running_total == 0
    assert [(w.hostname, w.stale) for w in overview.workers] == [("grader-1@host", False), ("grader-2@host", True)]
    (late,) = overview.overdue
    assert late.run_id == str(late_run.pk) and late.attempt_id == late_run.attempt_id and late.age_s >= 3600
    assert overview.overdue_total == 1
    reconcile = next(p for p in overview.periodic if p.task == "graders.reconcile_runs")
    assert reconcile.stale and reconcile.last_finished is None and reconcile.every_s == 30


def test_a_run_not_yet_overdue_is_not_listed(staff, late_run):
    GradingRun.objects.filter(pk=late_run.pk).update(created_at=timezone.now() - timedelta(seconds=60))
    assert operations_overview().overdue == []


def test_queue_depths_are_unknown_with_the_broker_down(staff, workers):
    with use_broker("redis://127.0.0.1:1/0"):
        html = _admin(staff).get(reverse("operations")).content.decode()
    assert re.search(r'<tr data-queue="grading-cpu"><td><code>grading-cpu</code></td>\s*<td><span class="error">unknown'
                     r'</span>', html)
    assert "The broker did not answer" in html


def test_htmx_refresh_gets_the_figures_alone(staff, workers):
    response = _admin(staff).get(reverse("operations"), HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert response.status_code == 200 and html.lstrip().startswith('<div id="ops-figures"')
    assert "<html" not in html and 'data-worker="grader-1@host"' in html


@pytest.mark.parametrize("who", ["interviewer", "manager"])
def test_other_staff_are_refused(staff, who):
    c = Client()
    c.force_login(staff[who])
    assert c.get(reverse("operations")).status_code == 403
    assert f'href="{reverse("operations")}"' not in c.get(reverse("home")).content.decode()


def test_anonymous_visitors_are_sent_to_sign_in(db):
    response = Client().get(reverse("operations"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_duration_words():
    assert [duration_words(s) for s in (None, 5, 119, 120, 7199, 7200, 172800)] == [
        "—", "5 s", "119 s", "2 min", "119 min", "2 h", "2 d"]

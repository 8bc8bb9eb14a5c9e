"""A grading run's life without a worker or a broker: create and queue after commit, claim and lease,
take-over after a dead worker, store exactly once, release and fail. Fast: the database only."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from assessments.models import AutomatedScore, Question
from assessments.services import attempt_start, attempt_submit, candidate_create, invitation_create, response_save
from assessments.tasking import Queue
from graders import services
from graders.grading import HOST_MARGIN_S
from graders.models import GradingRun, RunStatus
from graders.result import GradingResult, Outcome, Suite, TestResult, Verdict

pytestmark = pytest.mark.django_db


@pytest.fixture
def question(mini_track) -> Question:
    return Question.objects.get(slug="add-two", is_current=True)


@pytest.fixture
def attempt(mini_track):
    invitation = invitation_create(candidate=candidate_create(full_name="Ada L", email="ada@example.com"),
                                   track=mini_track)
    return attempt_start(invitation=invitation)


def _result(verdict=Verdict.PASSED, score=1.0, suite=Suite.HIDDEN) -> GradingResult:
    outcome = Outcome.PASSED if verdict == Verdict.PASSED else Outcome.FAILED
    return GradingResult(suite=suite, verdict=verdict, score=score,
                         tests=(TestResult("test_add", outcome, "assert 5 == 6"),), host_seconds=1.5,
                         timings={"total_s": 1.2})


def _create(question, django_capture_on_commit_callbacks, **kwargs) -> tuple[GradingRun, list]:
    with django_capture_on_commit_callbacks() as callbacks:
        run = services.grading_run_create(question=question, candidate_files={"solution.py": "x"},
                                          suite=kwargs.pop("suite", Suite.HIDDEN), **kwargs)
    return run, callbacks


def test_a_run_is_queued_only_once_its_transaction_commits(question, django_capture_on_commit_callbacks,
                                                           monkeypatch):
    sent = []
    from graders.tasks import grade_run

    monkeypatch.setattr(grade_run, "apply_async", lambda args, queue: sent.append((args, queue)))
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        run = services.grading_run_create(question=question, candidate_files={"solution.py": "x"}, suite="hidden")
    assert sent == [] and len(callbacks) == 1  # nothing leaves before the commit
    callbacks[0]()
    assert sent == [([str(run.pk)], "grading-cpu")]
    assert (run.status, run.queue, run.deliveries) == (RunStatus.QUEUED, Queue.GRADING_CPU, 0)


def test_gpu_labs_go_to_the_gpu_queue(question):
    question.coding = {**question.coding, "resources": {**question.coding["resources"], "gpu": True}}
    question.__dict__.pop("coding_config", None)
    assert services.queue_for(question) == Queue.GRADING_GPU


def test_claim_takes_a_lease_and_a_second_delivery_waits_for_it(question, django_capture_on_commit_callbacks):
    run, _ = _create(question, django_capture_on_commit_callbacks)
    now = timezone.now()
    claimed, delivery = services.grading_run_claim(run_id=str(run.pk), worker="w1", now=now)
    assert (claimed.status, delivery, claimed.worker) == (RunStatus.RUNNING, 1, "w1")
    lease = timedelta(seconds=20 + HOST_MARGIN_S + 60)  # wall + host margin + GRADING_LEASE_GRACE_S
    assert claimed.lease_expires_at == now + lease
    with pytest.raises(services.RunNotAvailable) as held:
        services.grading_run_claim(run_id=str(run.pk), worker="w2", now=now + timedelta(seconds=10))
    assert held.value.retry_in == pytest.approx((lease - timedelta(seconds=10)).total_seconds() + 1)


def test_a_dead_workers_run_is_taken_over_and_its_late_result_is_dropped(question,
                                                                          django_capture_on_commit_callbacks):
    run, _ = _create(question, django_capture_on_commit_callbacks)
    now = timezone.now()
    _, first = services.grading_run_claim(run_id=str(run.pk), worker="w1", now=now)
    later = now + timedelta(seconds=20 + HOST_MARGIN_S + 61)  # the lease ran out: w1 is presumed dead
    _, second = services.grading_run_claim(run_id=str(run.pk), worker="w2", now=later)
    assert (first, second) == (1, 2)
    # w1 was only slow: its result arrives after the take-over and must not be written.
    late = _result(Verdict.FAILED, 0.0)
    assert not services.grading_run_store_result(run_id=str(run.pk), delivery=first, result=late, backend="local",
                                                 image="")
    assert GradingRun.objects.get(pk=run.pk).status == RunStatus.RUNNING
    assert services.grading_run_store_result(run_id=str(run.pk), delivery=second, result=_result(), backend="local",
                                             image="")
    done = GradingRun.objects.get(pk=run.pk)
    assert (done.status, done.verdict, done.score, done.worker, done.deliveries) == (
        RunStatus.DONE, "passed", 1.0, "w2", 2)
    assert done.grading_result == _result() and done.timings == {"total_s": 1.2, "host_s": 1.5}
    assert done.finished_at and done.lease_expires_at is None
    # Storing again (a redelivery that raced) writes nothing, and a final run cannot be claimed.
    assert not services.grading_run_store_result(run_id=str(run.pk), delivery=second, result=_result(Verdict.FAILED),
                                                 backend="local", image="")
    with pytest.raises(services.RunNotAvailable) as final:
        services.grading_run_claim(run_id=str(run.pk), worker="w3")
    assert final.value.retry_in is None


def test_release_requeues_and_fail_is_a_sandbox_error(question, django_capture_on_commit_callbacks):
    run, _ = _create(question, django_capture_on_commit_callbacks)
    _, delivery = services.grading_run_claim(run_id=str(run.pk))
    assert services.grading_run_release(run_id=str(run.pk), delivery=delivery, error="engine down")
    queued = GradingRun.objects.get(pk=run.pk)
    assert (queued.status, queued.error, queued.finished_at) == (RunStatus.QUEUED, "engine down", None)
    _, delivery = services.grading_run_claim(run_id=str(run.pk))
    assert services.grading_run_fail(run_id=str(run.pk), delivery=delivery, error="x" * 5000)
    failed = GradingRun.objects.get(pk=run.pk)
    assert (failed.status, failed.verdict, len(failed.error)) == (RunStatus.ERROR, Verdict.SANDBOX_ERROR, 2000)


def test_hidden_result_of_a_submission_becomes_its_automated_score(attempt, question,
                                                                    django_capture_on_commit_callbacks):
    response_save(attempt=attempt, question=question, body="def add(a, b):\n    return a + b\n", base_revision=0)
    with django_capture_on_commit_callbacks(execute=True):
        attempt_submit(attempt=attempt)
    run = GradingRun.objects.get(attempt=attempt)
    assert (run.suite, run.submission.question, run.candidate_files) == (
        "hidden", question, {"solution.py": "def add(a, b):\n    return a + b\n"})
    _, delivery = services.grading_run_claim(run_id=str(run.pk))
    result = _result(Verdict.FAILED, 0.5)
    assert services.grading_run_store_result(run_id=str(run.pk), delivery=delivery, result=result, backend="local",
                                             image="")
    score = AutomatedScore.objects.get(submission=run.submission)
    assert (score.verdict, score.score, score.source) == ("failed", 0.5, f"grading-run:{run.pk}")
    # Interviewers get the summary: tests by name and outcome, no messages (hidden tests stay hidden).
    assert score.details["tests"] == [{"name": "test_add", "outcome": "failed"}]
    assert "assert 5 == 6" not in str(score.details)


def test_visible_runs_store_no_automated_score(attempt, question, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        run = services.visible_run_request(attempt=attempt, question=question, body="def add(a, b): return 0")
    _, delivery = services.grading_run_claim(run_id=str(run.pk))
    services.grading_run_store_result(run_id=str(run.pk), delivery=delivery, result=_result(suite=Suite.VISIBLE),
                                      backend="local", image="")
    assert not AutomatedScore.objects.exists()


def test_submit_commits_even_when_queueing_hidden_grading_fails(attempt, question, monkeypatch,
                                                                django_capture_on_commit_callbacks, caplog):
    """The submit's side effects run after its commit: a grading bug cannot undo a candidate's submit."""
    def broken(**kwargs):
        raise RuntimeError("grading bug")

    monkeypatch.setattr(services, "submission_runs_create", broken)
    with django_capture_on_commit_callbacks(execute=True):
        submissions = attempt_submit(attempt=attempt)
    attempt.refresh_from_db()
    assert attempt.status == "submitted" and len(submissions) == 2
    assert "grading bug" in caplog.text
    assert not GradingRun.objects.exists()


def test_visible_runs_one_at_a_time_and_within_the_exams_time(attempt, question, django_capture_on_commit_callbacks,
                                                              settings):
    with django_capture_on_commit_callbacks(execute=False):
        first = services.visible_run_request(attempt=attempt, question=question, body="def add(a, b): return 0")
        again = services.visible_run_request(attempt=attempt, question=question, body="def add(a, b): return 1")
    assert again.pk == first.pk  # impatient clicks do not fill the queue
    # The exam's deadline rule, save grace included: a click that left the browser in time still runs...
    settings.EXAM_SAVE_GRACE_SECONDS = 5
    GradingRun.objects.filter(pk=first.pk).update(status=RunStatus.DONE, result={}, finished_at=timezone.now())
    attempt.started_at = timezone.now() - timedelta(hours=1)
    attempt.deadline_at = timezone.now() - timedelta(seconds=2)
    attempt.save(update_fields=["started_at", "deadline_at"])
    with django_capture_on_commit_callbacks(execute=False):
        in_grace = services.visible_run_request(attempt=attempt, question=question, body="def add(a, b): return 2")
    assert in_grace.pk != first.pk
    # ...one after the grace does not.
    attempt.deadline_at = timezone.now() - timedelta(seconds=6)
    attempt.save(update_fields=["deadline_at"])
    with pytest.raises(services.RunRefused, match="exam is over"):
        services.visible_run_request(attempt=attempt, question=question, body="x")

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

    monkeypatch.setattr(grade_run, "apply_async", lambda args, queue, **kw: sent.append((args, queue)))
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        run = services.grading_run_create(question=question, candidate_files={"solution.py": "x"}, suite="hidden")
    assert sent == [] and len(callbacks) == 1  # nothing leaves before the commit
    callbacks[0]()
    assert sent == [([str(run.pk)], "grading-cpu")]
    assert (run.status, run.queue, run.deliveries) == (RunStatus.QUEUED, Queue.GRADING_CPU, 0)
    run.refresh_from_db()
    assert run.published_at is not None and run.publishes == 1


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
    # Impatient clicks do not fill the queue: the waiting run takes the newest code and keeps its place.
    assert again.pk == first.pk and again.candidate_files == {"solution.py": "def add(a, b): return 1"}
    assert GradingRun.objects.get(pk=first.pk).candidate_files == {"solution.py": "def add(a, b): return 1"}
    # Once it runs, a click returns it as it is.
    services.grading_run_claim(run_id=str(first.pk))
    assert services.visible_run_request(attempt=attempt, question=question, body="x").pk == first.pk
    assert GradingRun.objects.get(pk=first.pk).candidate_files == {"solution.py": "def add(a, b): return 1"}
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


# --- the hand-off to the broker and its repair ------------------------------------------------------


class FakeBroker:
    """Stands in for Celery's publish: records what is sent, or refuses like a broker that is down."""

    def __init__(self):
        self.sent: list[str] = []
        self.down = False

    def apply_async(self, args, queue, **kwargs):
        if self.down:
            raise ConnectionRefusedError(111, "Connection refused")
        self.sent.append(args[0])


@pytest.fixture
def broker(monkeypatch) -> FakeBroker:
    from graders.tasks import grade_run

    fake = FakeBroker()
    monkeypatch.setattr(grade_run, "apply_async", fake.apply_async)
    return fake


def _age(run: GradingRun, **fields) -> None:
    GradingRun.objects.filter(pk=run.pk).update(**fields)
    run.refresh_from_db()


def test_a_publish_the_broker_refuses_is_not_an_error_and_the_reconciler_sends_it(
        question, broker, django_capture_on_commit_callbacks, caplog):
    broker.down = True
    with django_capture_on_commit_callbacks(execute=True):
        run = services.grading_run_create(question=question, candidate_files={"solution.py": "x"}, suite="hidden")
    run.refresh_from_db()
    assert (run.status, run.published_at, broker.sent) == (RunStatus.QUEUED, None, [])
    assert "could not publish" in caplog.text
    broker.down = False
    assert not services.grading_runs_reconcile(queue_lengths={})  # too fresh: the commit's publish may be on its way
    _age(run, created_at=timezone.now() - timedelta(seconds=60))
    assert services.grading_runs_reconcile(queue_lengths={}).unpublished == 1
    run.refresh_from_db()
    assert broker.sent == [str(run.pk)] and run.publishes == 1


def test_runs_the_broker_lost_are_published_again_and_waiting_ones_are_left_alone(
        question, broker, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        run = services.grading_run_create(question=question, candidate_files={"solution.py": "x"}, suite="hidden")
    _age(run, published_at=timezone.now() - timedelta(seconds=60))
    broker.sent.clear()
    # Still in its queue (a busy hiring event): nothing to do.
    assert not services.grading_runs_reconcile(queue_lengths={"grading-cpu": 40})
    # Unknown queue contents (the broker cannot say): nothing either, until its backoff has passed.
    assert not services.grading_runs_reconcile(queue_lengths={"grading-cpu": None})
    # The queue is empty although the run was published a minute ago: the broker lost it (a restart).
    assert services.grading_runs_reconcile(queue_lengths={"grading-cpu": 0}).lost == 1
    assert broker.sent == [str(run.pk)]
    run.refresh_from_db()
    # Whatever the broker says, a publish older than the backoff (600 s, doubling with each publish: the run
    # was published twice) is sent again.
    assert run.publishes == 2
    _age(run, published_at=timezone.now() - timedelta(seconds=1100))
    assert not services.grading_runs_reconcile(queue_lengths={"grading-cpu": 40})
    _age(run, published_at=timezone.now() - timedelta(seconds=1201))
    assert services.grading_runs_reconcile(queue_lengths={"grading-cpu": 40}).lost == 1


def test_a_dead_workers_run_is_published_once_its_lease_runs_out(question, broker,
                                                                 django_capture_on_commit_callbacks):
    run, _ = _create(question, django_capture_on_commit_callbacks)
    broker.sent.clear()
    services.grading_run_claim(run_id=str(run.pk), worker="w1")
    assert not services.grading_runs_reconcile(queue_lengths={})  # its worker is alive as far as we know
    _age(run, lease_expires_at=timezone.now() - timedelta(seconds=1))
    assert services.grading_runs_reconcile(queue_lengths={}).abandoned == 1
    assert not services.grading_runs_reconcile(queue_lengths={})  # once per lease, not every sweep
    assert broker.sent == [str(run.pk)]
    _, delivery = services.grading_run_claim(run_id=str(run.pk), worker="w2")  # the take-over
    assert delivery == 2


def test_hidden_runs_a_submit_failed_to_hand_over_are_created(attempt, question, broker, monkeypatch,
                                                              django_capture_on_commit_callbacks):
    def broken(**kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(services, "submission_runs_create", broken)
    with django_capture_on_commit_callbacks(execute=True):
        attempt_submit(attempt=attempt)
    assert not GradingRun.objects.exists()
    monkeypatch.undo()
    from graders.tasks import grade_run

    monkeypatch.setattr(grade_run, "apply_async", broker.apply_async)
    with django_capture_on_commit_callbacks(execute=True):
        assert services.grading_runs_reconcile(queue_lengths={}).missing == 1
        assert services.grading_runs_reconcile(queue_lengths={}).missing == 0
    run = GradingRun.objects.get()
    assert (run.suite, run.submission.attempt_id) == ("hidden", attempt.pk) and broker.sent == [str(run.pk)]


def test_regrade_is_a_new_run_of_the_same_files(attempt, question, broker, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        attempt_submit(attempt=attempt)
    old = GradingRun.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        new = services.grading_run_regrade(run=old)
    assert new.pk != old.pk and (new.submission, new.candidate_files, new.suite) == (
        old.submission, old.candidate_files, old.suite)
    assert broker.sent == [str(old.pk), str(new.pk)]


def test_one_active_visible_run_per_attempt_in_a_queue_of_their_own(mini_track, attempt, question,
                                                                    django_capture_on_commit_callbacks, settings):
    """A candidate holds at most one grading slot at a time, and never in the hidden grading's queue."""
    other = Question.objects.get(slug="add-two", is_current=True)
    with django_capture_on_commit_callbacks(execute=False):
        run = services.visible_run_request(attempt=attempt, question=question, body="def add(a, b): return a + b")
    assert run.queue == Queue.GRADING_VISIBLE
    services.grading_run_claim(run_id=str(run.pk))
    # A second lab while the first runs: refused with the reason (it may start in a few seconds).
    second = Question.objects.create(slug="add-three", version=1, content_hash="x", source_path="x", kind="coding",
                                     title="Add three", summary="s", prompt_md="p", time_estimate_minutes=5,
                                     coding=other.coding)
    from assessments.models import SectionQuestion

    SectionQuestion.objects.create(section=mini_track.sections.last(), question=second, order=9)
    with pytest.raises(services.RunRefused, match="still running"):
        services.visible_run_request(attempt=attempt, question=second, body="x")


def test_visible_runs_get_a_short_wall_limit(attempt, question, django_capture_on_commit_callbacks, settings):
    settings.GRADING_VISIBLE_WALL_S = 7
    with django_capture_on_commit_callbacks(execute=False):
        run = services.visible_run_request(attempt=attempt, question=question, body="x")
    assert services.run_coding(run).resources.wall_seconds == 7  # the lab's own is 20
    now = timezone.now()
    claimed, _ = services.grading_run_claim(run_id=str(run.pk), now=now)
    assert claimed.lease_expires_at == now + timedelta(seconds=7 + HOST_MARGIN_S + 60)
    hidden, _ = _create(question, django_capture_on_commit_callbacks)
    assert services.run_coding(hidden).resources.wall_seconds == 20


def test_the_waiting_candidate_sees_their_place_in_line(attempt, question, django_capture_on_commit_callbacks):
    from graders.selectors import run_progress

    with django_capture_on_commit_callbacks(execute=False):
        ahead = [services.grading_run_create(question=question, candidate_files={"solution.py": "x"},
                                             suite="visible") for _ in range(2)]
        mine = services.visible_run_request(attempt=attempt, question=question, body="x")
    progress = run_progress(mine)
    assert (progress.state, progress.position) == ("queued", 3)
    services.grading_run_claim(run_id=str(ahead[0].pk))
    assert run_progress(mine).position == 2
    services.grading_run_claim(run_id=str(mine.pk))
    mine.refresh_from_db()
    assert run_progress(mine).state == "running" and run_progress(mine).position is None

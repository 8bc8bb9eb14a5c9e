"""Writes for grading runs. Tasks and views call these; they never touch GradingRun fields directly."""

from __future__ import annotations

import logging
import socket
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from assessments.content.coding import CodingConfig
from assessments.errors import AssessmentError
from assessments.models import Attempt, Question, Submission
from assessments.services import attempt_open_check, submission_automated_score_record
from assessments.tasking import Queue

from .grading import HOST_MARGIN_S
from .models import GradingRun, RunStatus
from .result import GradingResult, Suite, Verdict

log = logging.getLogger(__name__)


class RunNotAvailable(Exception):
    """This delivery must not act on the run (final already, or another worker holds it).

    `retry_in` is set when another worker holds a live lease: that worker may have died, so look
    again once the lease runs out instead of dropping the message.
    """

    def __init__(self, message: str, retry_in: float | None = None):
        super().__init__(message)
        self.retry_in = retry_in


def queue_for(question: Question, suite: str = Suite.HIDDEN) -> Queue:
    """GPU labs go to the GPU workers' queue; on CPU workers visible runs have a queue of their own, so a burst
    of them (or one candidate's slow code) never holds up the grading of submitted attempts."""
    if question.coding_config.resources.gpu:
        return Queue.GRADING_GPU
    return Queue.GRADING_VISIBLE if suite == Suite.VISIBLE else Queue.GRADING_CPU


def run_coding(run: GradingRun) -> CodingConfig:
    """The lab's grading contract as this run uses it: visible runs get a short wall limit (a quick check while
    the candidate waits; the hidden run after submit has the lab's full time)."""
    coding = run.question.coding_config
    if run.suite != Suite.VISIBLE or coding.resources.wall_seconds <= settings.GRADING_VISIBLE_WALL_S:
        return coding
    return replace(coding, resources=replace(coding.resources, wall_seconds=settings.GRADING_VISIBLE_WALL_S))


def grading_run_create(*, question: Question, candidate_files: dict[str, str], suite: str,
                       attempt: Attempt | None = None, submission: Submission | None = None,
                       requested_by: AbstractBaseUser | None = None) -> GradingRun:
    """Record a run and queue it once the surrounding transaction commits (never before)."""
    if not question.is_coding:
        raise ValueError(f"{question.slug} is not a coding question")
    if suite not in Suite.__members__.values():
        raise ValueError(f"unknown suite {suite!r}")
    run = GradingRun.objects.create(question=question, attempt=attempt, submission=submission, suite=suite,
                                    candidate_files=candidate_files, queue=str(queue_for(question, suite)),
                                    requested_by=requested_by)
    # robust: a broker that is down must not turn committed work into an error page; the run stays queued
    # and unpublished, and the reconciler hands it over once the broker answers again.
    transaction.on_commit(lambda: grading_run_publish(run_id=str(run.pk), queue=run.queue), robust=True)
    return run


def grading_run_publish(*, run_id: str, queue: str, now: datetime | None = None) -> bool:
    """Hand a run's id to the broker. False (logged) when the broker cannot take it: nothing is lost, the run
    is still queued in the database and grading_runs_reconcile publishes it again."""
    from .tasks import grade_run

    try:
        grade_run.apply_async(args=[run_id], queue=queue, retry_policy=settings.GRADING_PUBLISH_RETRY_POLICY)
    except Exception as exc:  # kombu, redis and socket errors alike: the broker did not take it
        log.warning("could not publish grading run %s to %s (the reconciler will): %s", run_id, queue, exc)
        return False
    GradingRun.objects.filter(pk=run_id).update(published_at=now or timezone.now(), publishes=F("publishes") + 1)
    return True


class RunRefused(Exception):
    """A candidate's "run visible tests" that cannot be queued, with the reason to show."""


def visible_run_request(*, attempt: Attempt, question: Question, body: str) -> GradingRun:
    """Queue the visible tests on the candidate's current code: one active run per attempt.

    A run of this attempt still waiting in the queue is brought up to date instead (it grades this code and
    this question, and keeps its place), so impatient clicks cannot fill the queue nor lose their place; a
    running one of this question is returned as it is; a running one of another question is waited for.
    """
    try:
        attempt_open_check(attempt=attempt)  # the exam's own deadline rule, save grace included
    except AssessmentError:
        raise RunRefused("The exam is over, so tests can no longer be run.") from None
    if len(body) > settings.EXAM_MAX_ANSWER_CHARS:
        raise RunRefused(f"The code is longer than {settings.EXAM_MAX_ANSWER_CHARS} characters.")
    files = {question.coding_config.entrypoint: body}
    with transaction.atomic():
        Attempt.objects.select_for_update().get(pk=attempt.pk)  # serialise requests of one attempt
        visible = GradingRun.objects.filter(attempt=attempt, suite=Suite.VISIBLE)
        active = visible.select_for_update().filter(status__in=[RunStatus.QUEUED, RunStatus.RUNNING]).first()
        if active and active.status == RunStatus.QUEUED and active.queue == str(queue_for(question, Suite.VISIBLE)):
            active.question, active.candidate_files = question, files
            active.save(update_fields=["question", "candidate_files"])
            return active
        if active and active.question_id == question.pk:
            return active
        if active:
            raise RunRefused(f"Your tests of \u201c{active.question.title}\u201d are still running; these can start "
                             "as soon as they finish (a few seconds).")
        if visible.filter(question=question).count() >= settings.EXAM_MAX_VISIBLE_RUNS:
            raise RunRefused(f"The visible tests of this question have been run {settings.EXAM_MAX_VISIBLE_RUNS} "
                             "times, which is the limit for one exam.")
        return grading_run_create(question=question, attempt=attempt, suite=Suite.VISIBLE, candidate_files=files)


def grading_run_claim(*, run_id: str, worker: str | None = None, now: datetime | None = None) -> tuple[GradingRun, int]:
    """QUEUED (or RUNNING with an expired lease, after a worker died) -> RUNNING. Returns the delivery number."""
    now = now or timezone.now()
    with transaction.atomic():
        # The question and its files come with the claim: from here to the store, the job needs no database.
        run = (GradingRun.objects.select_for_update(of=("self",)).select_related("question", "question__files")
               .get(pk=run_id))
        if run.status == RunStatus.RUNNING and run.lease_expires_at and run.lease_expires_at > now:
            raise RunNotAvailable(f"run {run_id} is held by {run.worker} until {run.lease_expires_at}",
                                  retry_in=(run.lease_expires_at - now).total_seconds() + 1)
        if run.status not in (RunStatus.QUEUED, RunStatus.RUNNING):
            raise RunNotAvailable(f"run {run_id} is already {run.status}")
        wall = run_coding(run).resources.wall_seconds
        run.status = RunStatus.RUNNING
        run.deliveries += 1
        run.started_at = now
        grace = settings.GRADING_LEASE_GRACE_S
        run.lease_expires_at = now + timedelta(seconds=wall + HOST_MARGIN_S + grace)
        run.worker = worker or socket.gethostname()
        run.save(update_fields=["status", "deliveries", "started_at", "lease_expires_at", "worker"])
        return run, run.deliveries


def _finish(run_id: str, delivery: int, **fields: Any) -> bool:
    with transaction.atomic():
        run = GradingRun.objects.select_for_update().get(pk=run_id)
        if run.status != RunStatus.RUNNING or run.deliveries != delivery:
            return False  # a later delivery took over, or the run is final: write nothing
        fields.setdefault("finished_at", timezone.now())
        for key, value in fields.items():
            setattr(run, key, value)
        run.lease_expires_at = None
        run.save(update_fields=[*fields, "lease_expires_at"])
        return True


def grading_run_store_result(*, run_id: str, delivery: int, result: GradingResult, backend: str,
                             image: str) -> bool:
    """Store a finished run's result (only from the delivery that holds the run); hidden runs of a submission
    also record the submission's automated score, in the same transaction."""
    timings = {**result.timings, "host_s": result.host_seconds}
    with transaction.atomic():
        stored = _finish(run_id, delivery, status=RunStatus.DONE, result=result.to_json(), verdict=str(result.verdict),
                         score=result.score, backend=backend, image=image, timings=timings)
        run = GradingRun.objects.select_related("submission").get(pk=run_id)
        if stored and run.submission_id and run.suite == Suite.HIDDEN:
            # Written back through assessments' own service: assessments never imports graders.
            submission_automated_score_record(
                submission=run.submission, verdict=str(result.verdict), score=result.score,
                details=result.summary().to_json(), source=f"grading-run:{run.pk}",
            )
        return stored


def submission_runs_create(*, attempt: Attempt, submissions: list[Submission]) -> list[GradingRun]:
    """Queue hidden grading for every coding submission of a submitted attempt (once per submission)."""
    runs = []
    for submission in submissions:
        question = submission.question
        if not question.is_coding or GradingRun.objects.filter(submission=submission, suite=Suite.HIDDEN).exists():
            continue
        runs.append(grading_run_create(question=question, attempt=attempt, submission=submission, suite=Suite.HIDDEN,
                                       candidate_files={question.coding_config.entrypoint: submission.body}))
    return runs


def grading_run_release(*, run_id: str, delivery: int, error: str) -> bool:
    """Infrastructure trouble: put the run back in the queue for the retry."""
    return _finish(run_id, delivery, status=RunStatus.QUEUED, error=error[:2000], finished_at=None)


def grading_run_fail(*, run_id: str, delivery: int, error: str) -> bool:
    return _finish(run_id, delivery, status=RunStatus.ERROR, error=error[:2000], verdict=str(Verdict.SANDBOX_ERROR))


# --- repair: nothing is lost whatever fails ------------------------------------------------------------


@dataclass
class Reconciled:
    unpublished: int = 0      # queued runs whose publish failed (broker down at commit)
    lost: int = 0             # queued runs the broker no longer holds (restarted without persistence)
    abandoned: int = 0        # running runs whose lease ran out (their worker died)
    missing: int = 0          # hidden runs created for submissions that had none (the submit's hand-off failed)

    def __bool__(self) -> bool:
        return bool(self.unpublished or self.lost or self.abandoned or self.missing)


def grading_runs_reconcile(*, queue_lengths: dict[str, int | None], now: datetime | None = None,
                           limit: int = 500) -> Reconciled:
    """Publish again every run that nothing will deliver, and create hidden runs a submit failed to hand over.

    Safe to repeat and to race with workers: a claim is fenced (one delivery holds a run, a stale one writes
    nothing), so a run published twice is still graded and stored once. `queue_lengths` is what the broker
    holds per queue (None: unknown). A queued run is re-published when it was never published, when its queue
    is empty although it was published a while ago (the broker lost it), or, whatever the broker says, once
    its last publish is older than a backoff that doubles with each publish.
    """
    now = now or timezone.now()
    out = Reconciled()
    settle = timedelta(seconds=settings.GRADING_PUBLISH_SETTLE_S)
    queued = GradingRun.objects.filter(status=RunStatus.QUEUED)
    for run in queued.filter(published_at__isnull=True, created_at__lt=now - settle).order_by("created_at")[:limit]:
        out.unpublished += grading_run_publish(run_id=str(run.pk), queue=run.queue, now=now)
    for run in queued.filter(published_at__lt=now - settle).order_by("published_at")[:limit]:
        if queue_lengths.get(run.queue) == 0 or run.published_at < now - _backoff(run):
            out.lost += grading_run_publish(run_id=str(run.pk), queue=run.queue, now=now)
    running = GradingRun.objects.filter(status=RunStatus.RUNNING, lease_expires_at__lt=now)
    for run in running.order_by("lease_expires_at")[:limit]:
        # Once per lease that ran out (a dead worker's run), then with the same backoff as a queued run.
        published = run.published_at
        if published is None or published < run.lease_expires_at or published < now - _backoff(run):
            out.abandoned += grading_run_publish(run_id=str(run.pk), queue=run.queue, now=now)
    out.missing = len(_hidden_runs_missing(limit=limit))
    return out


def _backoff(run: GradingRun) -> timedelta:
    return timedelta(seconds=settings.GRADING_REQUEUE_AFTER_S * 2 ** min(max(run.publishes - 1, 0), 6))


def _hidden_runs_missing(*, limit: int) -> list[GradingRun]:
    orphans = (Submission.objects.filter(question__kind="coding", attempt__status="submitted")
               .exclude(grading_runs__suite=Suite.HIDDEN).select_related("attempt", "question")
               .order_by("created_at")[:limit])
    runs = []
    for submission in orphans:
        runs += submission_runs_create(attempt=submission.attempt, submissions=[submission])
    return runs


def grading_run_regrade(*, run: GradingRun, requested_by: AbstractBaseUser | None = None) -> GradingRun:
    """Grade the same files again as a new run (an admin's repair); a hidden run's result replaces the
    submission's automated score when it is stored. The old run stays on record."""
    with transaction.atomic():
        return grading_run_create(question=run.question, candidate_files=run.candidate_files, suite=run.suite,
                                  attempt=run.attempt, submission=run.submission, requested_by=requested_by)

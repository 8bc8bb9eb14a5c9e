"""Writes for grading runs. Tasks and views call these; they never touch GradingRun fields directly."""

from __future__ import annotations

import socket
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from assessments.errors import AssessmentError
from assessments.models import Attempt, Question, Submission
from assessments.services import attempt_open_check, submission_automated_score_record
from assessments.tasking import Queue

from .grading import HOST_MARGIN_S
from .models import GradingRun, RunStatus
from .result import GradingResult, Suite, Verdict


class RunNotAvailable(Exception):
    """This delivery must not act on the run (final already, or another worker holds it).

    `retry_in` is set when another worker holds a live lease: that worker may have died, so look
    again once the lease runs out instead of dropping the message.
    """

    def __init__(self, message: str, retry_in: float | None = None):
        super().__init__(message)
        self.retry_in = retry_in


def queue_for(question: Question) -> Queue:
    """GPU labs go to the GPU workers' queue; everything else to the CPU workers'."""
    return Queue.GRADING_GPU if question.coding_config.resources.gpu else Queue.GRADING_CPU


def grading_run_create(*, question: Question, candidate_files: dict[str, str], suite: str,
                       attempt: Attempt | None = None, submission: Submission | None = None,
                       requested_by: AbstractBaseUser | None = None) -> GradingRun:
    """Record a run and queue it once the surrounding transaction commits (never before)."""
    if not question.is_coding:
        raise ValueError(f"{question.slug} is not a coding question")
    if suite not in Suite.__members__.values():
        raise ValueError(f"unknown suite {suite!r}")
    run = GradingRun.objects.create(question=question, attempt=attempt, submission=submission, suite=suite,
                                    candidate_files=candidate_files, queue=str(queue_for(question)),
                                    requested_by=requested_by)
    from .tasks import grade_run

    transaction.on_commit(lambda: grade_run.apply_async(args=[str(run.pk)], queue=run.queue))
    return run


class RunRefused(Exception):
    """A candidate's "run visible tests" that cannot be queued, with the reason to show."""


def visible_run_request(*, attempt: Attempt, question: Question, body: str) -> GradingRun:
    """Queue the visible tests on the candidate's current code: one run at a time per question.

    While a run of this question is still queued or running, that run is returned instead of a new
    one, so impatient clicks cannot fill the queue.
    """
    try:
        attempt_open_check(attempt=attempt)  # the exam's own deadline rule, save grace included
    except AssessmentError:
        raise RunRefused("The exam is over, so tests can no longer be run.") from None
    if len(body) > settings.EXAM_MAX_ANSWER_CHARS:
        raise RunRefused(f"The code is longer than {settings.EXAM_MAX_ANSWER_CHARS} characters.")
    with transaction.atomic():
        Attempt.objects.select_for_update().get(pk=attempt.pk)  # serialise requests of one attempt
        runs = GradingRun.objects.filter(attempt=attempt, question=question, suite=Suite.VISIBLE)
        active = runs.filter(status__in=[RunStatus.QUEUED, RunStatus.RUNNING]).first()
        if active:
            return active
        if runs.count() >= settings.EXAM_MAX_VISIBLE_RUNS:
            raise RunRefused(f"The visible tests of this question have been run {settings.EXAM_MAX_VISIBLE_RUNS} "
                             "times, which is the limit for one exam.")
        return grading_run_create(question=question, attempt=attempt, suite=Suite.VISIBLE,
                                  candidate_files={question.coding_config.entrypoint: body})


def grading_run_claim(*, run_id: str, worker: str | None = None, now: datetime | None = None) -> tuple[GradingRun, int]:
    """QUEUED (or RUNNING with an expired lease, after a worker died) -> RUNNING. Returns the delivery number."""
    now = now or timezone.now()
    with transaction.atomic():
        run = GradingRun.objects.select_for_update().select_related("question").get(pk=run_id)
        if run.status == RunStatus.RUNNING and run.lease_expires_at and run.lease_expires_at > now:
            raise RunNotAvailable(f"run {run_id} is held by {run.worker} until {run.lease_expires_at}",
                                  retry_in=(run.lease_expires_at - now).total_seconds() + 1)
        if run.status not in (RunStatus.QUEUED, RunStatus.RUNNING):
            raise RunNotAvailable(f"run {run_id} is already {run.status}")
        wall = run.question.coding_config.resources.wall_seconds
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

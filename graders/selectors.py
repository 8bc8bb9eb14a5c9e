"""Reads of grading runs, scoped the way callers need them, and of the grading platform."""

from __future__ import annotations

import functools
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import QuerySet
from django.utils import timezone

from assessments.errors import NotFound
from assessments.models import Attempt, Question
from sandboxes import BackendChoice, resolve_backend

from .models import GradingRun, RunStatus, Suite


def attempt_visible_run(*, attempt: Attempt, run_id: str) -> GradingRun:
    """A visible-test run of this attempt; NotFound for any other id (no peeking across attempts)."""
    try:
        uuid.UUID(str(run_id))
        return GradingRun.objects.select_related("question").get(pk=run_id, attempt=attempt, suite=Suite.VISIBLE)
    except (ValueError, GradingRun.DoesNotExist):
        raise NotFound("No such run") from None


def attempt_latest_visible_run(*, attempt: Attempt, question_id: int) -> GradingRun | None:
    return (GradingRun.objects.filter(attempt=attempt, question_id=question_id, suite=Suite.VISIBLE)
            .order_by("-created_at").first())


def attempt_visible_run_for_page(*, attempt: Attempt, question: Question, run_id: str | None) -> GradingRun | None:
    """The run a question page shows: the one its URL names (when it is this attempt's), else the latest."""
    if run_id:
        try:
            return attempt_visible_run(attempt=attempt, run_id=run_id)
        except NotFound:
            pass
    return attempt_latest_visible_run(attempt=attempt, question_id=question.pk)


@functools.lru_cache(maxsize=1)
def sandbox_choice() -> BackendChoice:
    """Which sandbox backend grading uses here, and why. Resolved once per process: pinging the engine
    on every page would cost a round trip each."""
    return resolve_backend(settings.SANDBOX_BACKEND, timeout=1.0)


@dataclass(frozen=True)
class RunPhases:
    """When a run went through each phase: what staff read to tell "slow" from "stuck"."""

    run: GradingRun
    queued: datetime
    published: datetime | None
    started: datetime | None
    sandbox_up: datetime | None
    tests_done: datetime | None
    stored: datetime | None
    overdue: bool

    @property
    def phases(self) -> list[tuple[str, datetime | None]]:
        return [("queued", self.queued), ("published", self.published), ("started", self.started),
                ("sandbox up", self.sandbox_up), ("tests done", self.tests_done), ("stored", self.stored)]


def overdue_cutoff(*, now: datetime) -> datetime:
    """A run not final and created before this is overdue (GRADING_OVERDUE_S): the staff pages', the operations
    page's and the metrics' one rule."""
    return now - timedelta(seconds=settings.GRADING_OVERDUE_S)


def runs_overdue(*, now: datetime | None = None) -> QuerySet[GradingRun]:
    """The overdue runs (run_phases' `overdue`), as a query."""
    return GradingRun.objects.filter(status__in=[RunStatus.QUEUED, RunStatus.RUNNING],
                                     created_at__lt=overdue_cutoff(now=now or timezone.now()))


def run_phases(run: GradingRun, *, now: datetime | None = None) -> RunPhases:
    """Phase timestamps of a run. Sandbox-up and tests-done come from the durations the sandbox and the harness
    measured, counted from the claim (exact to the host's clock, not to the millisecond)."""
    now = now or timezone.now()
    sandbox_up = tests_done = None
    result = run.grading_result
    if result is not None and run.started_at:
        start_s = float((result.sandbox.get("timings") or {}).get("start_s") or 0.0)
        sandbox_up = run.started_at + timedelta(seconds=start_s)
        if "tests_s" in result.timings:
            tests_done = sandbox_up + timedelta(seconds=float(result.timings["tests_s"]))
    overdue = not run.is_final and run.created_at < overdue_cutoff(now=now)
    return RunPhases(run=run, queued=run.created_at, published=run.published_at, started=run.started_at,
                     sandbox_up=sandbox_up, tests_done=tests_done, stored=run.finished_at, overdue=overdue)


def attempt_hidden_runs(*, attempt: Attempt) -> dict[int, list[RunPhases]]:
    """Every hidden run of an attempt by question id, newest first, with its phases (the report's grading table)."""
    out: dict[int, list[RunPhases]] = {}
    now = timezone.now()
    for run in (GradingRun.objects.filter(attempt=attempt, suite=Suite.HIDDEN).select_related("question")
                .order_by("-created_at")):
        out.setdefault(run.question_id, []).append(run_phases(run, now=now))
    return out


@dataclass(frozen=True)
class RunProgress:
    """What a candidate waiting on "Run visible tests" is told: the state, a queue position, the time so far."""

    state: str                 # "queued" or "running"
    position: int | None       # 1 = next to start
    elapsed_s: int


def run_progress(run: GradingRun, *, now: datetime | None = None) -> RunProgress | None:
    """None once the run is final. The position counts the runs queued before it on its queue (first in, first
    out: the broker hands them over in that order)."""
    if run.is_final:
        return None
    now = now or timezone.now()
    if run.status == RunStatus.QUEUED:
        ahead = GradingRun.objects.filter(status=RunStatus.QUEUED, queue=run.queue, created_at__lt=run.created_at)
        return RunProgress("queued", ahead.count() + 1, int((now - run.created_at).total_seconds()))
    return RunProgress("running", None, int((now - (run.started_at or run.created_at)).total_seconds()))


def attempt_runs_by_question(*, attempt: Attempt) -> dict[int, list[GradingRun]]:
    """Every grading run of an attempt by question id, oldest first: the candidate's visible-test runs during
    the exam, then the hidden grading (the interviewer's run history). One query; the code stays unloaded."""
    out: dict[int, list[GradingRun]] = {}
    for run in GradingRun.objects.filter(attempt=attempt).defer("candidate_files").order_by("created_at"):
        out.setdefault(run.question_id, []).append(run)
    return out

"""Reads of grading runs, scoped the way callers need them, and of the grading platform."""

from __future__ import annotations

import functools
import uuid

from django.conf import settings

from assessments.errors import NotFound
from assessments.models import Attempt, Question
from sandboxes import BackendChoice, resolve_backend

from .models import GradingRun, Suite


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

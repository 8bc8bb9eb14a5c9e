"""Reads of grading runs, scoped the way callers need them."""

from __future__ import annotations

import uuid

from assessments.models import Attempt

from .models import GradingRun, Suite


def attempt_visible_run(*, attempt: Attempt, run_id: str) -> GradingRun:
    """A visible-test run of this attempt; DoesNotExist for any other id (no peeking across attempts)."""
    try:
        uuid.UUID(str(run_id))
    except ValueError:
        raise GradingRun.DoesNotExist from None
    return GradingRun.objects.select_related("question").get(pk=run_id, attempt=attempt, suite=Suite.VISIBLE)


def attempt_latest_visible_run(*, attempt: Attempt, question_id: int) -> GradingRun | None:
    return (GradingRun.objects.filter(attempt=attempt, question_id=question_id, suite=Suite.VISIBLE)
            .order_by("-created_at").first())

"""Automated results, written back by the grading machinery (assessments never imports graders)."""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone

from ..errors import AssessmentError
from ..models import AutomatedScore, Submission
from .events import attempt_event, report_ready_check


def submission_automated_score_record(*, submission: Submission, verdict: str, score: float, details: dict,
                                      source: str, graded_at: datetime | None = None) -> AutomatedScore:
    """Store (or replace) a submission's automated grade; called by the grading machinery."""
    if not 0.0 <= score <= 1.0:
        raise AssessmentError(f"automated score must be within [0, 1] (got {score})")
    record, _ = AutomatedScore.objects.update_or_create(
        submission=submission,
        defaults={"verdict": verdict, "score": score, "details": details, "source": source,
                  "graded_at": graded_at or timezone.now()},
    )
    attempt_event(kind="grading.completed", attempt=submission.attempt, question=submission.question.slug,
                  verdict=verdict, score=score)
    report_ready_check(attempt=submission.attempt)
    return record



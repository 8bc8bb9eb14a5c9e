"""Erasing a candidate's personal data from the assessment records (retention, or the candidate's request).

What identifies or quotes the candidate goes: their name, e-mail and notes, every answer and snapshot, the
details of their integrity signals, and what interviewers wrote about them. What counts goes on: the candidate row
(pseudonymous code), attempts and their times, submissions (empty), automated scores (verdict, score, test
outcomes), scorecards (status, recommendation) and their dimension levels, so reports and calibration still
count them. ops.retention and ops.privacy decide when and record it; graders erase their own runs.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.apps import apps
from django.db import transaction
from django.utils import timezone

from ..errors import AssessmentError
from ..models import (
    Accommodation,
    Attempt,
    AttemptStatus,
    AutomatedScore,
    Candidate,
    DimensionScore,
    IntegrityEvent,
    Invitation,
    Response,
    ResponseSnapshot,
    Scorecard,
    Submission,
)

ERASED_NAME = "Erased candidate"
ERASED_TEXT = "(erased)"  # where a column must not be empty (an amendment's reason)

# In stored result JSON (scores' details, grading runs' results) strings under these keys are the grading
# machinery's own vocabulary, never the candidate's output; every other string is dropped on erasure.
RESULT_VOCABULARY_KEYS = frozenset({"schema", "suite", "verdict", "outcome", "name", "kind", "decision",
                                    "termination", "backend", "core_failed"})


def erased_email(code: str) -> str:
    return f"erased+{code.lower()}@invalid"


@dataclass(frozen=True)
class PurgeReport:
    """What one candidate's erasure changed in the assessment records (row counts)."""

    candidate_id: int
    code: str
    invitations_withdrawn: int = 0
    responses: int = 0
    submissions: int = 0
    snapshots_deleted: int = 0
    integrity_events: int = 0
    automated_scores: int = 0
    scorecards: int = 0
    dimension_scores: int = 0


def result_text_scrub(value: Any, key: str | None = None) -> Any:
    """Stored result JSON without anything the candidate's code could have written: numbers, booleans and the
    grading vocabulary (RESULT_VOCABULARY_KEYS) stay, so verdicts, scores, test outcomes and benchmark figures
    still read; every other string (messages, output, tracebacks, benchmark summaries and errors) goes."""
    if isinstance(value, dict):
        return {k: result_text_scrub(v, str(k)) for k, v in value.items()}
    if isinstance(value, list | tuple):
        if key in RESULT_VOCABULARY_KEYS:
            return [v for v in value if not isinstance(v, dict | list)]
        return [result_text_scrub(v) for v in value if not isinstance(v, str)]
    if isinstance(value, str):
        return value if key in RESULT_VOCABULARY_KEYS else ""
    return value


def candidate_attempt_ids(*, candidate: Candidate) -> list[int]:
    return list(Attempt.objects.filter(invitation__candidate=candidate).values_list("pk", flat=True))


@transaction.atomic
def candidate_purge(*, candidate: Candidate, now: datetime | None = None) -> PurgeReport:
    """Erase the candidate's personal data from the assessment records; safe to run twice.

    Refused while one of their attempts is in progress (submit it first): the exam would go on writing answers,
    and its hidden grading would take the code from the submit. Writes are bulk updates on purpose: they bypass
    django-auditlog, whose entries would otherwise keep the values being erased (the erasure itself is recorded
    by the caller, once, in the audit trail).
    """
    now = now or timezone.now()
    candidate = Candidate.objects.select_for_update().get(pk=candidate.pk)
    attempts = Attempt.objects.filter(invitation__candidate=candidate)
    if attempts.filter(status=AttemptStatus.IN_PROGRESS).exists():
        raise AssessmentError(f"{candidate.code} has an exam in progress: submit it first (Django admin, Attempts, "
                              "“Submit now”), then erase.")
    attempt_ids = list(attempts.values_list("pk", flat=True))

    withdrawn = Invitation.objects.filter(candidate=candidate, revoked_at__isnull=True).update(revoked_at=now)
    # Adjustment requests keep their outcome (minutes granted) and lose what was written about the candidate.
    Accommodation.objects.filter(invitation__candidate=candidate).update(details="", reply="")
    responses = Response.objects.filter(attempt_id__in=attempt_ids).update(body="")
    submissions = Submission.objects.filter(attempt_id__in=attempt_ids).erase_bodies()
    snapshots, _ = ResponseSnapshot.objects.filter(attempt_id__in=attempt_ids).delete()
    # The kind and time of a signal stay (interviewers' context, statistics); what the browser reported goes.
    events = IntegrityEvent.objects.filter(attempt_id__in=attempt_ids).update(chars=None, client_at=None)

    automated = 0
    for score in AutomatedScore.objects.filter(submission__attempt_id__in=attempt_ids).only("pk", "details"):
        automated += AutomatedScore.objects.filter(pk=score.pk).update(details=result_text_scrub(score.details))

    cards = Scorecard.objects.filter(attempt_id__in=attempt_ids)
    scorecards = cards.update(summary="", notes={})
    cards.exclude(amendment_reason="").update(amendment_reason=ERASED_TEXT)
    dimension_scores = DimensionScore.objects.filter(scorecard__attempt_id__in=attempt_ids).update(evidence="")

    Candidate.objects.filter(pk=candidate.pk).update(full_name=ERASED_NAME, email=erased_email(candidate.code),
                                                     notes="", erased_at=now)
    _admin_log_names_drop(candidate=candidate)
    return PurgeReport(candidate_id=candidate.pk, code=candidate.code, invitations_withdrawn=withdrawn,
                       responses=responses, submissions=submissions, snapshots_deleted=snapshots,
                       integrity_events=events, automated_scores=automated, scorecards=scorecards,
                       dimension_scores=dimension_scores)


def _admin_log_names_drop(*, candidate: Candidate) -> None:
    """The Django admin's change log names each record as its str() was at the time, and candidates' and
    invitations' str() carried the candidate's name before it became the code alone: name them by code now."""
    if not apps.is_installed("django.contrib.admin"):
        return
    from django.contrib.admin.models import LogEntry
    from django.contrib.contenttypes.models import ContentType

    LogEntry.objects.filter(content_type=ContentType.objects.get_for_model(Candidate),
                            object_id=str(candidate.pk)).update(object_repr=candidate.code)
    for invitation_id in Invitation.objects.filter(candidate=candidate).values_list("pk", flat=True):
        LogEntry.objects.filter(content_type=ContentType.objects.get_for_model(Invitation),
                                object_id=str(invitation_id)).update(
            object_repr=f"Invitation #{invitation_id} ({candidate.code})")

"""Domain events: what happened, told to whoever listens (assessments.signals.domain_event), inside the
transaction of the change. Payloads name candidates by code only."""

from __future__ import annotations

from django.db.models import Exists, OuterRef

from ..models import (
    Assignment,
    Attempt,
    AttemptStatus,
    AutomatedScore,
    Invitation,
    Scorecard,
    ScorecardStatus,
    SectionQuestion,
)
from ..signals import domain_event


def _iso(value) -> str | None:
    return value.isoformat() if value else None


def attempt_payload(attempt: Attempt) -> dict:
    return {"attempt_id": attempt.pk, "invitation_id": attempt.invitation_id,
            "candidate_code": attempt.invitation.candidate.code, "track": attempt.track.slug,
            "track_version": attempt.track.version, "status": attempt.status,
            "started_at": _iso(attempt.started_at), "deadline_at": _iso(attempt.deadline_at),
            "submitted_at": _iso(attempt.submitted_at)}


def event_emit(*, kind: str, subject: str, track_slug: str, payload: dict) -> None:
    domain_event.send(sender=Attempt, kind=kind, subject=subject, track_slug=track_slug, payload=payload)


def attempt_event(*, kind: str, attempt: Attempt, **extra) -> None:
    event_emit(kind=kind, subject=f"attempt:{attempt.pk}", track_slug=attempt.track.slug,
               payload={**attempt_payload(attempt), **extra})


def report_is_final(*, attempt: Attempt) -> bool:
    """Submitted, every coding lab graded, every assigned interviewer's scorecard submitted, at least one."""
    if attempt.status != AttemptStatus.SUBMITTED:
        return False
    labs = set(SectionQuestion.objects.filter(section__track_id=attempt.track_id, question__kind="coding")
               .values_list("question_id", flat=True))
    graded = set(AutomatedScore.objects.filter(submission__attempt=attempt)
                 .values_list("submission__question_id", flat=True))
    if labs - graded:
        return False
    submitted = set(Scorecard.objects.filter(attempt=attempt, status=ScorecardStatus.SUBMITTED,
                                             superseded_by__isnull=True).values_list("interviewer_id", flat=True))
    assigned = set(Assignment.objects.filter(attempt=attempt).values_list("interviewer_id", flat=True))
    return bool(submitted) and not (assigned - submitted)


def report_ready_check(*, attempt: Attempt) -> None:
    """Tell listeners once the report is final (they deduplicate on the subject: "report.ready" is sent once)."""
    if report_is_final(attempt=attempt):
        attempt_event(kind="report.ready", attempt=attempt)


def invitations_expired_emit(*, now, since) -> int:
    """invitation.expired for links that expired unused between `since` and `now` (listeners keep one per link)."""
    count = 0
    started = Attempt.objects.filter(invitation=OuterRef("pk"))
    for invitation in (Invitation.objects.filter(expires_at__gt=since, expires_at__lte=now, revoked_at__isnull=True)
                       .exclude(Exists(started)).select_related("candidate", "track")):
        event_emit(kind="invitation.expired", subject=f"invitation:{invitation.pk}", track_slug=invitation.track.slug,
                   payload={"invitation_id": invitation.pk, "candidate_code": invitation.candidate.code,
                            "track": invitation.track.slug, "expires_at": _iso(invitation.expires_at)})
        count += 1
    return count

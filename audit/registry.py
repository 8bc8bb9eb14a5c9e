"""Which records' changes django-auditlog keeps, and how each names its candidate.

Values that are personal data or a candidate's work (names, e-mails, answers, code, evidence quoting it) are
masked: the trail says that they changed, by whom and when, never what they were, so it holds nothing an
erasure would have to reach into. Each entry carries its candidate (id and pseudonymous code) in
`additional_data`, which is how the trail is filtered per candidate.
"""

from __future__ import annotations

from collections.abc import Callable

from auditlog.registry import auditlog
from django.contrib.auth import get_user_model


def masked(_value: str) -> str:
    return "(masked)"


def _of_candidate(candidate) -> dict:
    return {"candidate_id": candidate.pk, "candidate_code": candidate.code} if candidate is not None else {}


def _attach(model, candidate_of: Callable) -> None:
    """auditlog stores what a record's `get_additional_data()` returns with each of its entries."""

    def get_additional_data(self) -> dict:
        try:
            return _of_candidate(candidate_of(self))
        except Exception:  # noqa: BLE001 - a half-built record must still be logged
            return {}

    model.get_additional_data = get_additional_data


def register_models() -> None:
    from assessments.models import (
        Accommodation,
        Assignment,
        Attempt,
        Candidate,
        DimensionScore,
        Invitation,
        Scorecard,
        TrackManager,
    )
    from graders.models import GradingRun

    plans = [
        (Candidate, lambda c: c, {"mask_fields": ["full_name", "email", "notes"]}),
        (Invitation, lambda i: i.candidate, {"mask_fields": ["token_hash"]}),  # a new link shows as a change
        (Attempt, lambda a: a.invitation.candidate, {}),
        # A request and its decision are recorded; what the candidate wrote (it may be about their health) is not.
        (Accommodation, lambda a: a.invitation.candidate, {"mask_fields": ["details", "reply"]}),
        (Scorecard, lambda s: s.attempt.invitation.candidate,
         {"mask_fields": ["summary", "amendment_reason"], "exclude_fields": ["notes"]}),
        (DimensionScore, lambda d: d.scorecard.attempt.invitation.candidate, {"mask_fields": ["evidence"]}),
        (Assignment, lambda a: a.attempt.invitation.candidate, {}),
        (GradingRun, lambda r: r.attempt.invitation.candidate if r.attempt_id else None,
         {"exclude_fields": ["candidate_files", "result", "timings", "lease_expires_at", "deliveries", "worker",
                             "published_at"], "mask_fields": ["error"]}),  # an error can quote the candidate's output
        (TrackManager, lambda _t: None, {}),
    ]
    for model, candidate_of, options in plans:
        _attach(model, candidate_of)
        if not auditlog.contains(model):
            auditlog.register(model, mask_callable="audit.registry.masked", **options)
    user = get_user_model()
    if not auditlog.contains(user):
        # Role changes: group membership, staff and superuser flags; never the password hash.
        auditlog.register(user, m2m_fields={"groups"},
                          include_fields=["username", "is_active", "is_staff", "is_superuser", "groups"])

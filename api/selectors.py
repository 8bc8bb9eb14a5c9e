"""Reads for the API: the pages' access rules (assessments.access) applied to the caller's account, so a key for
one track sees nothing of another and others' objects are 404s, as on the pages."""

from __future__ import annotations

from datetime import datetime

from django.db.models import Q, QuerySet
from django.utils import timezone

from assessments import access
from assessments.access import User
from assessments.errors import NotFound
from assessments.models import Attempt, AttemptStatus, Invitation, Track
from assessments.selectors import track_get
from graders.models import GradingRun

INVITATION_STATES = ("not_started", "in_progress", "submitted", "withdrawn", "expired")


def tracks_for(*, user: User) -> QuerySet[Track]:
    return Track.objects.filter(is_current=True, slug__in=access.managed_track_slugs(user=user)).order_by("slug")


def track_for(*, user: User, slug: str) -> Track:
    if slug not in access.managed_track_slugs(user=user):
        raise NotFound("No such track")
    return track_get(slug=slug)


def track_versions(*, slug: str) -> QuerySet[Track]:
    return Track.objects.filter(slug=slug).order_by("-version")


def invitations_for(*, user: User, track: str | None = None, state: str | None = None,
                    created_after: datetime | None = None, created_before: datetime | None = None
                    ) -> QuerySet[Invitation]:
    qs = access.invitations_visible_to(user=user).select_related("candidate", "track", "attempt")
    if track:
        qs = qs.filter(track__slug=track)
    if created_after:
        qs = qs.filter(created_at__gte=created_after)
    if created_before:
        qs = qs.filter(created_at__lt=created_before)
    now = timezone.now()
    if state == "withdrawn":
        qs = qs.filter(revoked_at__isnull=False)
    elif state == "expired":
        qs = qs.filter(revoked_at__isnull=True, attempt__isnull=True, expires_at__lte=now)
    elif state == "not_started":
        qs = qs.filter(revoked_at__isnull=True, attempt__isnull=True, expires_at__gt=now)
    elif state in ("in_progress", "submitted"):
        qs = qs.filter(attempt__status=state)
    return qs


def invitation_for(*, user: User, invitation_id: int) -> Invitation:
    return access.invitation_for_staff(user=user, invitation_id=invitation_id)


def invitation_state(invitation: Invitation) -> str:
    attempt = getattr(invitation, "attempt", None)
    if attempt is not None:
        return attempt.status
    if invitation.revoked_at:
        return "withdrawn"
    return "expired" if invitation.expires_at <= timezone.now() else "not_started"


def attempts_for(*, user: User, track: str | None = None, status: str | None = None,
                 submitted_after: datetime | None = None, submitted_before: datetime | None = None
                 ) -> QuerySet[Attempt]:
    qs = (Attempt.objects.filter(track__slug__in=access.managed_track_slugs(user=user))
          .select_related("track", "invitation__candidate"))
    if track:
        qs = qs.filter(track__slug=track)
    if status in (AttemptStatus.IN_PROGRESS, AttemptStatus.SUBMITTED):
        qs = qs.filter(status=status)
    if submitted_after:
        qs = qs.filter(submitted_at__gte=submitted_after)
    if submitted_before:
        qs = qs.filter(submitted_at__lt=submitted_before)
    return qs


def attempt_for(*, user: User, attempt_id: int) -> Attempt:
    return access.attempt_for_manager(user=user, attempt_id=attempt_id)


def attempt_gradings(*, attempt: Attempt) -> list[GradingRun]:
    """The latest hidden grading of each coding lab of the attempt (what the report counts)."""
    latest: dict[int, GradingRun] = {}
    for run in (GradingRun.objects.filter(Q(attempt=attempt) | Q(submission__attempt=attempt), suite="hidden")
                .select_related("question").order_by("created_at")):
        latest[run.question_id] = run
    return list(latest.values())


def api_keys_list() -> QuerySet:
    from .models import APIKey

    return APIKey.objects.select_related("created_by", "user").prefetch_related("user__managed_tracks") \
        .order_by("-created_at")


def api_key_get(*, key_id: int):
    from .models import APIKey

    key = APIKey.objects.select_related("user").filter(pk=key_id).first()
    if key is None:
        raise NotFound("No such key")
    return key

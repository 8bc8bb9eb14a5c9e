"""Accommodations: a candidate asks for an adjustment from the landing page, staff who manage the track decide.

Extra time is granted as minutes on the invitation (the deadline counts them at the start) and, when the exam has
already started, added to the running attempt's deadline. Nothing here is shown to interviewers."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.utils import timezone

from ..errors import AssessmentError
from ..models import Accommodation, AccommodationStatus, Attempt, AttemptStatus, Invitation
from ..selectors.exam import exam_layout
from .attempts import attempt_extend

MAX_DETAILS = 2000
PRESETS = Accommodation.PRESETS  # percent of the exam's time offered to candidates and staff
MAX_MINUTES = 24 * 60


@transaction.atomic
def accommodation_request(*, invitation: Invitation, extra_percent: int | None, details: str) -> Accommodation:
    """Record a candidate's request; one waits for a decision at a time (a new one replaces a pending one)."""
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    details = (details or "").strip()
    if extra_percent is not None and extra_percent not in Accommodation.PRESETS:
        raise AssessmentError("Choose 25 %, 50 % or 100 % extra time, or describe what you need.")
    if extra_percent is None and not details:
        raise AssessmentError("Choose the extra time you need or describe the adjustment.")
    if len(details) > MAX_DETAILS:
        raise AssessmentError(f"Please keep the description under {MAX_DETAILS:,} characters.")
    if invitation.revoked_at:
        raise AssessmentError("This invitation has been withdrawn.")
    if Attempt.objects.filter(invitation=invitation).exclude(status=AttemptStatus.IN_PROGRESS).exists():
        raise AssessmentError("This exam has been submitted; adjustments can no longer change it.")
    pending = Accommodation.objects.filter(invitation=invitation, status=AccommodationStatus.PENDING).first()
    if pending:
        pending.extra_percent, pending.details = extra_percent, details
        pending.save(update_fields=["extra_percent", "details"])
        return pending
    try:
        with transaction.atomic():
            return Accommodation.objects.create(invitation=invitation, extra_percent=extra_percent, details=details)
    except IntegrityError:  # a second tab sent one at the same moment: that one stands
        return Accommodation.objects.get(invitation=invitation, status=AccommodationStatus.PENDING)


def accommodation_minutes(*, invitation: Invitation, percent: int) -> int:
    """Minutes that `percent` of the exam's timed minutes make, rounded up to whole minutes."""
    timed = exam_layout(track=invitation.track).timed_minutes  # cached per track version: the landing page asks 3x
    return -(-timed * percent // 100)


@transaction.atomic
def accommodation_decide(*, accommodation: Accommodation, decided_by: AbstractBaseUser | None, approve: bool,
                         minutes: int | None = None, percent: int | None = None, reply: str = "") -> Accommodation:
    """Approve with extra minutes (given, or as a percentage of the exam's time) or decline, with a reply for the
    candidate. An approval sets the invitation's extra time; an exam already running gets the difference."""
    accommodation = Accommodation.objects.select_for_update().select_related("invitation__track").get(
        pk=accommodation.pk)
    if accommodation.status != AccommodationStatus.PENDING:
        raise AssessmentError("This request has already been decided.")
    invitation = Invitation.objects.select_for_update().select_related("track").get(pk=accommodation.invitation_id)
    granted = 0
    if approve:
        if percent is not None:
            granted = accommodation_minutes(invitation=invitation, percent=percent)
        elif minutes is not None:
            granted = minutes
        if not 0 <= granted <= MAX_MINUTES:
            raise AssessmentError(f"Extra time must be between 0 minutes and {MAX_MINUTES // 60} hours.")
        previous = invitation.extra_time_minutes
        invitation.extra_time_minutes = granted
        invitation.save(update_fields=["extra_time_minutes"])
        attempt = Attempt.objects.filter(invitation=invitation, status=AttemptStatus.IN_PROGRESS).first()
        if attempt is not None and granted > previous:
            attempt_extend(attempt=attempt, minutes=granted - previous)
    accommodation.status = AccommodationStatus.APPROVED if approve else AccommodationStatus.DECLINED
    accommodation.granted_minutes = granted
    accommodation.reply = (reply or "").strip()[:MAX_DETAILS]
    accommodation.decided_by = decided_by
    accommodation.decided_at = timezone.now()
    accommodation.save(update_fields=["status", "granted_minutes", "reply", "decided_by", "decided_at"])
    return accommodation

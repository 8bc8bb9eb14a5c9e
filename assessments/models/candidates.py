"""Candidates and their invitations: the one place candidate PII lives."""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from .content import Track


class Candidate(models.Model):
    """The one place candidate PII lives; everything else refers to the row or its code."""

    full_name = models.CharField(max_length=200)
    email = models.EmailField()
    code = models.CharField(max_length=12, unique=True, help_text="Anonymised id shown in blind review")
    notes = models.TextField(blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # Set when the personal data was erased (retention or on request): the row stays, pseudonymous, so scores count.
    erased_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        # The pseudonymous code only: str() ends up in logs, admin widgets and the audit trail (object_repr).
        return self.code


INVITATION_SALT = "assessments.invitation"  # of the signed tokens issued before 0006 (their hashes still match)


def token_hash(token: str) -> str:
    """What is stored of an invitation token: it is the candidate's only key, so the database never holds it."""
    return hashlib.sha256(token.encode()).hexdigest()


def legacy_token_hash(nonce: str) -> str:
    """What migration 0006 stored for a link issued before it (a signed {"i": id, "n": nonce})."""
    return hashlib.sha256(f"legacy:{nonce}".encode()).hexdigest()


class Invitation(models.Model):
    candidate = models.ForeignKey(Candidate, on_delete=models.CASCADE, related_name="invitations")
    track = models.ForeignKey(Track, on_delete=models.PROTECT, related_name="invitations")
    # The token is random (no id in it) and only its hash is kept: staff, admins and a database dump cannot
    # rebuild a link, so nobody but the candidate (who got it by e-mail) can act as the candidate.
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    expires_at = models.DateTimeField()
    window_opens_at = models.DateTimeField(null=True, blank=True, help_text="Optional: earliest start")
    window_closes_at = models.DateTimeField(null=True, blank=True, help_text="Optional: latest start")
    extra_time_minutes = models.PositiveIntegerField(default=0, help_text="Accommodation added to the deadline")
    revoked_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(window_opens_at__isnull=True)
                | Q(window_closes_at__isnull=True)
                | Q(window_opens_at__lt=F("window_closes_at")),
                name="invitation_window_ordered",
            ),
        ]

    def __str__(self) -> str:
        return f"Invitation #{self.pk} ({self.candidate.code})"

    # The raw token, set only on the instance that issued it (invitation_create, invitation_link_renew): shown
    # once to the issuer and sent to the candidate, never stored.
    token: str | None = None


class AccommodationStatus(models.TextChoices):
    PENDING = "pending", "Waiting for a decision"
    APPROVED = "approved", "Approved"
    DECLINED = "declined", "Declined"


class Accommodation(models.Model):
    """A candidate's request for an adjustment (extra time or another), and the staff's decision.

    Personal data of a sensitive kind (it may describe a disability): seen by the staff who manage the track's
    invitations and by the candidate, never by interviewers; what the report shows of it is nothing at all."""

    PRESETS = (25, 50, 100)  # percent of the exam's time

    invitation = models.ForeignKey(Invitation, on_delete=models.CASCADE, related_name="accommodations")
    extra_percent = models.PositiveSmallIntegerField(null=True, blank=True,
                                                     help_text="Requested extra time, percent of the exam's time")
    details = models.TextField(blank=True, help_text="What the candidate asked for, in their words")
    status = models.CharField(max_length=12, choices=AccommodationStatus.choices, default=AccommodationStatus.PENDING)
    granted_minutes = models.PositiveIntegerField(default=0)
    reply = models.TextField(blank=True, help_text="Shown to the candidate with the decision")
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["invitation"], condition=Q(status="pending"),
                                    name="accommodation_one_pending_per_invitation"),
        ]

    def __str__(self) -> str:
        return f"Accommodation #{self.pk} ({self.get_status_display()})"

"""API keys for machines (an applicant tracking system, a script) and the replies kept for Idempotency-Key."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models


def uuid_hex() -> str:
    return uuid.uuid4().hex


# What a key may do; an endpoint names the scope it needs for reads and for writes.
SCOPES = {
    "tracks:read": "Read tracks and their versions",
    "invitations:read": "List and read invitations",
    "invitations:write": "Create, withdraw and resend invitations",
    "attempts:read": "Read attempts: status, deadline, timeline, gradings",
    "scorecards:read": "Read submitted scorecards",
    "reports:read": "Read reports: the combined signal, interval, level, flags, per-question figures",
}


class APIKey(models.Model):
    """A machine's key: shown once, stored as a SHA-256 hash, scoped, limited to tracks.

    Each key acts through its own service account (`user`): a hiring-manager account that manages exactly the key's
    tracks and can never sign in, so every page rule (which tracks, which objects, 404 for others') holds for the
    API unchanged, and the audit trail names the key in every change it makes."""

    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=12, unique=True, editable=False)  # shown in lists, finds the row
    key_hash = models.CharField(max_length=64, editable=False)
    scopes = models.JSONField(default=list)
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="api_key")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "API key"

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None

    # The raw key, set only on the instance that created it: shown once, never stored.
    raw: str | None = None


class IdempotentReply(models.Model):
    """The first reply to a POST with an Idempotency-Key, replayed for a retry of the same request."""

    key = models.ForeignKey(APIKey, on_delete=models.CASCADE, related_name="+")
    idempotency_key = models.CharField(max_length=200)
    fingerprint = models.CharField(max_length=64)  # method, path and body: a different request with the same key
    status = models.PositiveSmallIntegerField()
    body = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["key", "idempotency_key"], name="idempotency_once_per_key")]

    def __str__(self) -> str:
        return f"{self.idempotency_key} ({self.status})"


EVENT_TYPES = {
    "attempt.started": "A candidate started the exam",
    "attempt.submitted": "An attempt was submitted (by the candidate or at the deadline)",
    "grading.completed": "A coding lab's hidden grading finished",
    "scorecard.submitted": "An interviewer submitted a scorecard",
    "report.ready": "The report is final: submitted, every lab graded, every assigned scorecard in (sent once)",
    "invitation.expired": "An invitation expired unused (sent once)",
}
ONCE = ("report.ready", "invitation.expired")


class WebhookEndpoint(models.Model):
    """Where events go: a URL, the events and tracks it wants, and the secret its deliveries are signed with
    (Standard Webhooks). The secret is kept, not hashed: every delivery is signed with it."""

    url = models.URLField(max_length=500)
    description = models.CharField(max_length=200, blank=True)
    event_types = models.JSONField(default=list)
    track_slugs = models.JSONField(default=list, blank=True, help_text="Empty: every track")
    secret = models.CharField(max_length=100, editable=False)
    is_active = models.BooleanField(default=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.url


class WebhookEvent(models.Model):
    """One event, with the stable id receivers deduplicate on (the webhook-id header)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    type = models.CharField(max_length=40)
    subject = models.CharField(max_length=60)  # e.g. "attempt:12"
    track_slug = models.SlugField(max_length=100)
    payload = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [models.UniqueConstraint(fields=["type", "subject"], condition=models.Q(type__in=ONCE),
                                               name="webhook_event_once_per_subject")]

    def __str__(self) -> str:
        return f"{self.type} {self.subject}"

    @property
    def message_id(self) -> str:
        return f"msg_{self.id.hex}"


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    DELIVERED = "delivered", "Delivered"
    FAILED = "failed", "Failed (gave up)"


class WebhookDelivery(models.Model):
    """An event to one endpoint: retried with backoff until a 2xx or the retry limit; replayable."""

    event = models.ForeignKey(WebhookEvent, on_delete=models.CASCADE, related_name="deliveries")
    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries")
    status = models.CharField(max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(db_index=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    last_status = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [models.UniqueConstraint(fields=["event", "endpoint"], name="webhook_delivery_once")]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="webhook_delivery_due")]

    def __str__(self) -> str:
        return f"{self.event} -> {self.endpoint} ({self.status})"


class WebhookAttempt(models.Model):
    """One try of a delivery: the delivery log."""

    delivery = models.ForeignKey(WebhookDelivery, on_delete=models.CASCADE, related_name="tries")
    at = models.DateTimeField()
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    error = models.CharField(max_length=500, blank=True)
    duration_ms = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-at"]

    def __str__(self) -> str:
        return f"{self.delivery_id} at {self.at}: {self.status_code or self.error}"


class GreenhouseTest(models.Model):
    """A test sent through Greenhouse's Assessment Partner API: our invitation behind their partner_interview_id."""

    partner_interview_id = models.CharField(max_length=40, unique=True, default=uuid_hex)
    invitation = models.OneToOneField("assessments.Invitation", on_delete=models.CASCADE, related_name="greenhouse")
    key = models.ForeignKey(APIKey, on_delete=models.PROTECT, related_name="+")
    greenhouse_profile_url = models.URLField(max_length=500, blank=True)
    callback_url = models.URLField(max_length=500, blank=True, help_text="Greenhouse's URL to PATCH when complete")
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.partner_interview_id


class GreenhouseErrorNotice(models.Model):
    """What Greenhouse reported through response_error (it could not use one of our answers), kept for support."""

    key = models.ForeignKey(APIKey, on_delete=models.CASCADE, related_name="+")
    body = models.JSONField()
    received_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"Greenhouse error notice {self.pk}"

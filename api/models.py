"""API keys for machines (an applicant tracking system, a script) and the replies kept for Idempotency-Key."""

from __future__ import annotations

from django.conf import settings
from django.db import models

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

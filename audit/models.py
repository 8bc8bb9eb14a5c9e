"""Explicit audit events: reads of candidate data, exports, erasures. Changes of records are django-auditlog's
LogEntry rows; selectors.audit_trail reads both as one trail."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class AppendOnly(Exception):
    """An audit row cannot be changed or deleted once written."""


class AuditEventQuerySet(models.QuerySet):
    def update(self, **kwargs):  # noqa: ARG002
        raise AppendOnly("audit events are append-only")

    def delete(self):
        raise AppendOnly("audit events are append-only")


class AuditEvent(models.Model):
    at = models.DateTimeField(db_index=True)
    # Who: the user (kept as a label too, so the row survives the account's removal).
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                              related_name="+")
    actor_label = models.CharField(max_length=200, blank=True)
    action = models.CharField(max_length=40, db_index=True)  # read, export, erase, ...
    # What: a page or record, never its content. The candidate by id and pseudonymous code only, so the trail
    # holds no personal data and outlives an erasure.
    what = models.CharField(max_length=300)
    object_type = models.CharField(max_length=100, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    candidate_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    candidate_code = models.CharField(max_length=12, blank=True, db_index=True)
    track_slug = models.CharField(max_length=100, blank=True)
    # From where
    ip = models.GenericIPAddressField(null=True, blank=True)
    path = models.CharField(max_length=500, blank=True)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-pk"]
        indexes = [models.Index(fields=["candidate_id", "at"])]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.actor_label or '-'} {self.action} {self.what}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise AppendOnly("audit events are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnly("audit events are append-only")

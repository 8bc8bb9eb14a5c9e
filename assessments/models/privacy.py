"""Retention: how long a candidate's personal data is kept, per track (ops/retention.py applies it)."""

from __future__ import annotations

from django.db import models


class RetentionPolicy(models.Model):
    """How many days after a candidate's last attempt ended (or their unused invitation expired) their personal data
    is erased. Keyed by track slug: it outlives content versions. Tracks without one use RETENTION_DEFAULT_DAYS."""

    track_slug = models.SlugField(max_length=100, unique=True)
    purge_after_days = models.PositiveIntegerField(
        help_text="Days after the attempt was submitted (or the unused invitation expired); 0 keeps the data forever")
    note = models.CharField(max_length=300, blank=True, help_text="Why this period (e.g. the legal basis)")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["track_slug"]
        verbose_name_plural = "retention policies"

    def __str__(self) -> str:
        kept = "kept forever" if self.purge_after_days == 0 else f"erased after {self.purge_after_days} days"
        return f"{self.track_slug}: {kept}"

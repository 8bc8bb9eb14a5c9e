"""Solutions known from outside the exam (a leaked answer found online, a paid-for write-up) that every submission
of the lab is compared with, next to the cohort and the reference."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class KnownSolution(models.Model):
    """Keyed by the lab's slug, not a question version: a leak outlives content updates."""

    question_slug = models.SlugField(max_length=100, help_text="The coding lab this solves")
    source = models.CharField(max_length=300, help_text="Where it was found (a URL, a forum, a paid service)")
    body = models.TextField(help_text="The solution's code")
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                    related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["question_slug", "-created_at"]
        verbose_name = "known (leaked) solution"

    def __str__(self) -> str:
        return f"{self.question_slug}: {self.source}"

"""What the comparison, its CSV, the API export and the distribution chart read: one row per submitted attempt with
its figures, kept current by assessments.services.summaries (recomputed after a change of its inputs commits)."""

from __future__ import annotations

from django.db import models

from .attempts import Attempt


class AttemptSummary(models.Model):
    """The figures of assessments.selectors.reports.figures for one attempt, as of `computed_version`.

    `version` is bumped (in the writer's transaction) by every change of the inputs: a submitted scorecard or an
    amendment, an assignment, an automated score, an integrity signal. A row is fresh when computed_version ==
    version; a refresh stores its figures only if the version it read is still current, so a change committed
    while it computed is never overwritten by older figures.
    """

    attempt = models.OneToOneField(Attempt, on_delete=models.CASCADE, primary_key=True, related_name="summary")
    version = models.PositiveIntegerField(default=0)
    computed_version = models.PositiveIntegerField(null=True, blank=True)
    computed_at = models.DateTimeField(null=True, blank=True)
    automated = models.FloatField(null=True, blank=True)
    human = models.FloatField(null=True, blank=True)
    combined = models.FloatField(null=True, blank=True)
    interval_low = models.FloatField(null=True, blank=True)
    interval_high = models.FloatField(null=True, blank=True)
    level = models.CharField(max_length=100, blank=True)
    flags = models.JSONField(default=list, blank=True, help_text="the flags that do not depend on the clock")
    ungraded = models.PositiveIntegerField(default=0, help_text="coding labs without an automated score")
    missing = models.PositiveIntegerField(default=0, help_text="assigned scorecards not submitted")
    raters = models.PositiveIntegerField(default=0)
    has_ratings = models.BooleanField(default=False)
    recommendations = models.JSONField(default=list, blank=True, help_text="[interviewer, label], oldest first")
    competencies = models.JSONField(default=list, blank=True)

    class Meta:
        verbose_name_plural = "attempt summaries"

    def __str__(self) -> str:
        return f"Summary of attempt #{self.attempt_id} (v{self.computed_version}/{self.version})"

    @property
    def fresh(self) -> bool:
        return self.computed_version == self.version

"""Human scoring: who scores what (assignments, track managers) and their scorecards."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q

from .attempts import Attempt
from .content import Question, RubricDimension, RubricLevel, Section


class Recommendation(models.TextChoices):
    STRONG_NO = "strong_no", "Strong no"
    NO = "no", "No"
    YES = "yes", "Yes"
    STRONG_YES = "strong_yes", "Strong yes"


class ScorecardStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    SUBMITTED = "submitted", "Submitted"


class Scorecard(models.Model):
    """One interviewer's scores for one attempt. Amendments are new rows that supersede old ones."""

    attempt = models.ForeignKey(Attempt, on_delete=models.CASCADE, related_name="scorecards")
    interviewer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="scorecards")
    status = models.CharField(max_length=20, choices=ScorecardStatus.choices, default=ScorecardStatus.DRAFT)
    recommendation = models.CharField(max_length=20, choices=Recommendation.choices, blank=True)
    summary = models.TextField(blank=True)
    supersedes = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="superseded_by"
    )
    amendment_reason = models.TextField(blank=True)
    # Live rounds: the interviewer's notes taken during the conversation, {question id: text}.
    notes = models.JSONField(default=dict, blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        permissions = [("score_attempt", "Can score attempts they are assigned to")]
        constraints = [
            models.CheckConstraint(
                condition=Q(status="draft", submitted_at__isnull=True)
                | Q(status="submitted", submitted_at__isnull=False),
                name="scorecard_submitted_at_iff_submitted",
            ),
            models.CheckConstraint(
                condition=Q(supersedes__isnull=True) | ~Q(amendment_reason=""),
                name="scorecard_amendment_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"Scorecard #{self.pk} by {self.interviewer} ({self.status})"


class DimensionScore(models.Model):
    scorecard = models.ForeignKey(Scorecard, on_delete=models.CASCADE, related_name="scores")
    question = models.ForeignKey(Question, on_delete=models.PROTECT)
    dimension = models.ForeignKey(RubricDimension, on_delete=models.PROTECT)
    level = models.ForeignKey(RubricLevel, on_delete=models.PROTECT)
    evidence = models.TextField(blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["scorecard", "question", "dimension"], name="dimensionscore_unique")
        ]

    def __str__(self) -> str:
        return f"{self.dimension}: {self.level}"

    def clean(self) -> None:
        if self.level.rubric_id != self.dimension.rubric_id:
            raise ValidationError({"level": "belongs to another rubric than the dimension"})
        if self.question.rubric_id != self.dimension.rubric_id:
            raise ValidationError({"dimension": "is not part of this question's rubric"})


class TrackManager(models.Model):
    """A hiring manager responsible for a track. Keyed by slug: it outlives content versions."""

    track_slug = models.SlugField(max_length=100)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="managed_tracks")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["track_slug", "user"], name="trackmanager_unique")]

    def __str__(self) -> str:
        return f"{self.user} manages {self.track_slug}"


class Assignment(models.Model):
    """An interviewer asked to score an attempt: all of it, one section, or one question."""

    attempt = models.ForeignKey(Attempt, on_delete=models.CASCADE, related_name="assignments")
    interviewer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="assignments")
    section = models.ForeignKey(Section, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    question = models.ForeignKey(Question, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    assigned_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                    related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["attempt", "created_at"]
        constraints = [
            models.CheckConstraint(condition=Q(section__isnull=True) | Q(question__isnull=True),
                                   name="assignment_section_or_question"),
        ]

    def __str__(self) -> str:
        scope = self.question or self.section or "whole attempt"
        return f"{self.interviewer} scores {scope} of {self.attempt}"

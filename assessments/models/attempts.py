"""An attempt and what the candidate produced: answers, snapshots, signals, frozen submissions, grades."""

from __future__ import annotations

import hashlib

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q

from .candidates import Invitation
from .content import Question, Track


class AttemptStatus(models.TextChoices):
    IN_PROGRESS = "in_progress", "In progress"
    SUBMITTED = "submitted", "Submitted"


class SubmitReason(models.TextChoices):
    CANDIDATE = "candidate", "Submitted by the candidate"
    DEADLINE = "deadline", "Submitted at the deadline"
    ADMIN = "admin", "Submitted by an admin"


class Attempt(models.Model):
    invitation = models.OneToOneField(Invitation, on_delete=models.PROTECT, related_name="attempt")
    track = models.ForeignKey(Track, on_delete=models.PROTECT, related_name="attempts")
    status = models.CharField(max_length=20, choices=AttemptStatus.choices, default=AttemptStatus.IN_PROGRESS)
    started_at = models.DateTimeField()
    deadline_at = models.DateTimeField(help_text="Set by the server at start; the browser only displays it")
    submitted_at = models.DateTimeField(null=True, blank=True)
    submit_reason = models.CharField(max_length=20, choices=SubmitReason.choices, blank=True)
    consented_at = models.DateTimeField(null=True, blank=True, help_text="When the candidate accepted the notice")
    consent_version = models.CharField(max_length=40, blank=True,
                                       help_text="The notice accepted (assessments.consent.NOTICES holds its text)")
    extra_minutes = models.PositiveIntegerField(default=0, help_text="Time granted after the start (accommodation)")

    class Meta:
        ordering = ["-started_at"]
        permissions = [("view_report", "Can read hiring-signal reports and compare candidates")]
        constraints = [
            models.CheckConstraint(condition=Q(deadline_at__gt=F("started_at")), name="attempt_deadline_after_start"),
            models.CheckConstraint(
                condition=Q(status="in_progress", submitted_at__isnull=True)
                | Q(status="submitted", submitted_at__isnull=False),
                name="attempt_submitted_at_iff_submitted",
            ),
        ]

    def __str__(self) -> str:
        return f"Attempt #{self.pk} ({self.invitation.candidate.code})"


class Response(models.Model):
    """The candidate's current answer to one question, autosaved; revision counts saves."""

    attempt = models.ForeignKey(Attempt, on_delete=models.CASCADE, related_name="responses")
    question = models.ForeignKey(Question, on_delete=models.PROTECT, related_name="responses")
    body = models.TextField(blank=True)
    revision = models.PositiveIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["attempt", "question"], name="response_unique_question")]

    def __str__(self) -> str:
        return f"{self.attempt} / {self.question.slug} r{self.revision}"


class ResponseSnapshot(models.Model):
    """One saved state of a coding answer, kept for a later playback of how the code grew."""

    attempt = models.ForeignKey(Attempt, on_delete=models.CASCADE, related_name="snapshots")
    question = models.ForeignKey(Question, on_delete=models.PROTECT, related_name="+")
    revision = models.PositiveIntegerField()
    body = models.TextField(blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["attempt", "question", "revision"]
        constraints = [models.UniqueConstraint(fields=["attempt", "question", "revision"],
                                               name="snapshot_unique_revision")]

    def __str__(self) -> str:
        return f"{self.attempt} / {self.question.slug} r{self.revision}"


class IntegrityKind(models.TextChoices):
    FOCUS_LOST = "focus_lost", "Left the exam tab"
    FOCUS_REGAINED = "focus_regained", "Came back to the exam tab"
    PASTE = "paste", "Pasted text"


class IntegrityEvent(models.Model):
    """A signal recorded for interviewers to read in context; never blocks the candidate."""

    attempt = models.ForeignKey(Attempt, on_delete=models.CASCADE, related_name="integrity_events")
    question = models.ForeignKey(Question, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    kind = models.CharField(max_length=20, choices=IntegrityKind.choices)
    chars = models.PositiveIntegerField(null=True, blank=True, help_text="Pasted characters")
    client_at = models.DateTimeField(null=True, blank=True, help_text="The browser's clock, as reported")
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["attempt", "created_at"]
        indexes = [models.Index(fields=["attempt", "kind"])]

    def __str__(self) -> str:
        return f"{self.attempt}: {self.kind}"


class ImmutableRecordError(Exception):
    pass


class SubmissionQuerySet(models.QuerySet):
    """Bulk writes are refused like save() and delete(): the one change a submission ever gets is its erasure."""

    def update(self, **kwargs):  # noqa: ARG002
        raise ImmutableRecordError("Submissions are immutable once written.")

    def delete(self):
        raise ImmutableRecordError("Submissions are immutable and cannot be deleted.")

    def erase_bodies(self) -> int:
        """The deliberate exception to immutability, for erasing a candidate's personal data (retention or their
        request; assessments.services.privacy is its only caller): the body becomes empty and the hash follows
        it, so the row, its question and its automated score stay and still count in statistics."""
        return super().update(body="", content_hash=Submission.hash_body(""))


class Submission(models.Model):
    """A frozen answer: written once at final submit, never changed; graded and scored from here.

    save() refuses a second write and delete() and the queryset's update() and delete() refuse too; the only way
    to change one is `Submission.objects.filter(...).erase_bodies()`, when the candidate's data is erased.
    """

    attempt = models.ForeignKey(Attempt, on_delete=models.PROTECT, related_name="submissions")
    question = models.ForeignKey(Question, on_delete=models.PROTECT, related_name="submissions")
    body = models.TextField(blank=True)
    revision = models.PositiveIntegerField(help_text="The response revision this freezes")
    content_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = SubmissionQuerySet.as_manager()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["attempt", "question"], name="submission_unique_question")]

    def __str__(self) -> str:
        return f"{self.attempt} / {self.question.slug} (frozen r{self.revision})"

    def save(self, *args, **kwargs):
        if self.pk is not None or not self._state.adding:
            raise ImmutableRecordError("Submissions are immutable once written.")
        if self.content_hash != self.hash_body(self.body):
            raise ValidationError({"content_hash": "does not match the body"})
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ImmutableRecordError("Submissions are immutable and cannot be deleted.")

    @staticmethod
    def hash_body(body: str) -> str:
        return hashlib.sha256(body.encode("utf-8")).hexdigest()


class AutomatedScore(models.Model):
    """The automated grade of one submission, written by the grading machinery through a service."""

    submission = models.OneToOneField(Submission, on_delete=models.CASCADE, related_name="automated_score")
    verdict = models.CharField(max_length=20)
    score = models.FloatField()
    details = models.JSONField(default=dict, help_text="tests by name and outcome, benchmark figures")
    source = models.CharField(max_length=100, help_text="what produced it, e.g. a grading run id")
    graded_at = models.DateTimeField()

    class Meta:
        constraints = [models.CheckConstraint(condition=Q(score__gte=0, score__lte=1), name="automatedscore_in_range")]

    def __str__(self) -> str:
        return f"{self.submission}: {self.verdict} {self.score:.2f}"

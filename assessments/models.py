"""The domain: content (versioned), people, attempts, answers and scores.

Content rows (rubrics, questions, tracks) are never edited in place by a sync: changed files create
a new version, so an attempt keeps pointing at exactly what its candidate was shown.
"""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Exists, F, OuterRef, Q, Sum


class VersionedContent(models.Model):
    slug = models.SlugField(max_length=100)
    version = models.PositiveIntegerField()
    content_hash = models.CharField(max_length=64, help_text="sha256 of the source files (and what they reference)")
    source_path = models.CharField(max_length=500, help_text="Path relative to the content root")
    is_current = models.BooleanField(default=True, help_text="The version new tracks and attempts use")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        abstract = True
        ordering = ["slug", "-version"]

    def __str__(self) -> str:
        return f"{self.slug} v{self.version}"


def _versioned_constraints(prefix: str) -> list[models.BaseConstraint]:
    return [
        models.UniqueConstraint(fields=["slug", "version"], name=f"{prefix}_unique_slug_version"),
        models.UniqueConstraint(fields=["slug"], condition=Q(is_current=True), name=f"{prefix}_one_current"),
        models.CheckConstraint(condition=Q(version__gte=1), name=f"{prefix}_version_positive"),
    ]


class Competency(models.Model):
    slug = models.SlugField(max_length=100, unique=True)
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    order = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["order", "slug"]
        verbose_name_plural = "competencies"

    def __str__(self) -> str:
        return self.name


class Rubric(VersionedContent):
    title = models.CharField(max_length=200)
    description = models.TextField()
    applies_to = models.JSONField(default=list, blank=True)

    class Meta(VersionedContent.Meta):
        constraints = _versioned_constraints("rubric")


class RubricLevel(models.Model):
    """One step of a rubric's scale, shared by its dimensions (e.g. 3 = Staff)."""

    rubric = models.ForeignKey(Rubric, on_delete=models.CASCADE, related_name="levels")
    score = models.PositiveSmallIntegerField()
    label = models.CharField(max_length=100)
    bar = models.CharField(max_length=50, blank=True, help_text="The hiring bar this level signals, if any")

    class Meta:
        ordering = ["rubric", "score"]
        constraints = [models.UniqueConstraint(fields=["rubric", "score"], name="rubriclevel_unique_score")]

    def __str__(self) -> str:
        return f"{self.score} {self.label}"


class RubricDimension(models.Model):
    rubric = models.ForeignKey(Rubric, on_delete=models.CASCADE, related_name="dimensions")
    slug = models.SlugField(max_length=100)
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    weight = models.FloatField(default=1.0)
    order = models.PositiveIntegerField()

    class Meta:
        ordering = ["rubric", "order"]
        constraints = [
            models.UniqueConstraint(fields=["rubric", "slug"], name="rubricdimension_unique_slug"),
            models.CheckConstraint(condition=Q(weight__gt=0), name="rubricdimension_weight_positive"),
        ]

    def __str__(self) -> str:
        return self.title


class RubricDescriptor(models.Model):
    """What a level looks like on one dimension: the text an interviewer reads beside the choice."""

    dimension = models.ForeignKey(RubricDimension, on_delete=models.CASCADE, related_name="descriptors")
    level = models.ForeignKey(RubricLevel, on_delete=models.CASCADE, related_name="descriptors")
    text = models.TextField()

    class Meta:
        ordering = ["dimension", "level__score"]
        constraints = [models.UniqueConstraint(fields=["dimension", "level"], name="rubricdescriptor_unique")]

    def __str__(self) -> str:
        return f"{self.dimension} @ {self.level}"


class QuestionKind(models.TextChoices):
    WRITTEN = "written", "Written answer"
    DESIGN = "design", "System design"
    LIVE = "live", "Live round"
    CODING = "coding", "Coding exercise"


class Question(VersionedContent):
    kind = models.CharField(max_length=20, choices=QuestionKind.choices)
    title = models.CharField(max_length=300)
    summary = models.CharField(max_length=500)
    prompt_md = models.TextField()
    # Interviewer-only: strong_answer / failure_modes / follow_ups lists. Never sent to candidates.
    guidance = models.JSONField(default=dict)
    competencies = models.ManyToManyField(Competency, related_name="questions")
    rubric = models.ForeignKey(Rubric, on_delete=models.PROTECT, null=True, blank=True, related_name="questions")
    time_estimate_minutes = models.PositiveIntegerField()
    # Coding only: entrypoint, language, resources, scoring, requirements.
    coding = models.JSONField(null=True, blank=True)
    # Coding only: {path: text} the candidate starts from (public).
    starter_files = models.JSONField(default=dict, blank=True)

    class Meta(VersionedContent.Meta):
        permissions = [("view_guidance", "Can read interviewer guidance and hidden test names")]
        constraints = [
            *_versioned_constraints("question"),
            models.CheckConstraint(
                condition=Q(kind="coding", coding__isnull=False) | (~Q(kind="coding") & Q(coding__isnull=True)),
                name="question_coding_config_iff_coding",
            ),
        ]

    @property
    def is_coding(self) -> bool:
        return self.kind == QuestionKind.CODING


class QuestionFiles(models.Model):
    """Every file of a question's folder, hidden tests included, as loaded.

    Kept apart from Question so that nothing that lists questions loads hidden tests by accident,
    and so old versions stay gradable after their files change on disk.
    """

    question = models.OneToOneField(Question, on_delete=models.CASCADE, related_name="files")
    files = models.JSONField(help_text="{relative path: text}")

    class Meta:
        verbose_name_plural = "question files"

    def __str__(self) -> str:
        return f"files of {self.question}"


class Track(VersionedContent):
    title = models.CharField(max_length=300)
    summary = models.CharField(max_length=500)
    description_md = models.TextField(blank=True)
    automated_weight = models.FloatField(default=0.5)
    human_weight = models.FloatField(default=0.5)
    anonymised_review = models.BooleanField(default=True, help_text="Interviewers see a candidate code, not a name")

    class Meta(VersionedContent.Meta):
        constraints = [
            *_versioned_constraints("track"),
            models.CheckConstraint(
                condition=Q(automated_weight__gte=0, human_weight__gte=0), name="track_weights_non_negative"
            ),
        ]

    @property
    def total_minutes(self) -> int:
        return sum(s.time_limit_minutes for s in self.sections.all())

    def timed_minutes(self) -> int:
        """Minutes on the candidate's clock: sections holding only live rounds happen elsewhere."""
        written = SectionQuestion.objects.filter(section=OuterRef("pk")).exclude(question__kind=QuestionKind.LIVE)
        total = self.sections.filter(Exists(written)).aggregate(total=Sum("time_limit_minutes"))["total"]
        return total or 0


class Section(models.Model):
    track = models.ForeignKey(Track, on_delete=models.CASCADE, related_name="sections")
    slug = models.SlugField(max_length=100)
    title = models.CharField(max_length=200)
    order = models.PositiveIntegerField()
    time_limit_minutes = models.PositiveIntegerField()
    intro_md = models.TextField(blank=True)

    class Meta:
        ordering = ["track", "order"]
        constraints = [
            models.UniqueConstraint(fields=["track", "slug"], name="section_unique_slug"),
            models.UniqueConstraint(fields=["track", "order"], name="section_unique_order"),
            models.CheckConstraint(condition=Q(time_limit_minutes__gte=1), name="section_time_limit_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.track.slug}/{self.slug}"


class SectionQuestion(models.Model):
    section = models.ForeignKey(Section, on_delete=models.CASCADE, related_name="items")
    question = models.ForeignKey(Question, on_delete=models.PROTECT, related_name="placements")
    order = models.PositiveIntegerField()
    weight = models.FloatField(default=1.0)

    class Meta:
        ordering = ["section", "order"]
        constraints = [
            models.UniqueConstraint(fields=["section", "question"], name="sectionquestion_unique_question"),
            models.UniqueConstraint(fields=["section", "order"], name="sectionquestion_unique_order"),
            models.CheckConstraint(condition=Q(weight__gte=0), name="sectionquestion_weight_non_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.section} #{self.order}: {self.question}"


class Candidate(models.Model):
    """The one place candidate PII lives; everything else refers to the row or its code."""

    full_name = models.CharField(max_length=200)
    email = models.EmailField()
    code = models.CharField(max_length=12, unique=True, help_text="Anonymised id shown in blind review")
    notes = models.TextField(blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.full_name} ({self.code})"


INVITATION_SALT = "assessments.invitation"


class Invitation(models.Model):
    candidate = models.ForeignKey(Candidate, on_delete=models.CASCADE, related_name="invitations")
    track = models.ForeignKey(Track, on_delete=models.PROTECT, related_name="invitations")
    # Random per invitation: the signed token carries it, so a token cannot be derived from the id.
    nonce = models.CharField(max_length=64, unique=True, editable=False)
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
        return f"Invitation #{self.pk} for {self.candidate}"

    @property
    def token(self) -> str:
        return signing.dumps({"i": self.pk, "n": self.nonce}, salt=INVITATION_SALT, compress=True)


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


class Submission(models.Model):
    """A frozen answer: written once at final submit, never changed; graded and scored from here."""

    attempt = models.ForeignKey(Attempt, on_delete=models.PROTECT, related_name="submissions")
    question = models.ForeignKey(Question, on_delete=models.PROTECT, related_name="submissions")
    body = models.TextField(blank=True)
    revision = models.PositiveIntegerField(help_text="The response revision this freezes")
    content_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)

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

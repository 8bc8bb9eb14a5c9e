"""Content rows: competencies, rubrics, questions and tracks, versioned.

Content rows are never edited in place by a sync: changed files create a new version, so an attempt keeps
pointing at exactly what its candidate was shown.
"""

from __future__ import annotations

from functools import cached_property

from django.db import models
from django.db.models import Exists, OuterRef, Q, Sum

from ..content.coding import CodingConfig


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
    # Coding only, copied out of QuestionFiles at sync so no page has to load the hidden tests to show
    # these: the visible test files {path: text} candidates may read, the hidden test files' names.
    visible_tests = models.JSONField(default=dict, blank=True)
    # The visible tests' example files (audio, transcripts): names and types only; the bytes stay in QuestionFiles.
    visible_files = models.JSONField(default=list, blank=True)
    hidden_test_names = models.JSONField(default=list, blank=True)

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

    @cached_property
    def coding_config(self) -> CodingConfig:
        """The lab's typed grading contract; only coding questions have one."""
        if self.coding is None:
            raise ValueError(f"{self.slug} is a {self.kind} question, not a coding lab")
        return CodingConfig.from_json(self.coding)


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

    def live_minutes(self) -> int:
        """Minutes of live rounds, scheduled apart from the exam and never on the candidate's clock."""
        return self.total_minutes - self.timed_minutes()


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

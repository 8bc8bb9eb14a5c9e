"""Grading runs: one sandboxed evaluation of one set of candidate files against one question."""

from __future__ import annotations

import uuid
from functools import cached_property

from django.conf import settings
from django.db import models
from django.db.models import Q

from .result import GradingResult, Suite


class RunStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    ERROR = "error", "Error"  # infrastructure failed after retries; not the candidate's fault


SUITE_CHOICES = [(s.value, s.label) for s in Suite]


class GradingRun(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    question = models.ForeignKey("assessments.Question", on_delete=models.PROTECT, related_name="grading_runs")
    attempt = models.ForeignKey("assessments.Attempt", on_delete=models.CASCADE, null=True, blank=True,
                                related_name="grading_runs")
    submission = models.ForeignKey("assessments.Submission", on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="grading_runs")
    suite = models.CharField(max_length=10, choices=SUITE_CHOICES)
    candidate_files = models.JSONField(help_text="{file name: text} graded by this run")
    status = models.CharField(max_length=10, choices=RunStatus.choices, default=RunStatus.QUEUED)
    queue = models.CharField(max_length=40)
    # Each delivery that takes the run bumps this; a result is stored only by the delivery that
    # holds the current number, so a redelivered task can never write twice.
    deliveries = models.PositiveIntegerField(default=0)
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    worker = models.CharField(max_length=200, blank=True)
    backend = models.CharField(max_length=20, blank=True)
    image = models.CharField(max_length=200, blank=True)
    verdict = models.CharField(max_length=20, blank=True)
    score = models.FloatField(null=True, blank=True)
    result = models.JSONField(null=True, blank=True)
    error = models.TextField(blank=True)
    timings = models.JSONField(default=dict, blank=True)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True)
    # The hand-off to the broker: when it last took the run's message and how often. A run the broker lost
    # (a restart without persistence, a publish that failed) is published again by the reconciler.
    published_at = models.DateTimeField(null=True, blank=True)
    publishes = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "created_at"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["done", "error"], finished_at__isnull=False)
                | Q(status__in=["queued", "running"], finished_at__isnull=True),
                name="gradingrun_finished_iff_final",
            ),
            models.CheckConstraint(condition=~Q(status="done") | Q(result__isnull=False),
                                   name="gradingrun_done_has_result"),
        ]

    def __str__(self) -> str:
        return f"{self.question.slug} {self.suite} run {self.id} ({self.status})"

    @property
    def is_final(self) -> bool:
        return self.status in (RunStatus.DONE, RunStatus.ERROR)

    @cached_property
    def grading_result(self) -> GradingResult | None:
        """The stored result, typed (graders.result); None until the run is done."""
        return GradingResult.from_json(self.result) if self.result else None


class GoldRun(models.Model):
    """One gold regrade of one lab (graders.gold): what it was graded under and what changed against the gold
    verdicts before it. Written only when the lab was graded, not when its fingerprint was unchanged."""

    lab = models.CharField(max_length=100)
    reason = models.CharField(max_length=200, help_text="baseline, forced, or which part of the fingerprint changed")
    baseline = models.BooleanField(default=False, help_text="the lab's first gold run: nothing to compare with")
    fingerprint = models.CharField(max_length=64, help_text="digest of the four parts below and the harness")
    lab_hash = models.CharField(max_length=64, help_text="every file of the lab folder, in path order")
    harness_hash = models.CharField(max_length=64)
    backend = models.CharField(max_length=20)
    image = models.CharField(max_length=300, blank=True, help_text="Docker image tag, or the local backend's Python")
    image_id = models.CharField(max_length=100, blank=True, help_text="Docker image id, or a hash of that Python's "
                                                                      "version and packages")
    verdicts = models.PositiveIntegerField(default=0)
    changed = models.PositiveIntegerField(default=0, help_text="verdicts that differ from the gold before")
    problems = models.PositiveIntegerField(default=0, help_text="solutions not getting what their kind must")
    changes = models.JSONField(default=list, blank=True)
    drift = models.BooleanField(default=False, help_text="an alarm was raised for this run")
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField()

    class Meta:
        ordering = ["-finished_at", "-id"]
        indexes = [models.Index(fields=["lab", "-finished_at"])]

    def __str__(self) -> str:
        return f"gold {self.lab} {self.finished_at:%Y-%m-%d %H:%M} ({'DRIFT' if self.drift else self.reason})"


class GoldVerdict(models.Model):
    """The gold verdict of one shipped solution of a lab on one suite, and the fingerprint it was graded under."""

    lab = models.CharField(max_length=100)
    variant = models.CharField(max_length=200, help_text='"reference", "starter" or "<kind>/<file>"')
    suite = models.CharField(max_length=10, choices=SUITE_CHOICES)
    kind = models.CharField(max_length=20)
    verdict = models.CharField(max_length=20)
    score = models.FloatField()
    problem = models.TextField(blank=True, help_text="what its kind must get and did not (empty: as it must)")
    fingerprint = models.CharField(max_length=64)
    lab_hash = models.CharField(max_length=64)
    backend = models.CharField(max_length=20)
    image = models.CharField(max_length=300, blank=True)
    image_id = models.CharField(max_length=100, blank=True)
    run = models.ForeignKey(GoldRun, on_delete=models.SET_NULL, null=True, blank=True, related_name="gold_verdicts")
    graded_at = models.DateTimeField()

    class Meta:
        ordering = ["lab", "variant", "suite"]
        # Two regrades racing to write a lab's first baseline: the second insert fails instead of doubling it.
        constraints = [models.UniqueConstraint(fields=["lab", "variant", "suite"], name="goldverdict_one_per_solution")]

    def __str__(self) -> str:
        return f"{self.lab} {self.variant} {self.suite}: {self.verdict} {self.score:.3f}"


class WorkerPresence(models.Model):
    """A Celery worker's heartbeat (graders.presence): what it consumes and whether its sandbox can run a job.
    Written by the worker's main process every WORKER_HEARTBEAT_S; a row not refreshed for three beats is a worker
    that stopped or lost the database."""

    hostname = models.CharField(max_length=200, unique=True)
    queues = models.CharField(max_length=500, blank=True, help_text="the queues it consumes, comma-separated")
    sandbox_backend = models.CharField(max_length=20, blank=True)
    sandbox_ok = models.BooleanField(default=False, help_text="its sandbox engine answers and its image is present")
    sandbox_detail = models.CharField(max_length=500, blank=True)
    sandbox_image = models.CharField(max_length=300, blank=True)
    started_at = models.DateTimeField()
    last_seen = models.DateTimeField()

    class Meta:
        ordering = ["hostname"]
        permissions = [("view_operations", "Can read the operations page: queues, workers, overdue runs, sweeps")]

    def __str__(self) -> str:
        return f"{self.hostname} (seen {self.last_seen:%Y-%m-%d %H:%M:%S})"

    @property
    def queue_list(self) -> list[str]:
        return [q for q in self.queues.split(",") if q]


class PeriodicRun(models.Model):
    """When a periodic task of the beat schedule last finished, and how: the operations page's "last sweep"."""

    name = models.CharField(max_length=200, unique=True, help_text="the task's name, e.g. graders.reconcile_runs")
    last_finished = models.DateTimeField()
    last_outcome = models.CharField(max_length=300, help_text='"success", "retry: …" or "failure: <exception>"')

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name}: {self.last_outcome} at {self.last_finished:%Y-%m-%d %H:%M:%S}"

"""Retention: who is due, what an erasure leaves (nothing personal, anywhere in the database), and what it keeps
(the scores), through the service, the command and the periodic task."""

from __future__ import annotations

import io
import json
from datetime import timedelta

import pytest
from django.apps import apps
from django.conf import settings
from django.contrib.admin.models import CHANGE
from django.contrib.admin.models import LogEntry as AdminLogEntry
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.db import connection, models
from django.urls import reverse
from django.utils import timezone

from assessments.models import (
    AutomatedScore,
    Candidate,
    DimensionScore,
    IntegrityEvent,
    Response,
    ResponseSnapshot,
    RetentionPolicy,
    Scorecard,
    Submission,
)
from assessments.services import candidate_create, invitation_create
from audit.models import AuditEvent
from graders.models import GradingRun
from ops.retention import retention_due, retention_run
from ops.tasks import retention_run_task

from .conftest import EMAIL, MARKER, NAME, make_candidate

pytestmark = pytest.mark.django_db

NEEDLES = (NAME, NAME.split()[1], EMAIL, MARKER)


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bytes | memoryview):
        return bytes(value).decode("utf-8", "replace")
    return value if isinstance(value, str) else json.dumps(value, default=str)


def _orm_hits(needles) -> set[str]:
    """Every text, char and JSON column of every model of every installed app (auditlog, axes, sessions, ...)."""
    hits = set()
    for model in apps.get_models(include_auto_created=True):
        if not model._meta.managed or model._meta.proxy:
            continue
        fields = [f for f in model._meta.concrete_fields
                  if isinstance(f, models.CharField | models.TextField | models.JSONField)]
        for row in model._base_manager.values_list("pk", *[f.attname for f in fields]):
            for field, value in zip(fields, row[1:], strict=True):
                for needle in needles:
                    if needle.lower() in _text(value).lower():
                        hits.add(f"{model._meta.label}.{field.name} ({needle})")
    return hits


def _raw_hits(needles) -> set[str]:
    """Every column of every table the database holds, models or not."""
    hits = set()
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608 - names from introspection
            columns = [c[0] for c in cursor.description]
            for row in cursor.fetchall():
                for column, value in zip(columns, row, strict=True):
                    for needle in needles:
                        if needle.lower() in _text(value).lower():
                            hits.add(f"{table}.{column} ({needle})")
    return hits


def _open_pages_as_staff(client, world, staff) -> None:
    client.force_login(staff["admin"])
    assert client.get(reverse("report-attempt", args=[world.attempt.pk])).status_code == 200
    assert client.get(reverse("admin:assessments_candidate_change", args=[world.candidate.pk])).status_code == 200
    assert client.get(reverse("admin:assessments_attempt_change", args=[world.attempt.pk])).status_code == 200
    assert client.get(reverse("privacy-candidate", args=[world.candidate.pk])).status_code == 200
    client.force_login(staff["interviewer"])
    assert client.get(reverse("scoring-attempt", args=[world.attempt.pk])).status_code == 200


def test_after_the_purge_no_table_holds_the_name_the_email_or_the_answers_and_scores_still_count(
        client, world, staff):
    _open_pages_as_staff(client, world, staff)
    assert AuditEvent.objects.filter(candidate_code=world.candidate.code, action="read").count() >= 3
    # A change logged by the Django admin while a candidate's str() still carried their name (before 0007).
    AdminLogEntry.objects.create(user=staff["admin"], content_type=ContentType.objects.get_for_model(Candidate),
                                 object_id=str(world.candidate.pk), object_repr=f"{NAME} ({world.candidate.code})",
                                 action_flag=CHANGE, change_message="[]")
    before = _raw_hits(NEEDLES)
    # The data really was everywhere (else this test would prove nothing).
    for where in ("assessments_candidate.full_name", "assessments_candidate.email", "assessments_candidate.notes",
                  "assessments_response.body", "assessments_submission.body", "assessments_responsesnapshot.body",
                  "graders_gradingrun.candidate_files", "graders_gradingrun.result",
                  "assessments_automatedscore.details", "assessments_scorecard.summary",
                  "assessments_scorecard.notes", "assessments_scorecard.amendment_reason",
                  "assessments_dimensionscore.evidence"):
        assert any(hit.startswith(where) for hit in before), where
    attempt_id = world.attempt.pk
    score_before = AutomatedScore.objects.get(submission__attempt_id=attempt_id)
    levels_before = sorted(DimensionScore.objects.filter(scorecard__attempt_id=attempt_id)
                           .values_list("level__score", flat=True))

    report = retention_run()

    assert report.erased == [world.candidate.code] and not report.failed
    assert _orm_hits(NEEDLES) == set()
    assert _raw_hits(NEEDLES) == set()
    # Scores stay, so reports and calibration still count the attempt.
    score = AutomatedScore.objects.get(submission__attempt_id=attempt_id)
    assert (score.verdict, score.score) == (score_before.verdict, score_before.score) == ("failed", 0.6)
    assert score.details["tests"] == [{"name": "test_add", "outcome": "failed"}]
    assert score.details["benchmarks"]["latency"]["score"] == 0.25
    assert sorted(DimensionScore.objects.filter(scorecard__attempt_id=attempt_id)
                  .values_list("level__score", flat=True)) == levels_before == [2, 2]
    assert sorted(Scorecard.objects.filter(attempt_id=attempt_id).values_list("status", "recommendation")) == [
        ("submitted", "strong_yes"), ("submitted", "yes")]
    assert GradingRun.objects.filter(attempt_id=attempt_id, verdict="failed").count() == 2
    hidden = GradingRun.objects.get(attempt_id=attempt_id, suite="hidden")
    assert (hidden.score, hidden.candidate_files, hidden.grading_result.tests[0].outcome) == (0.6, {}, "failed")
    assert Submission.objects.filter(attempt_id=attempt_id).count() == 2
    assert not ResponseSnapshot.objects.filter(attempt_id=attempt_id).exists()
    event = IntegrityEvent.objects.get(attempt_id=attempt_id)
    assert (event.kind, event.chars, event.client_at) == ("paste", None, None)
    candidate = Candidate.objects.get(pk=world.candidate.pk)
    assert (candidate.full_name, candidate.email, candidate.code) == (
        "Erased candidate", f"erased+{candidate.code.lower()}@invalid", world.candidate.code)
    assert candidate.erased_at is not None
    erase = AuditEvent.objects.get(action="erase", candidate_id=candidate.pk)
    assert erase.candidate_code == candidate.code and erase.actor is None and "retention" in erase.what
    # The pages still work on what is left, and reading them brings nothing back.
    client.force_login(staff["admin"])
    page = client.get(reverse("report-attempt", args=[attempt_id]))
    assert page.status_code == 200 and "Erased candidate" in page.content.decode()
    assert _raw_hits(NEEDLES) == set()
    # A second pass has nothing left to do.
    assert retention_run().erased == []


def test_a_dry_run_reports_the_same_candidates_and_changes_nothing(world, mini_track,
                                                                   django_capture_on_commit_callbacks):
    recent = make_candidate(track=mini_track, name="Recent Person", email="recent@example.org", marker="RECENT1",
                            capture=django_capture_on_commit_callbacks)
    rows = {m: list(m.objects.order_by("pk").values()) for m in (Candidate, Response, Submission, GradingRun)}
    events = AuditEvent.objects.count()

    dry = retention_run(dry_run=True)

    assert [d.code for d in dry.due] == [world.candidate.code] and dry.erased == []
    assert {m: list(m.objects.order_by("pk").values()) for m in rows} == rows
    assert AuditEvent.objects.count() == events
    assert dry.lines()[-1] == "1 candidate(s) would be erased (dry run: nothing changed)"
    real = retention_run()
    assert real.due == dry.due and real.erased == [world.candidate.code]
    assert Candidate.objects.get(pk=recent.candidate.pk).full_name == "Recent Person"  # not yet due: untouched
    assert Response.objects.filter(attempt=recent.attempt, body__contains="RECENT1").exists()


def test_the_track_policy_overrides_the_default_and_zero_keeps_forever(world, settings):
    settings.RETENTION_DEFAULT_DAYS = 365
    assert [d.code for d in retention_due()] == [world.candidate.code]  # 400 days > 365
    RetentionPolicy.objects.create(track_slug="mini", purge_after_days=500)
    assert retention_due() == []
    RetentionPolicy.objects.filter(track_slug="mini").update(purge_after_days=30)
    (due,) = retention_due()
    assert "kept 30 days (track policy)" in due.why and due.tracks == ("mini",)
    RetentionPolicy.objects.filter(track_slug="mini").update(purge_after_days=0)
    assert retention_due() == []
    RetentionPolicy.objects.all().delete()
    settings.RETENTION_DEFAULT_DAYS = 0
    assert retention_due() == [] and retention_run().erased == []
    assert Candidate.objects.get(pk=world.candidate.pk).full_name == NAME


def test_unused_invitations_count_from_their_expiry_and_open_ones_keep_the_candidate(mini_track, settings):
    settings.RETENTION_DEFAULT_DAYS = 30
    now = timezone.now()
    lapsed = candidate_create(full_name="Never Started", email="never@example.org")
    invitation_create(candidate=lapsed, track=mini_track, expires_at=now - timedelta(days=31))
    waiting = candidate_create(full_name="Still Invited", email="waiting@example.org")
    invitation_create(candidate=waiting, track=mini_track, expires_at=now - timedelta(days=31))
    invitation_create(candidate=waiting, track=mini_track, expires_at=now + timedelta(days=3))  # a second chance
    recent = candidate_create(full_name="Recently Lapsed", email="recent@example.org")
    invitation_create(candidate=recent, track=mini_track, expires_at=now - timedelta(days=2))

    (due,) = retention_due()
    assert due.code == lapsed.code and due.why.startswith("invitation expired unused on mini")
    retention_run()
    assert Candidate.objects.get(pk=lapsed.pk).email == f"erased+{lapsed.code.lower()}@invalid"
    assert Candidate.objects.get(pk=waiting.pk).full_name == "Still Invited"
    assert Candidate.objects.get(pk=recent.pk).full_name == "Recently Lapsed"


def test_an_exam_in_progress_is_never_due(mini_track, settings):
    from assessments.services import attempt_start

    settings.RETENTION_DEFAULT_DAYS = 1
    candidate = candidate_create(full_name="Busy Bee", email="busy@example.org")
    invitation = invitation_create(candidate=candidate, track=mini_track)
    attempt_start(invitation=invitation, now=timezone.now() - timedelta(days=3))
    assert retention_due() == []


def test_the_command_prints_one_line_per_candidate_and_a_total(world):
    out = io.StringIO()
    call_command("retention", "--dry-run", stdout=out)
    lines = out.getvalue().splitlines()
    assert lines[0].startswith(f"{world.candidate.code}  mini  attempt submitted on mini ")
    assert "kept 365 days (site default)" in lines[0]
    assert lines[-1] == "1 candidate(s) would be erased (dry run: nothing changed)"
    assert Candidate.objects.get(pk=world.candidate.pk).full_name == NAME
    out = io.StringIO()
    call_command("retention", stdout=out)
    assert out.getvalue().splitlines()[-1] == "1 candidate(s) erased"
    assert Candidate.objects.get(pk=world.candidate.pk).full_name == "Erased candidate"


def test_the_daily_task_is_scheduled_and_erases(world):
    from assessments.tasking import TASKS

    (entry,) = [e for e in settings.CELERY_BEAT_SCHEDULE.values() if e["task"] == "ops.retention_run"]
    assert entry["schedule"] == 24 * 60 * 60 and TASKS["ops.retention_run"].queue == "default"
    assert retention_run_task.apply().get() == {"erased": 1, "skipped": 0, "failed": 0}
    assert Candidate.objects.get(pk=world.candidate.pk).erased_at is not None

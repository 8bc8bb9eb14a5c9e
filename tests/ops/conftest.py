"""A candidate with data in every place personal data can be: answers, snapshots, grading runs, signals, scores."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from assessments import roles, services
from assessments.models import Attempt, Candidate, Question, Track
from assessments.services import ScoreInput
from graders import services as run_services
from graders.result import BenchmarkResult, GradingResult, Outcome, Suite, TestResult, Verdict
from tests.factories import UserFactory

NAME = "Zebulon Quxworth"
EMAIL = "zebulon.quxworth@example.org"
MARKER = "QXMARKER7781"


@pytest.fixture
def mini_track(db, content_root) -> Track:
    services.content_sync(exercises_dir=content_root / "exercises", rubrics_dir=content_root / "rubrics")
    roles.roles_ensure()
    return Track.objects.get(slug="mini", is_current=True)


@pytest.fixture
def staff(mini_track):
    admin = UserFactory(username="root", is_superuser=True, is_staff=True, role=roles.ADMIN)
    interviewer = UserFactory(username="ivy", role=roles.INTERVIEWER)
    manager = UserFactory(username="meg", role=roles.HIRING_MANAGER)
    services.track_manager_add(track_slug=mini_track.slug, user=manager)
    return {"admin": admin, "interviewer": interviewer, "manager": manager}


@dataclass
class World:
    candidate: Candidate
    attempt: Attempt
    written: Question
    coding: Question
    token: str


def _result(suite: str, verdict: Verdict, score: float, marker: str) -> GradingResult:
    return GradingResult(
        suite=Suite(suite), verdict=verdict, score=score,
        tests=(TestResult("test_add", Outcome.FAILED if verdict != Verdict.PASSED else Outcome.PASSED,
                          f"assert add(2, 3) == 5, got '{marker}'"),),
        benchmarks={"latency": BenchmarkResult(kind="latency", passed=False, score=0.25, summary=f"stopped: {marker}",
                                               figures={"error": f"Traceback: {marker}", "ratio": 1.7,
                                                        "errors": [f"{marker} failed"]})},
        candidate_output=f"printed {marker}", harness_error=f"harness saw {marker}", notes=(f"note {marker}",),
        sandbox={"backend": "local", "stderr_tail": f"stderr {marker}", "exit_code": 0}, host_seconds=1.0)


def make_candidate(*, track: Track, interviewer=None, name: str = NAME, email: str = EMAIL, marker: str = MARKER,
                   submitted_at: datetime | None = None, capture=None) -> World:
    """A submitted attempt (at `submitted_at`, default now) with the marker in every kind of text it can hold."""
    now = timezone.now()
    submitted_at = submitted_at or now
    started = submitted_at - timedelta(minutes=30)
    candidate = services.candidate_create(full_name=name, email=email, notes=f"Referred by {marker}")
    invitation = services.invitation_create(candidate=candidate, track=track, expires_at=now + timedelta(days=7))
    attempt = services.attempt_start(invitation=invitation, now=started)
    written = Question.objects.get(slug="explain-ctc", is_current=True)
    coding = Question.objects.get(slug="add-two", is_current=True)
    services.response_save(attempt=attempt, question=written, body=f"CTC by {name}: {marker}", base_revision=0,
                           now=started + timedelta(minutes=1))
    code = f"def add(a, b):\n    print('{marker}')\n    return a + b\n"
    services.response_save(attempt=attempt, question=coding, body=code, base_revision=0,
                           now=started + timedelta(minutes=2))
    services.integrity_event_record(attempt=attempt, kind="paste", question=written, chars=7781,
                                    now=started + timedelta(minutes=3), client_at=started + timedelta(minutes=3))
    with capture(execute=False):
        visible = run_services.grading_run_create(question=coding, attempt=attempt, suite="visible",
                                                  candidate_files={"solution.py": code})
    _, delivery = run_services.grading_run_claim(run_id=str(visible.pk))
    run_services.grading_run_store_result(run_id=str(visible.pk), delivery=delivery, backend="local", image="",
                                          result=_result("visible", Verdict.FAILED, 0.0, marker))
    submissions = services.attempt_submit(attempt=attempt, now=submitted_at)
    attempt.refresh_from_db()
    with capture(execute=False):
        (hidden,) = run_services.submission_runs_create(attempt=attempt, submissions=submissions)
    _, delivery = run_services.grading_run_claim(run_id=str(hidden.pk))
    run_services.grading_run_store_result(run_id=str(hidden.pk), delivery=delivery, backend="local", image="",
                                          result=_result("hidden", Verdict.FAILED, 0.6, marker))
    if interviewer is not None:
        services.assignment_create(attempt=attempt, interviewer=interviewer, question=written)
        card = services.scorecard_open(attempt=attempt, interviewer=interviewer)
        services.scorecard_save(scorecard=card, by=interviewer, recommendation="yes", summary=f"Summary: {marker}",
                                notes={written.pk: f"Live note on {name}: {marker}"},
                                scores=[ScoreInput(question_id=written.pk, dimension_slug="depth", level=2,
                                                   evidence=f"Evidence quoting {marker}")])
        services.scorecard_submit(scorecard=card, by=interviewer)
        amended = services.scorecard_amend(scorecard=card, by=interviewer, reason=f"Reconsidered {marker}")
        services.scorecard_save(scorecard=amended, by=interviewer, recommendation="strong_yes",
                                summary=f"Amended: {marker}",
                                scores=[ScoreInput(question_id=written.pk, dimension_slug="depth", level=2,
                                                   evidence=f"Still {marker}")])
        services.scorecard_submit(scorecard=amended, by=interviewer)
    return World(candidate=candidate, attempt=attempt, written=written, coding=coding, token=invitation.token)


@pytest.fixture
def world(mini_track, staff, django_capture_on_commit_callbacks) -> World:
    return make_candidate(track=mini_track, interviewer=staff["interviewer"],
                          capture=django_capture_on_commit_callbacks, submitted_at=timezone.now() - timedelta(days=400))

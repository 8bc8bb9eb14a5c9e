"""assessments' own erasure: a deliberate way past the submissions' immutability, scores kept, text gone."""

from __future__ import annotations

import pytest

from assessments.models import ImmutableRecordError, Submission
from assessments.services import (
    attempt_start,
    attempt_submit,
    candidate_purge,
    response_save,
    result_text_scrub,
    submission_automated_score_record,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def submitted(invitation):
    attempt = attempt_start(invitation=invitation)
    from assessments.models import Question

    question = Question.objects.get(slug="add-two", is_current=True)
    response_save(attempt=attempt, question=question, body="def add(a, b): return a + b  # Grace", base_revision=0)
    submissions = attempt_submit(attempt=attempt)
    (coding,) = [s for s in submissions if s.question_id == question.pk]
    submission_automated_score_record(submission=coding, verdict="passed", score=1.0, source="test",
                                      details={"verdict": "passed", "score": 1.0,
                                               "tests": [{"name": "test_add", "outcome": "passed"}],
                                               "benchmarks": {"latency": {"passed": True, "score": 1.0, "ratio": 0.9,
                                                                          "summary": "Grace's output"}}})
    return attempt, coding


def test_submissions_refuse_bulk_changes_but_the_erasure(submitted):
    attempt, coding = submitted
    with pytest.raises(ImmutableRecordError):
        Submission.objects.filter(pk=coding.pk).update(body="changed")
    with pytest.raises(ImmutableRecordError):
        Submission.objects.filter(pk=coding.pk).delete()
    assert Submission.objects.filter(attempt=attempt).erase_bodies() == 2
    coding.refresh_from_db()
    assert coding.body == "" and coding.content_hash == Submission.hash_body("")


def test_the_purge_keeps_the_scores_and_drops_the_text(submitted):
    attempt, coding = submitted
    candidate = attempt.invitation.candidate
    report = candidate_purge(candidate=candidate)
    assert (report.code, report.submissions, report.automated_scores) == (candidate.code, 2, 1)
    candidate.refresh_from_db()
    assert (candidate.full_name, candidate.notes) == ("Erased candidate", "") and "grace" not in candidate.email
    score = coding.automated_score
    score.refresh_from_db()
    assert (score.verdict, score.score) == ("passed", 1.0)
    assert score.details["benchmarks"]["latency"] == {"passed": True, "score": 1.0, "ratio": 0.9, "summary": ""}
    assert candidate_purge(candidate=candidate).submissions == 2  # safe to run twice


def test_result_scrub_keeps_numbers_and_the_grading_vocabulary_only():
    stored = {"schema": 1, "suite": "hidden", "verdict": "failed", "score": 0.5, "candidate_output": "hi from me",
              "tests": [{"name": "test_x[1-2]", "outcome": "failed", "message": "got 'me'"}],
              "benchmarks": {"wer": {"passed": False, "score": 0.2, "errors": ["me crashed"], "summary": "me",
                                     "candidate": {"slices": {"general": {"wer": 0.3}}}}},
              "core_failed": ["test_x"], "notes": ["me"], "sandbox": {"termination": "ok", "stderr_tail": "me"}}
    assert result_text_scrub(stored) == {
        "schema": 1, "suite": "hidden", "verdict": "failed", "score": 0.5, "candidate_output": "",
        "tests": [{"name": "test_x[1-2]", "outcome": "failed", "message": ""}],
        "benchmarks": {"wer": {"passed": False, "score": 0.2, "errors": [], "summary": "",
                               "candidate": {"slices": {"general": {"wer": 0.3}}}}},
        "core_failed": ["test_x"], "notes": [], "sandbox": {"termination": "ok", "stderr_tail": ""}}

"""Submission -> on_commit -> Celery over Redis -> a real worker -> the sandbox -> result stored."""

from __future__ import annotations

import pytest
from django.db import transaction

from assessments.models import Question
from graders.models import GradingRun, RunStatus
from graders.services import grading_run_create
from tests.workers import wait_for

pytestmark = pytest.mark.django_db(transaction=True)

EXERCISE = "ctc-greedy-decode"


def _files(variant: str) -> dict[str, str]:
    from django.conf import settings

    return {"solution.py": (settings.CONTENT_EXERCISES_DIR / EXERCISE / variant).read_text()}




def _final(run_id, timeout=240):
    return wait_for(lambda: (r := GradingRun.objects.get(pk=run_id)).is_final and r, timeout, interval=0.5)


@pytest.mark.slow
def test_submitted_exam_is_graded_for_every_coding_lab(grading_worker):
    """The seed's find-the-bug lab answered with its buggy starter, every other lab with its reference."""
    from assessments.models import AutomatedScore, SectionQuestion, Track
    from assessments.services import attempt_start, attempt_submit, candidate_create, invitation_create, response_save

    proc, log = grading_worker
    track = Track.objects.get(slug="advanced-ml-speech", is_current=True)
    invitation = invitation_create(candidate=candidate_create(full_name="Ada L", email="ada@example.com"),
                                   track=track)
    attempt = attempt_start(invitation=invitation)
    coding = [i.question for i in SectionQuestion.objects.filter(section__track=track).select_related("question")
              if i.question.is_coding]
    assert len(coding) >= 5
    expected = {}
    for q in coding:
        variant = "starter/solution.py" if q.slug == "softmax-cross-entropy-bug" else "reference/solution.py"
        response_save(attempt=attempt, question=q, body=q.files.files[variant], base_revision=0)
        expected[q.slug] = "failed" if variant.startswith("starter") else "passed"
    response_save(attempt=attempt, question=next(i.question for i in SectionQuestion.objects.filter(
        section__track=track) if not i.question.is_coding), body="CTC assumes monotonic alignment...",
        base_revision=0)
    with transaction.atomic():
        attempt_submit(attempt=attempt)
    runs = list(GradingRun.objects.filter(attempt=attempt))
    assert sorted(r.question.slug for r in runs) == sorted(expected)  # one hidden run per coding lab
    finals = {r.question.slug: _final(r.pk, timeout=600) for r in runs}
    assert all(finals.values()), f"runs did not finish; worker log:\n{log.read_text()[-4000:]}"
    for slug, run in finals.items():
        assert run.status == RunStatus.DONE and run.suite == "hidden", slug
        assert run.verdict == expected[slug], (slug, run.verdict, run.result.get("benchmarks"), run.error)
        score = AutomatedScore.objects.get(submission=run.submission)
        assert (score.verdict, score.score, score.source) == (run.verdict, run.score, f"grading-run:{run.pk}")
    assert finals["softmax-cross-entropy-bug"].score < 1.0
    assert "latency" in finals["log-mel-frames"].result["benchmarks"]
    # Submitting again queues nothing more.
    attempt_submit(attempt=attempt)
    assert GradingRun.objects.filter(attempt=attempt).count() == len(expected)


def test_runs_are_graded_by_a_real_worker_and_stored(grading_worker):
    proc, log = grading_worker
    question = Question.objects.get(slug=EXERCISE, is_current=True)
    with transaction.atomic():
        right = grading_run_create(question=question, candidate_files=_files("reference/solution.py"), suite="hidden")
        wrong = grading_run_create(question=question, suite="hidden",
                                   candidate_files=_files("variants/core/remove_blanks_before_collapse.py"))
        visible = grading_run_create(question=question, candidate_files=_files("starter/solution.py"), suite="visible")
        # Nothing is queued before the transaction commits.
        assert GradingRun.objects.filter(status=RunStatus.QUEUED).count() == 3
    runs = {name: _final(run.pk) for name, run in (("right", right), ("wrong", wrong), ("visible", visible))}
    assert all(runs.values()), f"runs did not finish; worker log:\n{log.read_text()[-4000:]}"
    r, w, v = runs["right"], runs["wrong"], runs["visible"]
    assert (r.status, r.verdict, r.score) == (RunStatus.DONE, "passed", 1.0)
    assert r.deliveries == 1 and r.result["suite"] == "hidden" and len(r.result["tests"]) > 20
    assert r.backend in ("docker", "local") and r.worker
    # The lab's central mistake: a core check fails and caps the score, whatever details passed.
    assert (w.status, w.verdict) == (RunStatus.DONE, "failed") and 0 < w.score <= 0.3
    assert any(name.startswith("test_collapse_then_remove_blanks") for name in w.result["core_failed"])
    # The starter raises NotImplementedError: the visible suite reports every test failed.
    assert v.verdict == "failed" and v.score == 0.0 and v.result["suite"] == "visible"


def test_redelivered_task_never_runs_or_writes_twice(grading_worker):
    from graders.tasks import grade_run

    question = Question.objects.get(slug=EXERCISE, is_current=True)
    with transaction.atomic():
        run = grading_run_create(question=question, candidate_files=_files("reference/solution.py"), suite="visible")
    done = _final(run.pk)
    assert done and done.status == RunStatus.DONE
    stamp = (done.finished_at, done.deliveries, done.result)
    # The broker delivers the same message again (e.g. after a lost ack): the worker must skip it.
    grade_run.apply_async(args=[str(run.pk)], queue="grading-cpu")
    grade_run.apply_async(args=[str(run.pk)], queue="grading-cpu")
    proc, log = grading_worker
    assert wait_for(lambda: log.read_text().count("skip: run") >= 2, 60), log.read_text()[-3000:]
    again = GradingRun.objects.get(pk=run.pk)
    assert (again.finished_at, again.deliveries, again.result) == stamp

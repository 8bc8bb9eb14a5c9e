"""Submission -> on_commit -> Celery over Redis -> a real worker -> the sandbox -> result stored."""

from __future__ import annotations

import pytest
from django.db import transaction

from assessments.models import Question
from graders.models import GradingRun, RunStatus
from graders.services import grading_run_create
from tests.conftest import require_service
from tests.workers import (
    REDIS_URL,
    database_url_for_tests,
    redis_available,
    start_worker,
    stop_worker,
    use_broker,
    wait_for,
)

pytestmark = pytest.mark.django_db(transaction=True)

EXERCISE = "ctc-greedy-decode"


def _files(variant: str) -> dict[str, str]:
    from django.conf import settings

    return {"solution.py": (settings.CONTENT_EXERCISES_DIR / EXERCISE / variant).read_text()}


@pytest.fixture
def grading_worker(tmp_path, synced_content):
    ok, why = redis_available()
    require_service("Redis", ok, why)
    log = tmp_path / "worker.log"
    proc = start_worker(log, queues="grading-cpu", env={"CELERY_BROKER_URL": REDIS_URL,
                                                         "DATABASE_URL": database_url_for_tests()})
    with use_broker(REDIS_URL):
        yield proc, log
    stop_worker(proc)


def _final(run_id, timeout=240):
    return wait_for(lambda: (r := GradingRun.objects.get(pk=run_id)).is_final and r, timeout, interval=0.5)


def test_runs_are_graded_by_a_real_worker_and_stored(grading_worker):
    proc, log = grading_worker
    question = Question.objects.get(slug=EXERCISE, is_current=True)
    with transaction.atomic():
        right = grading_run_create(question=question, candidate_files=_files("reference/solution.py"), suite="hidden")
        wrong = grading_run_create(question=question, suite="hidden",
                                   candidate_files=_files("variants/wrong/remove_blanks_before_collapse.py"))
        visible = grading_run_create(question=question, candidate_files=_files("starter/solution.py"), suite="visible")
        # Nothing is queued before the transaction commits.
        assert GradingRun.objects.filter(status=RunStatus.QUEUED).count() == 3
    runs = {name: _final(run.pk) for name, run in (("right", right), ("wrong", wrong), ("visible", visible))}
    assert all(runs.values()), f"runs did not finish; worker log:\n{log.read_text()[-4000:]}"
    r, w, v = runs["right"], runs["wrong"], runs["visible"]
    assert (r.status, r.verdict, r.score) == (RunStatus.DONE, "passed", 1.0)
    assert r.deliveries == 1 and r.result["suite"] == "hidden" and len(r.result["tests"]) > 20
    assert r.backend in ("docker", "local") and r.worker
    assert (w.status, w.verdict) == (RunStatus.DONE, "failed") and 0 < w.score < 1
    failing = {t["name"] for t in w.result["tests"] if t["outcome"] == "failed"}
    assert any("blank" in name for name in failing)
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

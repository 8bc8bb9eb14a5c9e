"""A worker killed mid-job: the run is taken over by another worker, finished once, never lost."""

from __future__ import annotations

import signal
import subprocess

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

SLOW_BUT_RIGHT = "import time\n\ndef add(a, b):\n    time.sleep(3)\n    return a + b\n"


@pytest.mark.slow
def test_killed_worker_job_is_retried_and_stored_exactly_once(tmp_path, content_root):
    ok, why = redis_available()
    require_service("Redis", ok, why)
    from assessments.services import content_sync

    content_sync(exercises_dir=content_root / "exercises", rubrics_dir=content_root / "rubrics")
    question = Question.objects.get(slug="add-two", is_current=True)  # wall 20 s
    env = {"CELERY_BROKER_URL": REDIS_URL, "DATABASE_URL": database_url_for_tests(),
           "CELERY_VISIBILITY_TIMEOUT": "3", "GRADING_LEASE_GRACE_S": "1"}
    log = tmp_path / "workers.log"
    first = start_worker(log, queues="grading-cpu", env=env)
    second = None
    try:
        with use_broker(REDIS_URL), transaction.atomic():
            run = grading_run_create(question=question, candidate_files={"solution.py": SLOW_BUT_RIGHT},
                                     suite="hidden")
        assert wait_for(lambda: GradingRun.objects.get(pk=run.pk).status == RunStatus.RUNNING, 60), log.read_text()
        stop_worker(first, signal.SIGKILL)  # the worker dies mid-job; its ack never happens
        second = start_worker(log, queues="grading-cpu", env=env)
        done = wait_for(lambda: (r := GradingRun.objects.get(pk=run.pk)).is_final and r, 180, interval=0.5)
        assert done, f"run was lost: {GradingRun.objects.get(pk=run.pk).status}\n{log.read_text()[-4000:]}"
        assert (done.status, done.verdict, done.score) == (RunStatus.DONE, "passed", 1.0)
        assert done.deliveries == 2  # the dead worker's delivery, then the one that finished
        # Further redeliveries of the same message find a final run and write nothing.
        stamp = (done.finished_at, done.result)
        assert wait_for(lambda: False, 5) is None
        again = GradingRun.objects.get(pk=run.pk)
        assert (again.finished_at, again.result, again.deliveries) == (*stamp, 2)
    finally:
        for proc in (first, second):
            if proc is not None:
                stop_worker(proc)
        # The dead worker's sandbox container outlived it; the sweep would take it after its age limit.
        subprocess.run(f"docker ps -aq --filter label=interview-track.run={run.pk} | xargs -r docker rm -f",
                       shell=True, capture_output=True)

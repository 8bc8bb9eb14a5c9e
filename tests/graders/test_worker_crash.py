"""A worker killed mid-job: its run is taken over once the lease runs out, finished once, never lost."""

from __future__ import annotations

import signal
import subprocess
import time

import pytest
from django.db import transaction

from assessments.models import Question
from graders.grading import HOST_MARGIN_S
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
    """A whole worker kill -9ed mid-job: the run is taken over once its lease runs out (not after the broker's
    visibility timeout), stored once, and no container of it is left behind."""
    ok, why = redis_available()
    require_service("Redis", ok, why)
    from assessments.services import content_sync

    content_sync(exercises_dir=content_root / "exercises", rubrics_dir=content_root / "rubrics")
    question = Question.objects.get(slug="add-two", is_current=True)  # wall 20 s
    grace = 5
    # The broker's own redelivery stays at its default (1200 s): recovery must come from the lease.
    env = {"CELERY_BROKER_URL": REDIS_URL, "DATABASE_URL": database_url_for_tests(),
           "GRADING_LEASE_GRACE_S": str(grace), "GRADING_RECONCILE_S": "2", "INTERVIEW_TRACK_VAR_DIR": str(tmp_path)}
    log = tmp_path / "workers.log"
    first = start_worker(log, queues="grading-cpu", env=env, name="first@%h")
    second = None
    try:
        with use_broker(REDIS_URL), transaction.atomic():
            run = grading_run_create(question=question, candidate_files={"solution.py": SLOW_BUT_RIGHT},
                                     suite="hidden")
        assert wait_for(lambda: GradingRun.objects.get(pk=run.pk).status == RunStatus.RUNNING, 60), log.read_text()
        stop_worker(first, signal.SIGKILL)  # the whole worker dies mid-job; its ack never happens
        killed = time.monotonic()
        second = start_worker(log, queues="default,grading-cpu", env=env, beat=True, name="second@%h")
        lease = 20 + HOST_MARGIN_S + grace
        done = wait_for(lambda: (r := GradingRun.objects.get(pk=run.pk)).is_final and r, lease + 60, interval=0.5)
        assert done, f"run was lost: {GradingRun.objects.get(pk=run.pk).status}\n{log.read_text()[-4000:]}"
        recovered_s = time.monotonic() - killed
        assert (done.status, done.verdict, done.score) == (RunStatus.DONE, "passed", 1.0)
        assert done.deliveries == 2  # the dead worker's delivery, then the one that finished
        # Further deliveries of the same run find it final and write nothing.
        stamp = (done.finished_at, done.result)
        assert wait_for(lambda: False, 5) is None
        again = GradingRun.objects.get(pk=run.pk)
        assert (again.finished_at, again.result, again.deliveries) == (*stamp, 2)
        if done.backend == "docker":  # the dead delivery's container is swept by the worker that stored the run
            assert wait_for(lambda: not _containers(run.pk), 20), _containers(run.pk)
    finally:
        for proc in (first, second):
            if proc is not None:
                stop_worker(proc)
        subprocess.run(f"docker ps -aq --filter label=interview-track.run={run.pk} | xargs -r docker rm -f",
                       shell=True, capture_output=True)
    print(f"\nwhole worker killed: run stored {recovered_s:.1f} s after the kill (lease {lease} s)")


def _containers(run_id) -> list[str]:
    out = subprocess.run(["docker", "ps", "-aq", "--filter", f"label=interview-track.run={run_id}"],
                         capture_output=True, text=True)
    return out.stdout.split()

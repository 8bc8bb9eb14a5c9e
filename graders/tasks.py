"""Celery tasks: thin, ids only, safe to run twice, retried only on the infrastructure errors the task
table names (assessments.tasking)."""

from __future__ import annotations

import logging

from assessments.tasking import Queue, task
from sandboxes.base import SandboxUnavailable

from . import services
from .backends import get_backend
from .grading import grade
from .jobs import file_bytes
from .models import GradingRun

log = logging.getLogger(__name__)


@task(name="graders.grade_run", queue=Queue.GRADING_CPU, other_queues=(Queue.GRADING_GPU,),
      retry_on=(SandboxUnavailable,), time_limit=20 * 60, bind=True, acks_late=True, reject_on_worker_lost=True,
      max_retries=5, ignore_result=True)
def grade_run(self, run_id: str) -> str:
    try:
        run, delivery = services.grading_run_claim(run_id=run_id, worker=self.request.hostname)
    except services.RunNotAvailable as exc:
        if exc.retry_in is not None:
            log.info("later: %s", exc)
            raise self.retry(countdown=exc.retry_in, max_retries=50) from None
        log.info("skip: %s", exc)
        return "skipped"
    except GradingRun.DoesNotExist:
        log.warning("run %s does not exist (deleted?)", run_id)
        return "missing"
    question = run.question
    backend = get_backend()
    try:
        result = grade(
            backend=backend,
            exercise_files={path: file_bytes(v) for path, v in question.files.files.items()},
            coding=question.coding_config,
            candidate_files={name: text.encode() for name, text in run.candidate_files.items()},
            suite=run.suite, labels={"interview-track.run": str(run.pk)},
        )
    except self.retry_on as exc:
        if self.request.retries >= self.max_retries:
            services.grading_run_fail(run_id=run_id, delivery=delivery, error=f"sandbox unavailable: {exc}")
            return "error"
        services.grading_run_release(run_id=run_id, delivery=delivery, error=f"retrying: {exc}")
        raise self.retry(exc=exc, countdown=min(60, 2 ** self.request.retries * 5)) from exc
    image = getattr(backend, "image", "") if backend.name == "docker" else ""
    stored = services.grading_run_store_result(run_id=run_id, delivery=delivery, result=result,
                                               backend=backend.name, image=image)
    return str(result.verdict) if stored else "superseded"

"""Celery tasks: thin, ids only, safe to run twice, retried only on the infrastructure errors the task
table names (assessments.tasking)."""

from __future__ import annotations

import dataclasses
import logging
import time

from django.conf import settings
from django.db import InterfaceError, OperationalError, close_old_connections

from assessments.tasking import Queue, task
from sandboxes.base import SandboxUnavailable

from . import broker, gold, services
from .backends import DELIVERY_LABEL, RUN_LABEL, get_backend
from .grading import grade
from .jobs import file_bytes
from .models import GradingRun
from .result import GradingResult
from .sweep import sandbox_containers_sweep_now_and_then, sandbox_containers_sweep_safely

log = logging.getLogger(__name__)
DATABASE_ERRORS = (OperationalError, InterfaceError)


def _backoff(retries: int) -> float:
    """Waits between database retries: quick at first, never more than 10 s, so a run goes on within seconds of
    the database coming back."""
    return min(10.0, 2.0 ** retries)


@task(name="graders.grade_run", queue=Queue.GRADING_CPU, other_queues=(Queue.GRADING_VISIBLE, Queue.GRADING_GPU),
      retry_on=(SandboxUnavailable, *DATABASE_ERRORS), time_limit=20 * 60, bind=True, acks_late=True,
      reject_on_worker_lost=True, max_retries=5, ignore_result=True)
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
    except DATABASE_ERRORS as exc:
        # The database is away: nothing was claimed. Try again later; should the retry itself be lost, the
        # run is still queued and the reconciler publishes it again.
        close_old_connections()
        log.warning("database unavailable claiming run %s (retry %d): %s", run_id, self.request.retries, exc)
        raise self.retry(exc=exc, countdown=_backoff(self.request.retries), max_retries=30) from None
    question = run.question
    backend = get_backend()
    try:
        result = grade(
            backend=backend,
            exercise_files={path: file_bytes(v) for path, v in question.files.files.items()},
            coding=services.run_coding(run),
            candidate_files={name: text.encode() for name, text in run.candidate_files.items()},
            suite=run.suite, labels={RUN_LABEL: str(run.pk), DELIVERY_LABEL: str(delivery)},
        )
    except SandboxUnavailable as exc:
        if self.request.retries >= self.max_retries:
            services.grading_run_fail(run_id=run_id, delivery=delivery, error=f"sandbox unavailable: {exc}")
            return "error"
        services.grading_run_release(run_id=run_id, delivery=delivery, error=f"retrying: {exc}")
        raise self.retry(exc=exc, countdown=min(60, 2 ** self.request.retries * 5)) from exc
    image = getattr(backend, "image", "") if backend.name == "docker" else ""
    stored = _store(run_id, delivery, result, backend.name, image)
    if stored:
        sandbox_containers_sweep_safely(run_id=run_id)  # a dead earlier delivery's container, if on this engine
    sandbox_containers_sweep_now_and_then()
    return str(result.verdict) if stored else "superseded"


def _store(run_id: str, delivery: int, result: GradingResult, backend: str, image: str) -> bool:
    """Store the result, waiting out a database outage: a graded job is not thrown away for a blip.

    Gives up after GRADING_STORE_PATIENCE_S; the run then stays running under this delivery's lease, which
    runs out, and the reconciler has it graded again (fenced: it is still stored only once).
    """
    deadline = time.monotonic() + settings.GRADING_STORE_PATIENCE_S
    attempt = 0
    while True:
        try:
            return services.grading_run_store_result(run_id=run_id, delivery=delivery, result=result,
                                                     backend=backend, image=image)
        except DATABASE_ERRORS as exc:
            close_old_connections()
            wait = min(_backoff(attempt), max(0.0, deadline - time.monotonic()))
            if wait <= 0:
                log.error("could not store run %s before giving up: %s", run_id, exc)
                raise
            log.warning("database unavailable storing run %s; again in %.0f s: %s", run_id, wait, exc)
            time.sleep(wait)
            attempt += 1


@task(name="graders.reconcile_runs", queue=Queue.DEFAULT, time_limit=120, ignore_result=True)
def reconcile_runs() -> dict:
    """Beat, every GRADING_RECONCILE_S: publish again what the broker lost or never got, take over runs of dead
    workers, create hidden runs a submit failed to hand over. Safe to run anywhere, any number of times."""
    lengths = broker.queue_lengths([str(q) for q in Queue if q != Queue.DEFAULT])
    done = services.grading_runs_reconcile(queue_lengths=lengths)
    if done:
        log.warning("reconciled grading runs: %s (queue lengths %s)", done, lengths)
    return dataclasses.asdict(done)


@task(name="graders.gold_regrade", queue=Queue.GRADING_CPU, retry_on=(SandboxUnavailable,), time_limit=60 * 60,
      bind=True, max_retries=3, ignore_result=True)
def gold_regrade(self, labs: list[str] | None = None, force: bool = False) -> dict:
    """Beat, every GOLD_REGRADE_S: regrade the gold submissions of labs whose files or sandbox changed (cheap when
    nothing did: only fingerprints are computed). On the grading queue, where the sandbox is. Labs stored before a
    failure are not graded again by the retry."""
    try:
        return gold.gold_regrade(labs, force=force).summary()
    except SandboxUnavailable as exc:
        raise self.retry(exc=exc, countdown=300) from exc

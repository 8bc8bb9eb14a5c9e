"""The Celery app. Tasks are thin, take ids only and are declared in the task table (assessments.tasking)."""

import os

from celery import Celery
from celery.signals import worker_process_shutdown, worker_ready

from assessments.tasking import Queue, task
from ops import metrics  # connects the receivers that count grading runs and webhook failures, before a fork
from ops.logs import celery_log_context_connect

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "webapp.settings")

app = Celery("interview_track")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
celery_log_context_connect()  # each task's log lines carry its name, id and the run or attempt it works on


@task(name="webapp.ping", queue=Queue.DEFAULT, time_limit=30, ignore_result=False)
def ping(value: str = "pong") -> dict:
    """Round trip through the broker; used by health checks and the worker test."""
    import socket

    return {"value": value, "worker_host": socket.gethostname(), "pid": os.getpid()}


@worker_ready.connect(weak=False, dispatch_uid="webapp.worker_metrics_serve")
def _worker_metrics_serve(**kwargs) -> None:
    """Workers run on other hosts than the web: each serves its host's metrics on WORKER_METRICS_PORT (unset: off)."""
    metrics.worker_metrics_serve()


@worker_process_shutdown.connect(weak=False, dispatch_uid="webapp.worker_metrics_process_dead")
def _worker_metrics_process_dead(**kwargs) -> None:
    metrics.process_dead(os.getpid())  # a prefork child's live gauges leave with it (gunicorn: child_exit)

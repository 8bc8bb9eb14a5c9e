"""The Celery app. Tasks are thin, take ids only and are declared in the task table (assessments.tasking)."""

import os

from celery import Celery

from assessments.tasking import Queue, task

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "webapp.settings")

app = Celery("interview_track")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@task(name="webapp.ping", queue=Queue.DEFAULT, time_limit=30, ignore_result=False)
def ping(value: str = "pong") -> dict:
    """Round trip through the broker; used by health checks and the worker test."""
    import socket

    return {"value": value, "worker_host": socket.gethostname(), "pid": os.getpid()}

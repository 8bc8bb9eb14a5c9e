"""The Celery app. Tasks are thin and take ids only; see graders.tasks."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "webapp.settings")

app = Celery("interview_track")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.task(name="webapp.ping", ignore_result=False, time_limit=30)
def ping(value: str = "pong") -> dict:
    """Round trip through the broker; used by health checks and the worker test."""
    import socket

    return {"value": value, "worker_host": socket.gethostname(), "pid": os.getpid()}

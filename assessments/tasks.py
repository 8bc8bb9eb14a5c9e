"""Periodic work on attempts. Thin: the service does the work and is safe to run twice."""

from .services import attempts_close_due
from .tasking import Queue, task


@task(name="assessments.attempts_close_due", queue=Queue.DEFAULT, time_limit=120, ignore_result=True)
def close_due_attempts() -> int:
    """Submit every attempt past its deadline (the browser may be closed). Beat runs it."""
    return attempts_close_due()

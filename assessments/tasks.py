"""Periodic work on attempts. Thin: the service does the work and is safe to run twice."""

from celery import shared_task

from .services import attempts_close_due


@shared_task(name="assessments.attempts_close_due", time_limit=120, soft_time_limit=100, ignore_result=True)
def close_due_attempts() -> int:
    """Submit every attempt past its deadline (the browser may be closed). Beat runs it."""
    return attempts_close_due()

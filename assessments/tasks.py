"""Periodic work on attempts. Thin: the service does the work and is safe to run twice."""

from .services import attempts_close_due
from .tasking import Queue, task


@task(name="assessments.attempts_close_due", queue=Queue.DEFAULT, time_limit=120, ignore_result=True)
def close_due_attempts() -> int:
    """Submit every attempt past its deadline (the browser may be closed). Beat runs it."""
    return attempts_close_due()


@task(name="assessments.refresh_summaries", queue=Queue.DEFAULT, time_limit=300, ignore_result=True)
def refresh_summaries(attempt_ids: list[int] | None = None) -> int:
    """Recompute stored report summaries: these attempts' (after a change committed), or every stale one (beat)."""
    from .models import Attempt
    from .services.summaries import summaries_refresh, summaries_refresh_stale

    if attempt_ids is None:
        return summaries_refresh_stale()
    attempts = list(Attempt.objects.filter(pk__in=attempt_ids).select_related("track"))
    return len(summaries_refresh(attempts=attempts))

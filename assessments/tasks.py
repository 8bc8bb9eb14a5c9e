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
    refreshed = len(summaries_refresh(attempts=attempts))
    for slug in {a.track.slug for a in attempts}:
        _warm_soon(slug)
    return refreshed


WARM_DELAY_S = 30  # a burst of scorecards (a panel submitting together) is one recomputation, not one each


def _warm_soon(track_slug: str) -> None:
    """Queue one recomputation of the track's calibration and item analysis, at most one per WARM_DELAY_S."""
    from django.core.cache import cache

    if cache.add(f"reports:warm-queued:{track_slug}", 1, timeout=WARM_DELAY_S):
        warm_track_reports.apply_async(args=[track_slug], countdown=WARM_DELAY_S)


@task(name="assessments.warm_track_reports", queue=Queue.DEFAULT, time_limit=600, ignore_result=True)
def warm_track_reports(track_slug: str) -> None:
    """Compute the track's calibration and item analysis for the current inputs, so the first view after a change
    reads them from the cache instead of passing over every rating (seconds at 500 candidates)."""
    from .selectors.items import item_analysis_get
    from .selectors.reports import calibration

    calibration(track_slug=track_slug)
    item_analysis_get(track_slug=track_slug)

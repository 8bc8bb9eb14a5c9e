"""The stored per-attempt summaries (AttemptSummary): invalidated in the transaction of every change of their
inputs, recomputed after it commits (a task), and on read for any that a lost task left stale, so readers always
get current figures with a fixed number of queries and no bootstrap per page view."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import asdict

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from .. import reporting
from ..models import Attempt, AttemptSummary
from ..selectors.reports import Figures, figures, load_inputs

log = logging.getLogger(__name__)


def summaries_invalidate(*, attempt_ids: Iterable[int], create: bool = True) -> None:
    """Mark these attempts' summaries stale, in the caller's transaction, and recompute them once it commits.

    The row is created if missing and its version bumped, so a refresh that read the inputs before this change
    cannot store its older figures as current (summaries_refresh stores only under the version it read).
    """
    ids = sorted(set(attempt_ids))
    if not ids:
        return
    if create:  # not on deletes: the attempt itself may be on its way out in this transaction
        AttemptSummary.objects.bulk_create([AttemptSummary(attempt_id=i) for i in ids], ignore_conflicts=True)
    AttemptSummary.objects.filter(attempt_id__in=ids).update(version=F("version") + 1)
    transaction.on_commit(lambda: _enqueue(ids), robust=True)


def _enqueue(ids: list[int]) -> None:
    from ..tasks import refresh_summaries

    try:
        refresh_summaries.delay(ids)
    except Exception:  # noqa: BLE001 - the broker is down: the next read or the sweep recomputes them
        log.warning("summary refresh of attempts %s not queued (broker unreachable); recomputed on read", ids)


def summaries_refresh(*, attempts: list[Attempt]) -> dict[int, Figures]:
    """Compute these attempts' figures from their inputs and store them; returns them.

    The version is read before the inputs: if a change bumps it meanwhile, the update matches no row and the
    figures are returned but not stored (the change's own refresh, or the next read, stores the newer ones).
    """
    if not attempts:
        return {}
    versions = dict(AttemptSummary.objects.filter(attempt_id__in=[a.pk for a in attempts])
                    .values_list("attempt_id", "version"))
    inputs = load_inputs(attempts)
    now = timezone.now()
    out: dict[int, Figures] = {}
    new = []
    for attempt in attempts:
        f = figures(attempt, inputs)
        out[attempt.pk] = f
        fields = {**_columns(f), "computed_at": now}
        version = versions.get(attempt.pk)
        if version is None:
            new.append(AttemptSummary(attempt_id=attempt.pk, version=0, computed_version=0, **fields))
        else:
            AttemptSummary.objects.filter(attempt_id=attempt.pk, version=version).update(
                computed_version=version, **fields)
    # A row created meanwhile by an invalidation wins (it is stale, so it is computed again).
    AttemptSummary.objects.bulk_create(new, ignore_conflicts=True)
    return out


def summaries_fresh(*, attempts: list[Attempt], competencies: bool = True) -> dict[int, Figures]:
    """The figures of these attempts: the stored ones where current, the rest computed (and stored) now.
    competencies=False leaves the per-competency rows out of what is read (the comparison shows none)."""
    rows = AttemptSummary.objects.filter(attempt_id__in=[a.pk for a in attempts])
    if not competencies:
        rows = rows.defer("competencies")
    stored = {s.attempt_id: s for s in rows}
    out = {pk: _figures(s, competencies=competencies) for pk, s in stored.items() if s.fresh}
    stale = [a for a in attempts if a.pk not in out]
    if stale:
        out.update(summaries_refresh(attempts=stale))
    return out


def summaries_refresh_stale(*, limit: int = 500) -> int:
    """Recompute stale summaries (a refresh task lost with the broker); the beat sweep. Returns how many."""
    ids = list(AttemptSummary.objects.exclude(computed_version=F("version")).values_list("attempt_id", flat=True)
               [:limit])
    ids += list(AttemptSummary.objects.filter(computed_version__isnull=True).values_list("attempt_id", flat=True)
                [:limit])
    attempts = list(Attempt.objects.filter(pk__in=set(ids)).select_related("track"))
    summaries_refresh(attempts=attempts)
    return len(attempts)


def _columns(f: Figures) -> dict:
    lo, hi = f.interval or (None, None)
    return {"automated": f.automated, "human": f.human, "combined": f.combined, "interval_low": lo,
            "interval_high": hi, "level": f.level or "", "flags": f.flags, "ungraded": f.ungraded,
            "missing": f.missing, "raters": f.raters, "has_ratings": f.has_ratings,
            "recommendations": [list(r) for r in f.recommendations],
            "competencies": [asdict(c) for c in f.competencies]}


def summaries_combined(*, track_slug: str) -> list[float]:
    """Every submitted attempt's combined signal (the distribution chart): one narrow query, plus computing the
    few summaries that are missing or stale."""
    from ..models import AttemptStatus

    rows = list(Attempt.objects.filter(track__slug=track_slug, status=AttemptStatus.SUBMITTED).values_list(
        "pk", "summary__combined", "summary__version", "summary__computed_version"))
    stale = [pk for pk, _, version, computed in rows if version is None or computed != version]
    values = [combined for pk, combined, version, computed in rows
              if version is not None and computed == version and combined is not None]
    if stale:
        attempts = list(Attempt.objects.filter(pk__in=stale).select_related("track"))
        values += [f.combined for f in summaries_refresh(attempts=attempts).values() if f.combined is not None]
    return values


def _figures(s: AttemptSummary, *, competencies: bool = True) -> Figures:
    interval = (s.interval_low, s.interval_high) if s.interval_low is not None else None
    return Figures(automated=s.automated, human=s.human, combined=s.combined, interval=interval,
                   level=s.level or None, flags=list(s.flags), ungraded=s.ungraded, missing=s.missing,
                   raters=s.raters, has_ratings=s.has_ratings,
                   recommendations=[tuple(r) for r in s.recommendations],
                   competencies=[reporting.CompetencyRow(**c) for c in s.competencies] if competencies else [])


# --- what invalidates a summary (connected in AssessmentsConfig.ready) ------------------------------------------
# Model signals rather than calls in each service, so every write path (services, the admin, a management command)
# is covered. Only submitted attempts have a summary worth keeping: changes during the exam (integrity signals)
# cost nothing, the first read after submit computes it.


def _attempt_of(instance) -> Attempt | None:
    from ..models import Assignment, AutomatedScore, IntegrityEvent, Scorecard

    if isinstance(instance, (Assignment, Scorecard, IntegrityEvent)):
        return instance.attempt
    if isinstance(instance, AutomatedScore):
        return instance.submission.attempt
    return None


def on_input_saved(sender, instance, **kwargs) -> None:
    from ..models import AttemptStatus, IntegrityEvent, Scorecard, ScorecardStatus

    # A draft's autosaves do not change the figures; a submit does, and so does an amendment (its draft takes the
    # submitted card it supersedes out of the figures).
    if isinstance(instance, Scorecard) and instance.status != ScorecardStatus.SUBMITTED and not instance.supersedes_id:
        return
    attempt = _attempt_of(instance)
    if attempt is None:
        return
    if isinstance(instance, IntegrityEvent):
        # Recorded while the exam runs (the service refuses them after submit): no query on that hot path.
        submitted = attempt.status == AttemptStatus.SUBMITTED
    else:  # the database's status, not a caller's possibly older instance
        submitted = Attempt.objects.filter(pk=attempt.pk, status=AttemptStatus.SUBMITTED).exists()
    if submitted:
        summaries_invalidate(attempt_ids=[attempt.pk])


def on_input_deleted(sender, instance, **kwargs) -> None:
    from ..models import Submission

    attempt_id = getattr(instance, "attempt_id", None)
    if attempt_id is None and getattr(instance, "submission_id", None):
        attempt_id = Submission.objects.filter(pk=instance.submission_id).values_list("attempt_id", flat=True).first()
    if attempt_id is not None:
        summaries_invalidate(attempt_ids=[attempt_id], create=False)

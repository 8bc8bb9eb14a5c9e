"""Stored report summaries (AttemptSummary): the same numbers as computing from scratch, current after every
change of their inputs, safe against a refresh racing a change, and read with constant queries, no bootstrap."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from assessments import reporting, selectors, services
from assessments.models import AttemptSummary, Question, QuestionKind
from assessments.selectors import reports
from assessments.services import summaries
from tests.factories import UserFactory
from tests.webapp.test_report_summary import WRITTEN, _attempt, _score, cohort  # noqa: F401  (cohort: fixture)

pytestmark = pytest.mark.django_db(transaction=True)


def _scratch(attempt, user):
    """The summary computed from the database now, without the store."""
    return reports.summarise(attempt, reports.load_inputs([attempt]), user=user)


def _signal(attempt, kind, chars=None):
    from django.utils import timezone

    from assessments.models import IntegrityEvent

    attempt.refresh_from_db()  # the fixture's instance predates the submit
    return IntegrityEvent.objects.create(attempt=attempt, kind=kind, chars=chars, created_at=timezone.now())


def _same(stored: reports.Summary, scratch: reports.Summary) -> None:
    for name in ("automated", "human", "combined", "interval", "level", "flags", "raters", "missing",
                 "recommendations", "incomplete", "competencies", "complete"):
        assert getattr(stored, name) == getattr(scratch, name), name


def test_stored_summaries_equal_computing_from_scratch(cohort):  # noqa: F811
    rows = selectors.comparison(track_slug="advanced-ml-speech", user=cohort["manager"])
    assert len(rows) == 3 and AttemptSummary.objects.count() == 3
    assert all(s.fresh for s in AttemptSummary.objects.all())
    for row in rows:
        _same(row, _scratch(row.attempt, cohort["manager"]))
    assert rows[0].competencies and rows[0].interval is not None  # something to compare, not Nones
    # The report page and the comparison show one interval for one candidate.
    report = selectors.attempt_report(attempt=cohort["strong"], user=cohort["manager"])
    assert report.summary.interval == rows[0].interval


def test_every_change_of_the_inputs_makes_the_next_read_current(cohort):  # noqa: F811
    manager, strong, pending = cohort["manager"], cohort["strong"], cohort["pending"]
    selectors.comparison(track_slug="advanced-ml-speech", user=manager)  # all stored
    written = Question.objects.get(slug=WRITTEN, is_current=True)
    carl = UserFactory(username="carl", role="Interviewer")

    def check(attempt, change):
        before = AttemptSummary.objects.get(attempt=attempt)
        change()
        after = AttemptSummary.objects.get(attempt=attempt)
        assert after.version > before.version, getattr(change, "__name__", change)
        row = next(r for r in selectors.comparison(track_slug="advanced-ml-speech", user=manager)
                   if r.attempt == attempt)
        _same(row, _scratch(attempt, manager))
        assert AttemptSummary.objects.get(attempt=attempt).fresh
        return row

    row = check(pending, lambda: _score(pending, carl, -1, "strong_yes", "Named the blank-symbol trade-off."))
    assert row.recommendations[0] == ("carl", "Strong yes")
    check(strong, lambda: services.assignment_create(attempt=strong, interviewer=carl, question=written))
    lab = next(s for s in strong.submissions.all() if s.question.kind == QuestionKind.CODING)
    row = check(strong, lambda: services.submission_automated_score_record(
        submission=lab, verdict="failed", score=0.0, source="regrade", details={}))
    # Signals are recorded during the exam only; a row written otherwise (an import, the admin) counts all the same.
    row = check(strong, lambda: _signal(strong, "paste", chars=900))
    assert any("paste" in f for f in row.flags)
    card = strong.scorecards.get(interviewer__username="ann", status="submitted")
    check(strong, lambda: services.scorecard_amend(scorecard=card, by=card.interviewer, reason="Re-read the answer"))


def test_a_refresh_that_read_before_a_change_does_not_store_its_older_figures(cohort, monkeypatch):  # noqa: F811
    manager, weak = cohort["manager"], cohort["weak"]
    selectors.comparison(track_slug="advanced-ml-speech", user=manager)
    real = summaries.load_inputs

    def load_then_change(attempts, **kw):
        inputs = real(attempts, **kw)  # the refresh has read its inputs ...
        _signal(weak, "focus_lost")  # ... and a change commits meanwhile
        return inputs

    summaries.summaries_invalidate(attempt_ids=[weak.pk])
    monkeypatch.setattr(summaries, "load_inputs", load_then_change)
    summaries.summaries_refresh(attempts=[weak])
    monkeypatch.setattr(summaries, "load_inputs", real)
    assert not AttemptSummary.objects.get(attempt=weak).fresh  # the older figures were not stored as current
    row = next(r for r in selectors.comparison(track_slug="advanced-ml-speech", user=manager) if r.attempt == weak)
    assert any("left the exam tab 1 time" in f for f in row.flags)


def test_reading_the_comparison_costs_the_same_queries_and_no_bootstrap_whatever_the_cohort(cohort,  # noqa: F811
                                                                                            monkeypatch):
    manager, track = cohort["manager"], cohort["track"]
    selectors.comparison(track_slug="advanced-ml-speech", user=manager)

    def count():
        with CaptureQueriesContext(connection) as ctx:
            selectors.comparison(track_slug="advanced-ml-speech", user=manager)
        return len(ctx.captured_queries)

    small = count()
    for i in range(4):
        _attempt(track, f"Extra{i} Person", lab_score=0.5)
    selectors.comparison(track_slug="advanced-ml-speech", user=manager)  # stores the new ones
    monkeypatch.setattr(reporting, "bootstrap_interval", lambda *a, **k: pytest.fail("bootstrap on a page view"))
    assert count() == small
    assert len(selectors.track_signal_distribution(track_slug="advanced-ml-speech")) == 7


def test_a_lost_refresh_is_caught_up_by_the_read_and_by_the_sweep(cohort, monkeypatch):  # noqa: F811
    from assessments import tasks

    manager, weak = cohort["manager"], cohort["weak"]
    selectors.comparison(track_slug="advanced-ml-speech", user=manager)
    monkeypatch.setattr(tasks.refresh_summaries, "delay", lambda *a, **k: (_ for _ in ()).throw(OSError("down")))
    _signal(weak, "focus_lost")  # the broker is down: nothing queued
    assert not AttemptSummary.objects.get(attempt=weak).fresh
    assert tasks.refresh_summaries() == 1  # the beat sweep
    assert AttemptSummary.objects.get(attempt=weak).fresh
    _signal(weak, "focus_lost")
    assert tasks.refresh_summaries([weak.pk]) == 1  # the task a change queues
    assert AttemptSummary.objects.get(attempt=weak).fresh


def test_calibration_and_item_analysis_are_computed_once_per_change_of_the_tracks_inputs(cohort,  # noqa: F811
                                                                                          monkeypatch):
    from assessments.selectors import items

    calls = []
    real = reports.calibration_compute
    monkeypatch.setattr(reports, "calibration_compute", lambda **kw: calls.append(1) or real(**kw))
    first = reports.calibration(track_slug="advanced-ml-speech")
    assert reports.calibration(track_slug="advanced-ml-speech") == first and len(calls) == 1  # no change: cached
    carl = UserFactory(username="carl", role="Interviewer")
    _score(cohort["pending"], carl, 0, "no", "Could not explain blank collapse.")  # a new scorecard
    changed = reports.calibration(track_slug="advanced-ml-speech")
    assert len(calls) == 2 and changed == reports.calibration_compute(track_slug="advanced-ml-speech")
    before = items.item_analysis_get(track_slug="advanced-ml-speech")
    _attempt(cohort["track"], "Nina New", lab_score=0.1)  # a new submitted attempt
    after = items.item_analysis_get(track_slug="advanced-ml-speech")
    assert after.candidates == before.candidates + 1


def test_a_change_warms_the_tracks_calibration_once_per_burst(cohort, monkeypatch):  # noqa: F811
    from assessments import tasks

    queued = []
    monkeypatch.setattr(tasks.warm_track_reports, "apply_async", lambda args, countdown: queued.append(args))
    ids = [cohort["strong"].pk, cohort["weak"].pk]
    tasks.refresh_summaries(ids)
    tasks.refresh_summaries(ids)  # a second change within the delay: still one recomputation queued
    assert queued == [["advanced-ml-speech"]]
    calls = []
    real = reports.calibration_compute
    monkeypatch.setattr(reports, "calibration_compute", lambda **kw: calls.append(1) or real(**kw))
    tasks.warm_track_reports("advanced-ml-speech")
    reports.calibration(track_slug="advanced-ml-speech")  # the page view after it: from the cache
    assert len(calls) == 1

"""Reads for the hiring-signal report, the track comparison and calibration (access is checked by the caller).

Builds the plain inputs of assessments.reporting from the database with a fixed number of
queries whatever the number of candidates (bench/report.py counts them), then applies the maths.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TypeVar

from django.conf import settings
from django.core.cache import cache
from django.db.models import Count, Prefetch, Sum
from django.utils import timezone

from .. import access, reporting
from ..access import User
from ..models import (
    Assignment,
    Attempt,
    AttemptStatus,
    AutomatedScore,
    Competency,
    DimensionScore,
    IntegrityEvent,
    Question,
    QuestionKind,
    RubricLevel,
    Scorecard,
    ScorecardStatus,
    SectionQuestion,
    Track,
)

T = TypeVar("T")
DISAGREEMENT_LEVELS = 2
CONFLICT_THRESHOLD = 0.35


@dataclass
class Inputs:
    """Everything the maths needs for a set of attempts, keyed by attempt id."""

    ratings: dict[int, list[reporting.Rating]] = field(default_factory=lambda: defaultdict(list))
    autos: dict[int, list[reporting.AutoScore]] = field(default_factory=lambda: defaultdict(list))
    auto_rows: dict[int, dict[int, AutomatedScore]] = field(default_factory=lambda: defaultdict(dict))
    bars: dict[int, dict[int, str | None]] = field(default_factory=dict)        # rubric id -> {score: bar}
    question_rubric: dict[int, int | None] = field(default_factory=dict)
    slug_to_qid: dict[str, int] = field(default_factory=dict)
    scorecards: dict[int, list[Scorecard]] = field(default_factory=lambda: defaultdict(list))
    assigned: dict[int, set[int]] = field(default_factory=lambda: defaultdict(set))  # attempt -> interviewer ids
    integrity: dict[int, dict[str, int]] = field(default_factory=lambda: defaultdict(lambda: defaultdict(int)))
    largest_paste: dict[int, int] = field(default_factory=lambda: defaultdict(int))
    coding: dict[int, set[int]] = field(default_factory=lambda: defaultdict(set))  # track id -> auto-graded qids
    bounds: dict[int, tuple[int, int]] = field(default_factory=dict)  # rubric id -> (lowest, highest level)
    # Per track: question slug -> its competency slugs, and question slug -> its rubric's {level: bar}.
    tagging: dict[int, dict[str, list[str]]] = field(default_factory=lambda: defaultdict(lambda: defaultdict(list)))
    question_bars: dict[int, dict[str, dict[int, str | None]]] = field(default_factory=lambda: defaultdict(dict))
    competency_names: dict[str, str] = field(default_factory=dict)  # slug -> name, in the content's order


def load_inputs(attempts: list[Attempt], *, with_scores: bool = False) -> Inputs:
    ids = [a.pk for a in attempts]
    track_ids = {a.track_id for a in attempts}
    out = Inputs()
    weights = {}
    placed: dict[int, list[tuple[int, str, int | None]]] = defaultdict(list)  # question id -> (track, slug, rubric)
    for track_id, qid, weight, kind, qslug, rubric_id in (
            SectionQuestion.objects.filter(section__track_id__in=track_ids).values_list(
                "section__track_id", "question_id", "weight", "question__kind", "question__slug",
                "question__rubric_id")):
        weights[(track_id, qid)] = weight
        placed[qid].append((track_id, qslug, rubric_id))
        if kind == QuestionKind.CODING:
            out.coding[track_id].add(qid)
    for qid, cslug in Question.competencies.through.objects.filter(question_id__in=placed).values_list(
            "question_id", "competency__slug"):
        for track_id, qslug, _ in placed[qid]:
            out.tagging[track_id][qslug].append(cslug)
    used = {c for tags in out.tagging.values() for cs in tags.values() for c in cs}
    out.competency_names = dict(Competency.objects.filter(slug__in=used).order_by("order", "slug")
                                .values_list("slug", "name"))
    track_of = {a.pk: a.track_id for a in attempts}
    bounds = out.bounds
    for level in RubricLevel.objects.filter(rubric__questions__placements__section__track_id__in=track_ids).distinct():
        out.bars.setdefault(level.rubric_id, {})[level.score] = level.bar or None
        lo, hi = bounds.get(level.rubric_id, (level.score, level.score))
        bounds[level.rubric_id] = (min(lo, level.score), max(hi, level.score))
    for placements in placed.values():
        for track_id, qslug, rubric_id in placements:
            if rubric_id:
                out.question_bars[track_id][qslug] = out.bars.get(rubric_id, {})
    submitted = Scorecard.objects.filter(attempt_id__in=ids, status=ScorecardStatus.SUBMITTED,
                                         superseded_by__isnull=True)
    cards = submitted.select_related("interviewer")
    if with_scores:  # the report page lists each scorecard's levels and evidence
        cards = cards.prefetch_related(Prefetch("scores", queryset=DimensionScore.objects.select_related(
            "level", "dimension", "question").only(
            "scorecard_id", "evidence", "question__title", "question__slug", "dimension__title", "dimension__slug",
            "level__score", "level__label", "level__rubric_id")))
    else:
        cards = cards.only("attempt_id", "interviewer_id", "interviewer__username", "recommendation",
                           "submitted_at")
    for card in cards:
        out.scorecards[card.attempt_id].append(card)
    # The ratings as plain tuples: model instances for ~80 scores per scorecard cost more than the rest of a
    # comparison page put together at a few hundred candidates (bench/report.py).
    scores = (DimensionScore.objects.filter(scorecard__in=submitted)
              .values_list("scorecard__attempt_id", "scorecard__interviewer__username", "question_id", "question__slug",
                           "question__rubric_id", "dimension__slug", "dimension__weight", "level__score",
                           "level__rubric_id"))
    for attempt_id, rater, qid, qslug, q_rubric, dslug, dweight, score, l_rubric in scores:
        lo, hi = bounds.get(l_rubric, (score, score))
        out.question_rubric[qid] = q_rubric
        out.slug_to_qid[qslug] = qid
        out.ratings[attempt_id].append(reporting.Rating(
            question=qslug, dimension=dslug, rater=rater, level=score, lo=lo, hi=hi,
            weight=weights.get((track_of[attempt_id], qid), 1.0) * dweight))
    for auto in AutomatedScore.objects.filter(submission__attempt_id__in=ids).select_related("submission__question"):
        sub = auto.submission
        out.auto_rows[sub.attempt_id][sub.question_id] = auto
        out.autos[sub.attempt_id].append(reporting.AutoScore(
            question=sub.question.slug, score=auto.score, weight=weights.get((track_of[sub.attempt_id],
                                                                                sub.question_id), 1.0)))
    for a in Assignment.objects.filter(attempt_id__in=ids).values("attempt_id", "interviewer_id"):
        out.assigned[a["attempt_id"]].add(a["interviewer_id"])
    for e in IntegrityEvent.objects.filter(attempt_id__in=ids).values("attempt_id", "kind", "chars"):
        out.integrity[e["attempt_id"]][e["kind"]] += 1
        if e["kind"] == "paste":
            out.largest_paste[e["attempt_id"]] = max(out.largest_paste[e["attempt_id"]], e["chars"] or 0)
    return out


@dataclass
class Summary:
    attempt: Attempt
    label: str
    automated: float | None
    human: float | None
    combined: float | None
    interval: tuple[float, float] | None
    level: str | None
    flags: list[str]
    raters: int
    missing: int
    # (interviewer, recommendation label) of every submitted scorecard, oldest first, then "pending" for each missing.
    recommendations: list[tuple[str, str]] = field(default_factory=list)
    # Why the evidence is not all in yet (labs still grading, scorecards missing): such an attempt ranks apart.
    incomplete: list[str] = field(default_factory=list)
    competencies: list[reporting.CompetencyRow] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        return not self.incomplete


# One bootstrap size for every page, so the comparison, the report and the export show the same interval (the
# seed is the attempt id): computed once per change of the attempt's inputs (services.summaries), never per view.
SUMMARY_BOOTSTRAP_N = 1000


@dataclass
class Figures:
    """An attempt's figures that depend only on its inputs (not on the reader or the clock): what AttemptSummary
    stores. summary_from() adds the reader's label of the candidate and the clock's "overdue"."""

    automated: float | None
    human: float | None
    combined: float | None
    interval: tuple[float, float] | None
    level: str | None
    flags: list[str]
    ungraded: int
    missing: int
    raters: int
    has_ratings: bool
    recommendations: list[tuple[str, str]]
    competencies: list[reporting.CompetencyRow]


def summarise(attempt: Attempt, inputs: Inputs, *, user: User, bootstrap_n: int = SUMMARY_BOOTSTRAP_N,
              managed: set[str] | None = None) -> Summary:
    """The attempt's summary computed from scratch (what the stored summaries must equal)."""
    return summary_from(attempt, figures(attempt, inputs, bootstrap_n=bootstrap_n), user=user, managed=managed)


def figures(attempt: Attempt, inputs: Inputs, *, bootstrap_n: int = SUMMARY_BOOTSTRAP_N) -> Figures:
    track = attempt.track
    ratings = inputs.ratings.get(attempt.pk, [])
    autos = inputs.autos.get(attempt.pk, [])
    auto, human = reporting.automated_signal(autos), reporting.human_signal(ratings)
    combined = reporting.combined_signal(auto, human, track.automated_weight, track.human_weight)
    interval = None
    if combined is not None and bootstrap_n > 0:
        interval = reporting.bootstrap_interval(ratings, autos, track.automated_weight, track.human_weight,
                                                n=bootstrap_n, seed=attempt.pk)
    leveled = [r for r in ratings if _has_bars(inputs, r)]
    bars = next((inputs.bars[inputs.question_rubric[_qid(inputs, r)]] for r in leveled), {}) if leveled else {}
    level = reporting.level_signal(leveled, bars) if leveled else None
    submitted_by = {c.interviewer_id for c in inputs.scorecards.get(attempt.pk, [])}
    missing = len(inputs.assigned.get(attempt.pk, set()) - submitted_by)
    flags = []
    wide = reporting.disagreements(ratings, DISAGREEMENT_LEVELS)
    if wide:
        flags.append(f"Raters disagree by {DISAGREEMENT_LEVELS}+ levels on {len(wide)} dimension(s)")
    if reporting.signals_conflict(auto, human, CONFLICT_THRESHOLD):
        flags.append(f"Automated ({auto:.2f}) and human ({human:.2f}) signals conflict")
    signals = inputs.integrity.get(attempt.pk, {})
    if signals:
        # Evidence to read in context (the report lists each with its question and time), never a verdict.
        parts = []
        if signals.get("focus_lost"):
            parts.append(f"left the exam tab {signals['focus_lost']} time(s)")
        if signals.get("paste"):
            parts.append(f"{signals['paste']} paste(s), largest {inputs.largest_paste.get(attempt.pk, 0)} chars")
        if parts:
            flags.append("Integrity evidence (not a verdict): " + ", ".join(parts))
    ungraded = len(inputs.coding.get(attempt.track_id, set()) - set(inputs.auto_rows.get(attempt.pk, {})))
    cards = sorted(inputs.scorecards.get(attempt.pk, []), key=lambda c: (c.submitted_at, c.pk))
    recommendations = [(c.interviewer.get_username(), c.get_recommendation_display() or "no recommendation")
                       for c in cards]
    competencies = reporting.competency_rows(
        ratings, autos, tagging=inputs.tagging.get(attempt.track_id, {}), names=inputs.competency_names,
        bars=inputs.question_bars.get(attempt.track_id, {}), w_auto=track.automated_weight,
        w_human=track.human_weight)
    # Only the competencies this track's questions are tagged with.
    tagged = {c for cs in inputs.tagging.get(attempt.track_id, {}).values() for c in cs}
    return Figures(automated=auto, human=human, combined=combined, interval=interval, level=level, flags=flags,
                   ungraded=ungraded, missing=missing, raters=len(submitted_by), has_ratings=bool(ratings),
                   recommendations=recommendations, competencies=[c for c in competencies if c.slug in tagged])


def summary_from(attempt: Attempt, f: Figures, *, user: User, managed: set[str] | None = None,
                 now: datetime | None = None) -> Summary:
    """The reader's summary: the stored figures, the candidate as this reader may see them, and whether grading
    that is still missing is pending or overdue (the clock's part)."""
    incomplete = []
    if f.ungraded:
        overdue = attempt.submitted_at and (now or timezone.now()) - attempt.submitted_at > timedelta(
            seconds=settings.GRADING_OVERDUE_S)
        incomplete.append(f"Automated grading {'overdue' if overdue else 'pending'} for {f.ungraded} lab(s)")
    if f.missing:
        incomplete.append(f"{f.missing} assigned scorecard(s) missing")
    if not f.has_ratings:
        incomplete.append("No submitted scorecards yet")
    return Summary(attempt=attempt, label=access.candidate_label(attempt=attempt, user=user, managed=managed),
                   automated=f.automated, human=f.human, combined=f.combined, interval=f.interval, level=f.level,
                   flags=f.flags + incomplete, raters=f.raters, missing=f.missing,
                   recommendations=list(f.recommendations) + [("—", "pending")] * f.missing,
                   incomplete=incomplete, competencies=f.competencies)


def _qid(inputs: Inputs, rating: reporting.Rating) -> int:
    return inputs.slug_to_qid[rating.question]


def _has_bars(inputs: Inputs, rating: reporting.Rating) -> bool:
    qid = inputs.slug_to_qid.get(rating.question)
    rubric = inputs.question_rubric.get(qid) if qid else None
    return bool(rubric and any(inputs.bars.get(rubric, {}).values()))


def track_attempts(*, track_slug: str) -> list[Attempt]:
    return list(Attempt.objects.filter(track__slug=track_slug, status=AttemptStatus.SUBMITTED)
                .select_related("track", "invitation__candidate").order_by("submitted_at"))


def comparison(*, track_slug: str, user: User, sort: str = "-combined") -> list[Summary]:
    """Every submitted attempt of the track, from the stored summaries (services.summaries computes the few that
    are missing or stale): a constant number of queries, and no bootstrap, however many candidates."""
    from ..services.summaries import summaries_fresh

    attempts = track_attempts(track_slug=track_slug)
    stored = summaries_fresh(attempts=attempts, competencies=False)
    managed = access.managed_track_slugs(user=user)
    now = timezone.now()
    rows = [summary_from(a, stored[a.pk], user=user, managed=managed, now=now) for a in attempts]
    key, reverse = sort.lstrip("-"), sort.startswith("-")
    getters = {"combined": lambda s: s.combined, "automated": lambda s: s.automated, "human": lambda s: s.human,
               "candidate": lambda s: s.label.lower(), "submitted": lambda s: s.attempt.submitted_at,
               "flags": lambda s: len(s.flags)}
    get = getters.get(key, getters["combined"])

    def ranked(group: list[Summary]) -> list[Summary]:
        present = [r for r in group if get(r) is not None]
        absent = [r for r in group if get(r) is None]
        return sorted(present, key=get, reverse=reverse) + absent  # missing figures last either way

    # An attempt whose evidence is not all in (labs grading, scorecards missing) ranks apart, after the complete
    # ones: a provisional 0.50 must not sit third in a shortlist as if it were comparable.
    return ranked([r for r in rows if r.complete]) + ranked([r for r in rows if not r.complete])


def track_signal_distribution(*, track_slug: str) -> list[float]:
    """The combined signal of every submitted attempt of the track: the report's distribution chart."""
    from ..services.summaries import summaries_combined

    return summaries_combined(track_slug=track_slug)


@dataclass
class AttemptReport:
    summary: Summary
    questions: list[dict]
    dimensions: list[reporting.DimensionRow]
    scorecards: list[Scorecard]
    track: Track
    distribution: list[float] = field(default_factory=list)  # the track's combined signals, for context
    competencies: list[reporting.CompetencyRow] = field(default_factory=list)
    strengths: list[reporting.Evidence] = field(default_factory=list)
    concerns: list[reporting.Evidence] = field(default_factory=list)
    titles: dict[str, str] = field(default_factory=dict)  # question and dimension slugs -> their titles


def attempt_report_get(*, attempt: Attempt, user: User) -> AttemptReport:
    """The report page: the attempt's signal and its evidence, and where it sits among the track's attempts."""
    data = attempt_report(attempt=attempt, user=user)
    data.distribution = track_signal_distribution(track_slug=attempt.track.slug)
    return data


def attempt_report(*, attempt: Attempt, user: User) -> AttemptReport:
    inputs = load_inputs([attempt], with_scores=True)
    summary = summarise(attempt, inputs, user=user)
    placements = (SectionQuestion.objects.filter(section__track_id=attempt.track_id)
                  .select_related("section", "question").order_by("section__order", "order"))
    submissions = {s.question_id: s for s in attempt.submissions.all()}
    autos = inputs.auto_rows.get(attempt.pk, {})
    questions = [{"placement": p, "question": p.question, "submission": submissions.get(p.question_id),
                  "automated": autos.get(p.question_id)} for p in placements]
    ratings = inputs.ratings.get(attempt.pk, [])
    cards = inputs.scorecards.get(attempt.pk, [])
    titles = {p.question.slug: p.question.title for p in placements}
    evidence = []
    for card in cards:
        for sc in card.scores.all():
            titles[sc.dimension.slug] = sc.dimension.title
            lo, hi = inputs.bounds.get(sc.level.rubric_id, (sc.level.score, sc.level.score))
            evidence.append(reporting.Evidence(question=sc.question.title, dimension=sc.dimension.title,
                                               rater=card.interviewer.get_username(), level=sc.level.score,
                                               lo=lo, hi=hi, text=sc.evidence))
    strengths, concerns = reporting.quotes(evidence)
    return AttemptReport(summary=summary, questions=questions, dimensions=reporting.dimension_summary(ratings),
                         scorecards=cards, track=attempt.track, competencies=summary.competencies,
                         strengths=strengths, concerns=concerns, titles=titles)


@dataclass
class Calibration:
    offsets: list[reporting.RaterOffset]
    agreement: list[dict]


def track_inputs_version(*, track_slug: str) -> str:
    """A fingerprint of everything the track's reports read, in three small queries: the current version of the
    track (its layout), the submitted attempts and the sum of their summaries' versions, which every change of a
    report input bumps (services.summaries)."""
    from ..models import AttemptSummary

    attempts = Attempt.objects.filter(track__slug=track_slug, status=AttemptStatus.SUBMITTED).count()
    agg = AttemptSummary.objects.filter(attempt__track__slug=track_slug).aggregate(n=Count("pk"), v=Sum("version"))
    current = Track.objects.filter(slug=track_slug, is_current=True).values_list("pk", flat=True).first()
    return f"{current}-{attempts}-{agg['n']}-{agg['v'] or 0}"


def cached_for_track(name: str, *, track_slug: str, compute: Callable[[], T]) -> T:
    """A track-wide read (calibration, item analysis) computed once per version of the track's inputs: a page view
    after no change costs the fingerprint's three queries, not a pass over every rating of the track."""
    key = f"reports:{name}:{track_slug}:{track_inputs_version(track_slug=track_slug)}"
    value = cache.get(key)
    if value is None:
        value = compute()
        cache.set(key, value, timeout=3600)
    return value


def calibration(*, track_slug: str) -> Calibration:
    return cached_for_track("calibration", track_slug=track_slug,
                            compute=lambda: calibration_compute(track_slug=track_slug))


def calibration_compute(*, track_slug: str) -> Calibration:
    attempts = track_attempts(track_slug=track_slug)
    inputs = load_inputs(attempts)
    pairs = [(str(aid), r) for aid, rs in inputs.ratings.items() for r in rs]
    offsets = sorted(reporting.rater_offsets(pairs).values(), key=lambda o: o.rater)
    by_dimension: dict[str, dict[tuple[str, str], dict[str, float]]] = defaultdict(lambda: defaultdict(dict))
    for aid, r in pairs:
        by_dimension[r.dimension][(aid, r.question)][r.rater] = float(r.level)
    agreement = []
    for dim, units in sorted(by_dimension.items()):
        values = list(units.values())
        n_units, n_values = reporting.alpha_sample_size(values)
        agreement.append({"dimension": dim, "alpha": reporting.krippendorff_alpha(values, "ordinal"),
                          "units": n_units, "values": n_values})
    return Calibration(offsets=offsets, agreement=agreement)

"""Reads for the hiring-signal report, the track comparison and calibration (access is checked by the caller).

Builds the plain inputs of assessments.reporting from the database with a fixed number of
queries whatever the number of candidates (bench/report.py counts them), then applies the maths.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.db.models import Prefetch
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


def load_inputs(attempts: list[Attempt], *, with_scores: bool = False) -> Inputs:
    ids = [a.pk for a in attempts]
    track_ids = {a.track_id for a in attempts}
    out = Inputs()
    weights = {}
    for track_id, qid, weight, kind in (SectionQuestion.objects.filter(section__track_id__in=track_ids)
                                        .values_list("section__track_id", "question_id", "weight", "question__kind")):
        weights[(track_id, qid)] = weight
        if kind == QuestionKind.CODING:
            out.coding[track_id].add(qid)
    track_of = {a.pk: a.track_id for a in attempts}
    bounds = out.bounds
    for level in RubricLevel.objects.filter(rubric__questions__placements__section__track_id__in=track_ids).distinct():
        out.bars.setdefault(level.rubric_id, {})[level.score] = level.bar or None
        lo, hi = bounds.get(level.rubric_id, (level.score, level.score))
        bounds[level.rubric_id] = (min(lo, level.score), max(hi, level.score))
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

    @property
    def complete(self) -> bool:
        return not self.incomplete


def summarise(attempt: Attempt, inputs: Inputs, *, user: User, bootstrap_n: int = 1000,
              managed: set[str] | None = None) -> Summary:
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
    incomplete = []
    ungraded = len(inputs.coding.get(attempt.track_id, set()) - set(inputs.auto_rows.get(attempt.pk, {})))
    if ungraded:
        overdue = attempt.submitted_at and timezone.now() - attempt.submitted_at > timedelta(
            seconds=settings.GRADING_OVERDUE_S)
        incomplete.append(f"Automated grading {'overdue' if overdue else 'pending'} for {ungraded} lab(s)")
    if missing:
        incomplete.append(f"{missing} assigned scorecard(s) missing")
    if not ratings:
        incomplete.append("No submitted scorecards yet")
    cards = sorted(inputs.scorecards.get(attempt.pk, []), key=lambda c: (c.submitted_at, c.pk))
    recommendations = [(c.interviewer.get_username(), c.get_recommendation_display() or "no recommendation")
                       for c in cards] + [("—", "pending")] * missing
    return Summary(attempt=attempt, label=access.candidate_label(attempt=attempt, user=user, managed=managed),
                   automated=auto, human=human,
                   combined=combined, interval=interval, level=level, flags=flags + incomplete,
                   raters=len(submitted_by), missing=missing, recommendations=recommendations,
                   incomplete=incomplete)


def _qid(inputs: Inputs, rating: reporting.Rating) -> int:
    return inputs.slug_to_qid[rating.question]


def _has_bars(inputs: Inputs, rating: reporting.Rating) -> bool:
    qid = inputs.slug_to_qid.get(rating.question)
    rubric = inputs.question_rubric.get(qid) if qid else None
    return bool(rubric and any(inputs.bars.get(rubric, {}).values()))


def track_attempts(*, track_slug: str) -> list[Attempt]:
    return list(Attempt.objects.filter(track__slug=track_slug, status=AttemptStatus.SUBMITTED)
                .select_related("track", "invitation__candidate").order_by("submitted_at"))


def comparison(*, track_slug: str, user: User, sort: str = "-combined", bootstrap_n: int = 400) -> list[Summary]:
    attempts = track_attempts(track_slug=track_slug)
    inputs = load_inputs(attempts)
    managed = access.managed_track_slugs(user=user)
    rows = [summarise(a, inputs, user=user, bootstrap_n=bootstrap_n, managed=managed) for a in attempts]
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


def track_signal_distribution(*, track_slug: str, user: User) -> list[float]:
    """The combined signal of every submitted attempt of the track: the report's distribution chart."""
    return [r.combined for r in comparison(track_slug=track_slug, user=user, bootstrap_n=0) if r.combined is not None]


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
    data.distribution = track_signal_distribution(track_slug=attempt.track.slug, user=user)
    return data


def attempt_report(*, attempt: Attempt, user: User) -> AttemptReport:
    inputs = load_inputs([attempt], with_scores=True)
    summary = summarise(attempt, inputs, user=user, bootstrap_n=2000)
    placements = (SectionQuestion.objects.filter(section__track_id=attempt.track_id)
                  .select_related("section", "question").order_by("section__order", "order"))
    submissions = {s.question_id: s for s in attempt.submissions.all()}
    autos = inputs.auto_rows.get(attempt.pk, {})
    questions = [{"placement": p, "question": p.question, "submission": submissions.get(p.question_id),
                  "automated": autos.get(p.question_id)} for p in placements]
    ratings = inputs.ratings.get(attempt.pk, [])
    cards = inputs.scorecards.get(attempt.pk, [])
    tagging: dict[str, list[str]] = defaultdict(list)
    for qslug, cslug in (Question.competencies.through.objects
                         .filter(question_id__in=[p.question_id for p in placements])
                         .values_list("question__slug", "competency__slug")):
        tagging[qslug].append(cslug)
    used = {c for cs in tagging.values() for c in cs}
    names = {c.slug: c.name for c in Competency.objects.filter(slug__in=used).order_by("order", "slug")}
    bars = {p.question.slug: inputs.bars.get(p.question.rubric_id, {}) for p in placements if p.question.rubric_id}
    competencies = reporting.competency_rows(ratings, inputs.autos.get(attempt.pk, []), tagging=tagging, names=names,
                                             bars=bars, w_auto=attempt.track.automated_weight,
                                             w_human=attempt.track.human_weight)
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
                         scorecards=cards, track=attempt.track, competencies=competencies,
                         strengths=strengths, concerns=concerns, titles=titles)


@dataclass
class Calibration:
    offsets: list[reporting.RaterOffset]
    agreement: list[dict]


def calibration(*, track_slug: str) -> Calibration:
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

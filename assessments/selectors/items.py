"""Reads for the item analysis page (access is checked by the caller): per exercise and per rubric dimension of a
track, the figures of assessments.reporting.items over its submitted attempts.

A fixed number of queries whatever the number of candidates: the report's load_inputs (automated scores, and the
submitted, non-superseded scorecards' levels), then the track's layout and the save times.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Max, Min

from ..models import QuestionKind, Response, ResponseSnapshot, RubricDimension, SectionQuestion
from ..reporting import items as maths
from .reports import cached_for_track, load_inputs, track_attempts

TIME_NOT_RECORDED = "not recorded: only coding answers keep the time of their first save"


@dataclass
class ExerciseRow:
    """An auto-graded lab: its automated score as one item, and the time spent on it."""

    slug: str
    title: str
    estimate_minutes: int | None
    stats: maths.ItemStats
    time: maths.Figure


@dataclass
class DimensionRow:
    slug: str
    title: str
    stats: maths.ItemStats


@dataclass
class QuestionItems:
    """A question scored on a rubric: one row per dimension."""

    slug: str
    title: str
    kind: str
    estimate_minutes: int | None
    time: maths.Figure
    rows: list[DimensionRow] = field(default_factory=list)


@dataclass
class ItemAnalysis:
    candidates: int  # submitted attempts, all versions of the track
    exercises: list[ExerciseRow]
    questions: list[QuestionItems]
    min_n: int = maths.MIN_N
    thresholds: dict[str, float] = field(default_factory=lambda: {
        "too_easy": maths.TOO_EASY, "too_hard": maths.TOO_HARD, "low_discrimination": maths.LOW_DISCRIMINATION,
        "low_agreement": maths.LOW_AGREEMENT})


def time_spans(*, attempt_ids: list[int]) -> dict[str, list[float]]:
    """Seconds from the first to the last save of each coding answer, per question slug.

    What the records allow: a coding answer's first save is its first snapshot (ResponseSnapshot is created on the
    first save and never moved), its last save is Response.updated_at. Written answers keep only their last save,
    so they have no span. Answers saved once (revision < 2) are left out: their span of 0 says nothing. The span
    misses reading and thinking before the first save and after the last, and includes time spent on other
    questions in between: read it as "how long the answer was being worked on", not as time on task.
    """
    first_last = {
        (row["attempt_id"], row["question__slug"]): (row["first"], row["last"])
        for row in ResponseSnapshot.objects.filter(attempt_id__in=attempt_ids).order_by()
        .values("attempt_id", "question__slug").annotate(first=Min("created_at"), last=Max("created_at"))
    }
    spans: dict[str, list[float]] = defaultdict(list)
    for attempt_id, slug, updated_at in (
            Response.objects.filter(attempt_id__in=attempt_ids, question__kind=QuestionKind.CODING, revision__gte=2)
            .values_list("attempt_id", "question__slug", "updated_at")):
        first, last = first_last.get((attempt_id, slug), (None, None))
        if first is None:  # snapshots erased with the candidate's data
            continue
        spans[slug].append(max((max(last, updated_at) - first).total_seconds(), 0.0))
    return spans


def item_analysis_get(*, track_slug: str, min_n: int = maths.MIN_N) -> ItemAnalysis:
    """The item analysis page of a track, computed once per version of the track's inputs (reports.cached_for_track)."""
    return cached_for_track(f"items-{min_n}", track_slug=track_slug,
                            compute=lambda: item_analysis_compute(track_slug=track_slug, min_n=min_n))


def item_analysis_compute(*, track_slug: str, min_n: int = maths.MIN_N) -> ItemAnalysis:
    """The exercises' table, then one table per rubric-scored question, in the order of the track's current version;
    items only older versions had (a question since removed) follow."""
    attempts = track_attempts(track_slug=track_slug)
    inputs = load_inputs(attempts)
    placements = list(SectionQuestion.objects.filter(section__track__slug=track_slug, section__track__is_current=True)
                      .select_related("question").order_by("section__order", "order"))
    questions = [p.question for p in placements]
    dimensions: dict[int, list[tuple[str, str]]] = defaultdict(list)
    for rubric_id, slug, title in (RubricDimension.objects.filter(rubric_id__in={q.rubric_id for q in questions})
                                   .order_by("rubric_id", "order").values_list("rubric_id", "slug", "title")):
        dimensions[rubric_id].append((slug, title))

    layout: list[maths.Item] = []
    for q in questions:
        if q.kind == QuestionKind.CODING:
            layout.append(maths.Item(q.slug))
        layout += [maths.Item(q.slug, slug) for slug, _ in dimensions.get(q.rubric_id, [])]
    stats = maths.item_analysis(autos={str(k): v for k, v in inputs.autos.items()},
                                ratings={str(k): v for k, v in inputs.ratings.items()}, items=layout, min_n=min_n)
    spans = time_spans(attempt_ids=[a.pk for a in attempts])

    def time_of(slug: str, kind: str) -> maths.Figure:
        if slug in spans:
            return maths.time_spent(spans[slug])
        if kind == QuestionKind.CODING:
            return maths.Figure(None, 0, "no answer saved twice yet")
        return maths.Figure(None, 0, TIME_NOT_RECORDED)

    titles = {q.slug: q for q in questions}
    dim_titles = {(q.slug, slug): title for q in questions for slug, title in dimensions.get(q.rubric_id, [])}
    exercises: list[ExerciseRow] = []
    tables: dict[str, QuestionItems] = {}
    for q in questions:  # the current layout first, so empty rows of a new lab still show
        if q.rubric_id and q.slug not in tables:
            tables[q.slug] = QuestionItems(slug=q.slug, title=q.title, kind=q.get_kind_display(),
                                           estimate_minutes=q.time_estimate_minutes, time=time_of(q.slug, q.kind))
    position = {item: i for i, item in enumerate(layout)}  # the current track's order; older items after
    for item, s in sorted(stats.items(), key=lambda kv: (position.get(kv[0], len(layout)), kv[0])):
        q = titles.get(item.question)
        if item.automated:
            exercises.append(ExerciseRow(
                slug=item.question, title=q.title if q else item.question,
                estimate_minutes=q.time_estimate_minutes if q else None, stats=s,
                time=time_of(item.question, q.kind if q else QuestionKind.CODING)))
            continue
        table = tables.get(item.question)
        if table is None:  # a question of an older version of the track
            table = tables[item.question] = QuestionItems(slug=item.question, title=item.question, kind="",
                                                          estimate_minutes=None, time=time_of(item.question, ""))
        table.rows.append(DimensionRow(slug=item.dimension, title=dim_titles.get((item.question, item.dimension),
                                                                                 item.dimension), stats=s))
    return ItemAnalysis(candidates=len(attempts), exercises=exercises,
                        questions=[t for t in tables.values() if t.rows], min_n=min_n)

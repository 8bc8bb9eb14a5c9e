"""Point signals (automated, human, combined) and what the panel said (per-dimension rows, disagreements,
conflicts, the level the evidence supports)."""

from __future__ import annotations

import math
import statistics
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence

from .types import _EPS, AutoScore, DimensionRow, Rating

# ---------------------------------------------------------------------------------------------------------------
# Point signals


def normalise(level: int, lo: int, hi: int) -> float:
    """Map a rubric level onto 0..1 so rubrics with different ranges can be averaged.

    A one-level rubric (hi == lo) can only be met, so it maps to 1.0. A level outside lo..hi is a data error
    (a rubric edited under existing scores) and raises rather than silently producing a signal above 1.
    """
    if hi < lo:
        raise ValueError(f"rubric range is reversed: lo={lo} > hi={hi}")
    if not lo <= level <= hi:
        raise ValueError(f"level {level} is outside the rubric range {lo}..{hi}")
    if hi == lo:
        return 1.0
    return (level - lo) / (hi - lo)


def _weighted_mean(pairs: Iterable[tuple[float, float]]) -> float | None:
    """Weighted mean of (value, weight) pairs; all-zero weights fall back to the plain mean instead of 0/0."""
    values: list[float] = []
    total = weight_sum = 0.0
    for value, weight in pairs:
        if weight < 0:
            raise ValueError(f"negative weight {weight}")
        values.append(value)
        total += value * weight
        weight_sum += weight
    if not values:
        return None
    if weight_sum > 0:
        return total / weight_sum
    return math.fsum(values) / len(values)


# question -> rater -> dimension -> normalised level (one rater's repeats on an item averaged)
_Panel = dict[str, dict[str, dict[str, float]]]


def _panel(ratings: Sequence[Rating]) -> tuple[_Panel, dict[tuple[str, str], float]]:
    """Group ratings by question and rater, and give each (question, dimension) item its weight.

    Grouping by rater keeps all of a rater's dimension scores for a question together, which is what the bootstrap
    resamples. An item's weight is the mean of its ratings' weights (they should all be equal).
    """
    values: dict[str, dict[str, dict[str, list[float]]]] = defaultdict(lambda: defaultdict(lambda: defaultdict(list)))
    weights: dict[tuple[str, str], list[float]] = defaultdict(list)
    for r in ratings:
        values[r.question][r.rater][r.dimension].append(normalise(r.level, r.lo, r.hi))
        weights[(r.question, r.dimension)].append(r.weight)
    panel = {
        q: {rater: {d: math.fsum(vs) / len(vs) for d, vs in dims.items()} for rater, dims in by_rater.items()}
        for q, by_rater in values.items()
    }
    item_weight = {item: math.fsum(ws) / len(ws) for item, ws in weights.items()}
    return panel, item_weight


def _human_from(draw: Iterable[tuple[str, Sequence[Mapping[str, float]]]],
                item_weight: Mapping[tuple[str, str], float]) -> float | None:
    """Human signal of a (possibly resampled) panel: one entry per question copy, with its raters' dimension scores.

    Raters are averaged within each (question, dimension) first, so three raters on one dimension count once.
    """
    pairs: list[tuple[float, float]] = []
    for question, raters in draw:
        per_dimension: dict[str, list[float]] = defaultdict(list)
        for dims in raters:
            for dimension, value in dims.items():
                per_dimension[dimension].append(value)
        for dimension, vs in per_dimension.items():
            pairs.append((math.fsum(vs) / len(vs), item_weight[(question, dimension)]))
    return _weighted_mean(pairs)


def _full_draw(panel: _Panel) -> list[tuple[str, list[dict[str, float]]]]:
    """The observed panel in a fixed order, so the point estimate is computed exactly as a bootstrap draw would be."""
    return [(q, [panel[q][rater] for rater in sorted(panel[q])]) for q in sorted(panel)]


def human_signal(ratings: Sequence[Rating]) -> float | None:
    """Weighted mean of the (question, dimension) items, each item the mean of its raters; None without ratings."""
    panel, item_weight = _panel(ratings)
    return _human_from(_full_draw(panel), item_weight)


def automated_signal(scores: Sequence[AutoScore]) -> float | None:
    """Weighted mean of the automated scores; None when nothing was auto-graded."""
    for s in scores:
        if not 0.0 <= s.score <= 1.0:
            raise ValueError(f"automated score {s.score} for {s.question!r} is outside 0..1")
    return _weighted_mean((s.score, s.weight) for s in scores)


def combined_signal(auto: float | None, human: float | None, w_auto: float, w_human: float) -> float | None:
    """Weighted mean of the sides that exist; None when neither does.

    A missing side drops out and the other's weight is renormalised, so an attempt that was only auto-graded (or only
    interviewed) still gets a signal on the same scale. When the present sides' weights sum to 0 (both track weights 0,
    or only a zero-weighted side is present) the sides count equally, rather than dividing by zero.
    """
    pairs = [(value, weight) for value, weight in ((auto, w_auto), (human, w_human)) if value is not None]
    return _weighted_mean(pairs)


# ---------------------------------------------------------------------------------------------------------------
# What the panel said


def dimension_summary(ratings: Sequence[Rating]) -> list[DimensionRow]:
    """One row per (question, dimension), sorted by question then dimension, with every rater's level.

    A rater scoring the same item twice is a data error (the scorecard is unique per rater) and raises, because a
    row can only show one level per rater.
    """
    grouped: dict[tuple[str, str], dict[str, Rating]] = defaultdict(dict)
    for r in ratings:
        item = grouped[(r.question, r.dimension)]
        if r.rater in item:
            raise ValueError(f"{r.rater!r} rated {r.question!r}/{r.dimension!r} twice")
        item[r.rater] = r
    rows = []
    for (question, dimension), by_rater in sorted(grouped.items()):
        levels = {rater: by_rater[rater].level for rater in sorted(by_rater)}
        first = next(iter(by_rater.values()))
        rows.append(DimensionRow(
            question=question, dimension=dimension, levels=levels, mean=statistics.fmean(levels.values()),
            spread=max(levels.values()) - min(levels.values()), n=len(levels), lo=first.lo, hi=first.hi,
        ))
    return rows


def disagreements(ratings: Sequence[Rating], threshold: int = 2) -> list[DimensionRow]:
    """Items whose raters are at least `threshold` levels apart: the ones worth a debrief.

    Sorted widest spread first; equal spreads keep question, dimension order so the list is stable.
    """
    rows = [row for row in dimension_summary(ratings) if row.spread >= threshold]
    return sorted(rows, key=lambda row: -row.spread)  # sorted() is stable: ties keep dimension_summary's order


def signals_conflict(auto: float | None, human: float | None, threshold: float = 0.35) -> bool:
    """True when both sides exist and disagree by at least `threshold`: the combined mean would hide a split verdict."""
    if auto is None or human is None:
        return False
    return abs(auto - human) >= threshold - _EPS


def level_signal(ratings: Sequence[Rating], bars: Mapping[int, str | None]) -> str | None:
    """The bar ("senior", "staff", ...) the panel's median level clears on a leveled rubric; None below every bar.

    The median (not the mean) so one outlier rater cannot lift or sink a level; median_low on ties, because calling a
    level the panel did not clearly reach is the costlier mistake.
    """
    if not ratings:
        return None
    median = statistics.median_low([r.level for r in ratings])
    cleared = [level for level, bar in bars.items() if bar is not None and level <= median]
    return bars[max(cleared)] if cleared else None

"""Hiring-signal arithmetic: combine automated and human scores, with uncertainty and rater agreement.

A hiring manager must never see a bare number: every signal here comes with the means to say how sure it is (a
bootstrap interval, the raters' spread, agreement statistics). The module is plain Python (numpy only to run the
bootstrap's resamples together), with no Django, so views, management commands and notebooks share one definition
and tests can check it by hand.

Every signal lives on 0..1: rubric levels are normalised by their rubric's range, automated scores already are.
"""

from __future__ import annotations

import math
import statistics
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

__all__ = [
    "AutoScore",
    "DimensionRow",
    "Rating",
    "RaterOffset",
    "alpha_sample_size",
    "automated_signal",
    "bootstrap_interval",
    "combined_signal",
    "dimension_summary",
    "disagreements",
    "human_signal",
    "krippendorff_alpha",
    "level_signal",
    "normalise",
    "rater_offsets",
    "signals_conflict",
]

METRICS = ("interval", "ordinal", "nominal")
# Float slack for threshold comparisons: 0.85 - 0.5 must count as a difference of 0.35.
_EPS = 1e-9


@dataclass(frozen=True)
class Rating:
    """One interviewer's level for one rubric dimension of one answer."""

    question: str
    dimension: str
    rater: str
    level: int
    lo: int
    hi: int
    weight: float = 1.0  # question weight x dimension weight


@dataclass(frozen=True)
class AutoScore:
    """The automated grader's score for one question, already on 0..1."""

    question: str
    score: float
    weight: float = 1.0


@dataclass(frozen=True)
class DimensionRow:
    """All raters' levels on one (question, dimension): what the panel said, and how far apart they were."""

    question: str
    dimension: str
    levels: dict[str, int]  # rater -> level
    mean: float
    spread: int  # max - min; 0 for a single rater
    n: int
    lo: int = 0  # the rubric's range, so a chart can draw the axis
    hi: int = 0

    @property
    def mean_normalised(self) -> float:
        """The mean on 0..1, comparable across rubrics with different ranges."""
        return (self.mean - self.lo) / (self.hi - self.lo) if self.hi > self.lo else 1.0


@dataclass(frozen=True)
class RaterOffset:
    """How far a rater sits from the panels they shared, in panel standard deviations (positive = lenient)."""

    rater: str
    mean_offset: float
    n_items: int


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
# Uncertainty


def _percentile(sorted_values: Sequence[float], p: float) -> float:
    """Linear-interpolation percentile (numpy's default), p in 0..1."""
    pos = p * (len(sorted_values) - 1)
    below = math.floor(pos)
    above = min(below + 1, len(sorted_values) - 1)
    frac = pos - below
    return sorted_values[below] + (sorted_values[above] - sorted_values[below]) * frac


def bootstrap_interval(ratings: Sequence[Rating], scores: Sequence[AutoScore], w_auto: float, w_human: float, *,
                       n: int = 2000, seed: int = 0, confidence: float = 0.9) -> tuple[float, float] | None:
    """Percentile bootstrap interval of combined_signal, resampling the two sources of doubt in a hiring loop.

    Questions (the union of rated and auto-scored ones) are resampled with replacement: another loop would have asked
    other questions. Within each drawn rated question its raters are resampled with replacement, each drawn rater
    bringing all of their dimension scores for that question: another panel would have had other interviewers.
    Deterministic for a given seed. None when there is nothing to resample.

    With one question and one rater every resample is the observed data, so the interval collapses to a point. That
    is correct, not a bug: there is no spread to measure, and the UI says "one rater: no spread" rather than implying
    certainty.
    """
    if n < 1:
        raise ValueError("n must be at least 1")
    if not 0.0 < confidence < 1.0:
        raise ValueError("confidence must be strictly between 0 and 1")
    panel, item_weight = _panel(ratings)
    auto_by_question: dict[str, list[tuple[float, float]]] = defaultdict(list)
    for s in scores:
        auto_by_question[s.question].append((s.score, s.weight))
    automated_signal(scores)  # validate ranges once, not on every resample
    questions = sorted(set(panel) | set(auto_by_question))
    if not questions:
        return None
    _human_from(_full_draw(panel), item_weight)  # and weights: a negative one raises here, as in a draw
    combined_signal(0.0, 0.0, w_auto, w_human)
    stats = _resample(panel, item_weight, auto_by_question, questions, w_auto, w_human, n, seed)
    if not stats:
        return None
    tail = (1.0 - confidence) / 2.0
    return _percentile(stats, tail), _percentile(stats, 1.0 - tail)



def _resample(panel: _Panel, item_weight: Mapping[tuple[str, str], float],
              auto_by_question: Mapping[str, list[tuple[float, float]]], questions: list[str],
              w_auto: float, w_human: float, n: int, seed: int) -> list[float]:
    """The n bootstrap values of combined_signal, sorted, computed for all resamples at once with numpy.

    The same statistic as _human_from / _weighted_mean on each drawn panel (a comparison page bootstraps hundreds
    of attempts, and a loop per draw in Python took ~60 ms per attempt). Each resample is a row; a drawn question
    copy is a slot. Sums are kept weighted and plain so the zero-weight fallback of _weighted_mean holds per row.
    """
    rng = np.random.default_rng(seed)
    n_q = len(questions)
    drawn = rng.integers(0, n_q, size=(n, n_q))  # drawn[b, s]: the question in slot s of resample b
    sides = {}
    for side in ("auto", "human"):
        sides[side] = {key: np.zeros(n) for key in ("weighted", "weight", "plain", "count")}

    copies = (drawn[:, :, None] == np.arange(n_q)).sum(axis=1)  # copies[b, k]: how often resample b drew k
    auto = sides["auto"]
    for k, q in enumerate(questions):
        pairs = auto_by_question.get(q, ())
        if pairs:
            auto["weighted"] += copies[:, k] * sum(v * w for v, w in pairs)
            auto["weight"] += copies[:, k] * sum(w for _, w in pairs)
            auto["plain"] += copies[:, k] * sum(v for v, _ in pairs)
            auto["count"] += copies[:, k] * len(pairs)

    human = sides["human"]
    for k, q in enumerate(questions):
        if q not in panel:
            continue
        raters = sorted(panel[q])
        dims = sorted({d for r in raters for d in panel[q][r]})
        values = np.array([[panel[q][r].get(d, 0.0) for d in dims] for r in raters])
        scored = np.array([[d in panel[q][r] for d in dims] for r in raters], dtype=float)
        weights = np.array([item_weight[(q, d)] for d in dims])
        rows = np.nonzero(drawn == k)[0]  # one entry per drawn copy of q, naming its resample
        picks = rng.integers(0, len(raters), size=(len(rows), len(raters)))  # raters drawn with replacement
        sums, counts = values[picks].sum(axis=1), scored[picks].sum(axis=1)
        present = counts > 0
        means = np.where(present, sums / np.where(present, counts, 1.0), 0.0)
        for key, per_copy in (("weighted", (means * weights).sum(axis=1)), ("weight", (present * weights).sum(axis=1)),
                              ("plain", means.sum(axis=1)), ("count", present.sum(axis=1))):
            human[key] += np.bincount(rows, weights=per_copy, minlength=n)

    signal = {}
    for side, acc in sides.items():
        with np.errstate(divide="ignore", invalid="ignore"):
            mean = np.where(acc["weight"] > 0, acc["weighted"] / acc["weight"], acc["plain"] / acc["count"])
        signal[side] = np.where(acc["count"] > 0, mean, np.nan)
    has_auto, has_human = ~np.isnan(signal["auto"]), ~np.isnan(signal["human"])
    weight = has_auto * w_auto + has_human * w_human
    weighted = np.where(has_auto, signal["auto"] * w_auto, 0.0) + np.where(has_human, signal["human"] * w_human, 0.0)
    plain = np.where(has_auto, signal["auto"], 0.0) + np.where(has_human, signal["human"], 0.0)
    count = has_auto.astype(int) + has_human
    with np.errstate(divide="ignore", invalid="ignore"):
        combined = np.where(weight > 0, weighted / weight, plain / count)
    return sorted(float(v) for v in combined[count > 0])

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


def rater_offsets(ratings: Sequence[tuple[str, Rating]]) -> dict[str, RaterOffset]:
    """Each rater's average z-score against the panels they sat on, across attempts: who is lenient, who is harsh.

    An item is one (attempt, question, dimension). On every item with at least 2 raters, a rater's normalised level is
    compared with the mean and population SD of all raters on that item; a unanimous item (SD 0) contributes offset 0.
    Raters who never shared an item get n_items=0 and mean_offset=0.0: there is nothing to compare them with.
    """
    items: dict[tuple[str, str, str], dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    for attempt, r in ratings:
        items[(attempt, r.question, r.dimension)][r.rater].append(normalise(r.level, r.lo, r.hi))
    offsets: dict[str, list[float]] = {r.rater: [] for _, r in ratings}
    for by_rater in items.values():
        if len(by_rater) < 2:
            continue
        values = {rater: math.fsum(vs) / len(vs) for rater, vs in by_rater.items()}
        mean = statistics.fmean(values.values())
        # Population SD in floats: statistics.pstdev's exact Fractions took most of the calibration page.
        sd = math.sqrt(math.fsum((v - mean) ** 2 for v in values.values()) / len(values))
        for rater, value in values.items():
            offsets[rater].append(0.0 if sd < _EPS else (value - mean) / sd)
    return {
        rater: RaterOffset(rater=rater, mean_offset=math.fsum(zs) / len(zs) if zs else 0.0, n_items=len(zs))
        for rater, zs in sorted(offsets.items())
    }


# ---------------------------------------------------------------------------------------------------------------
# Agreement


def _pairable(units: Sequence[Mapping[str, float]]) -> list[list[float]]:
    """Values of the units with at least 2 values; a lone value has nothing to agree with. None counts as missing."""
    out = []
    for unit in units:
        values = [float(v) for v in unit.values() if v is not None]
        if len(values) >= 2:
            out.append(values)
    return out


def alpha_sample_size(units: Sequence[Mapping[str, float]]) -> tuple[int, int]:
    """(pairable units, pairable values): what alpha actually rests on, to print beside it."""
    pairable = _pairable(units)
    return len(pairable), sum(len(values) for values in pairable)


def krippendorff_alpha(units: Sequence[Mapping[str, float]], metric: str = "interval") -> float | None:
    """Krippendorff's alpha: 1 - observed / expected disagreement, chance-corrected and tolerant of missing ratings.

    Chosen over Cohen's/Fleiss' kappa because panels differ per candidate (any number of raters, any of them missing)
    and levels are ordered. units holds one {rater: value} mapping per item; units with fewer than 2 values are
    ignored. metric: "interval" (squared difference), "ordinal" (Krippendorff's rank metric built from the observed
    values' frequencies) or "nominal" (0 when equal, else 1). None when fewer than 2 pairable values exist or when the
    expected disagreement is 0 (everyone used one value: agreement is undefined, not perfect).

    Follows Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability", via the coincidence matrix.
    """
    if metric not in METRICS:
        raise ValueError(f"unknown metric {metric!r}; expected one of {', '.join(METRICS)}")
    coincidence: dict[tuple[float, float], float] = defaultdict(float)
    for values in _pairable(units):
        share = 1.0 / (len(values) - 1)
        for i, c in enumerate(values):
            for j, k in enumerate(values):
                if i != j:
                    coincidence[(c, k)] += share
    n_value: dict[float, float] = defaultdict(float)
    for (c, _), o in coincidence.items():
        n_value[c] += o
    n = math.fsum(n_value.values())
    if n < 2:
        return None
    delta = _delta(metric, n_value)
    observed = math.fsum(o * delta(c, k) for (c, k), o in coincidence.items())
    expected = math.fsum(n_value[c] * n_value[k] * delta(c, k) for c in n_value for k in n_value)
    if expected <= 0:
        return None
    return 1.0 - (n - 1) * observed / expected


def _delta(metric: str, n_value: Mapping[float, float]) -> Callable[[float, float], float]:
    """The squared difference function delta(c, k) for a metric; ordinal needs the marginal frequencies n_g."""
    if metric == "nominal":
        return lambda c, k: 0.0 if c == k else 1.0
    if metric == "interval":
        return lambda c, k: (c - k) ** 2
    ordered = sorted(n_value)
    rank = {value: i for i, value in enumerate(ordered)}
    cumulative = [0.0]
    for value in ordered:
        cumulative.append(cumulative[-1] + n_value[value])

    def ordinal(c: float, k: float) -> float:
        # delta_ck = (sum_{g=c..k} n_g - (n_c + n_k) / 2) ** 2
        a, b = sorted((rank[c], rank[k]))
        return (cumulative[b + 1] - cumulative[a] - (n_value[c] + n_value[k]) / 2.0) ** 2

    return ordinal

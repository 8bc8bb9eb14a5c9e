"""Item analysis for content owners: per exercise and per rubric dimension, how hard it is, whether it separates
stronger from weaker candidates, whether raters agree on it, and how long candidates spend on the question.

An *item* is one automated score (an auto-graded lab) or one rubric dimension of one question. Every candidate's
score on an item is normalised to 0..1 first: the automated score as it is, a rubric level by its rubric's lowest
and highest levels (signals.normalise), averaged over the candidate's raters, so one candidate counts once however
many interviewers scored them. Every figure comes with the number of candidates (or answers) it rests on, and a
figure that cannot be computed is None with the reason, never a made-up 0.
"""

from __future__ import annotations

import math
import statistics
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

from .agreement import alpha_sample_size, krippendorff_alpha
from .signals import normalise
from .types import _EPS, AutoScore, Rating

# What content owners are told to look at, and below how many candidates nothing is said at all.
MIN_N = 5
TOO_EASY = 0.9
TOO_HARD = 0.1
LOW_DISCRIMINATION = 0.2
LOW_AGREEMENT = 0.67


@dataclass(frozen=True, order=True)
class Item:
    """One automated score (dimension "") or one rubric dimension of one question."""

    question: str
    dimension: str = ""

    @property
    def automated(self) -> bool:
        return not self.dimension


@dataclass(frozen=True)
class Figure:
    """A statistic with what it rests on: value None says it could not be computed, and reason says why."""

    value: float | None
    n: int
    reason: str = ""


@dataclass(frozen=True)
class Flag:
    code: str  # too-easy, too-hard, low-discrimination, low-agreement, too-few
    text: str


@dataclass(frozen=True)
class ItemStats:
    item: Item
    difficulty: Figure
    discrimination: Figure
    agreement: Figure | None  # rubric dimensions only; n = answers scored by 2+ raters
    flags: list[Flag] = field(default_factory=list)


# candidate -> item -> normalised score (0..1)
Scores = Mapping[str, Mapping[Item, float]]


def item_scores(*, autos: Mapping[str, Sequence[AutoScore]],
                ratings: Mapping[str, Sequence[Rating]]) -> dict[str, dict[Item, float]]:
    """Each candidate's normalised score on each item they have: raters averaged per candidate first."""
    out: dict[str, dict[Item, float]] = defaultdict(dict)
    for candidate, scores in autos.items():
        for s in scores:
            if not 0.0 <= s.score <= 1.0:
                raise ValueError(f"automated score {s.score} for {s.question!r} is outside 0..1")
            out[candidate][Item(s.question)] = s.score
    for candidate, rs in ratings.items():
        levels: dict[Item, list[float]] = defaultdict(list)
        for r in rs:
            levels[Item(r.question, r.dimension)].append(normalise(r.level, r.lo, r.hi))
        for item, values in levels.items():
            out[candidate][item] = math.fsum(values) / len(values)
    return dict(out)


def difficulty(scores: Scores, item: Item) -> Figure:
    """Mean normalised score over the candidates who have the item (classical "p-value": higher is easier)."""
    values = [by_item[item] for by_item in scores.values() if item in by_item]
    if not values:
        return Figure(None, 0, "no candidate has a score on it yet")
    return Figure(math.fsum(values) / len(values), len(values))


def pearson(xs: Sequence[float], ys: Sequence[float]) -> float | None:
    """Pearson's r; None with fewer than 2 pairs or when either side has no variance (r is undefined, not 0)."""
    if len(xs) != len(ys):
        raise ValueError("pearson needs pairs")
    n = len(xs)
    if n < 2:
        return None
    mx, my = math.fsum(xs) / n, math.fsum(ys) / n
    sxx = math.fsum((x - mx) ** 2 for x in xs)
    syy = math.fsum((y - my) ** 2 for y in ys)
    if sxx < _EPS**2 or syy < _EPS**2:
        return None
    sxy = math.fsum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True))
    return max(-1.0, min(1.0, sxy / math.sqrt(sxx * syy)))  # clamp float noise just past +-1


def discrimination(scores: Scores, item: Item) -> Figure:
    """Corrected item-total correlation: does doing well on this item go with doing well on the rest of the exam?

    Pearson's r, across candidates, between the item's score and the candidate's *rest score*: the mean of their
    normalised scores on the items of the OTHER questions. Two choices, both to keep the figure honest:
    - corrected: the item itself is not in the rest score (it would correlate with itself), and neither are the
      other dimensions of the same question, which the same rater scored on the same answer in one sitting and
      which would lift every dimension of a question by that halo alone;
    - missing items: a candidate's rest score is the mean over the other items they have (unweighted, so it stays
      on 0..1 however many they have); candidates without the item, or without any item of another question, are
      left out, and n counts the candidates used.
    None, with the reason, when n < 3 or when the item or the rest score has no variance.
    """
    xs, ys = [], []
    for by_item in scores.values():
        if item not in by_item:
            continue
        rest = [v for other, v in by_item.items() if other.question != item.question]
        if rest:
            xs.append(by_item[item])
            ys.append(math.fsum(rest) / len(rest))
    n = len(xs)
    if n < 3:
        return Figure(None, n, f"needs 3+ candidates with this and another question (has {n})")
    r = pearson(xs, ys)
    if r is None:
        same_item = max(xs) - min(xs) < _EPS
        return Figure(None, n, "every candidate scored the same on it" if same_item
                      else "every candidate scored the same on the rest of the exam")
    return Figure(r, n)


def agreement(ratings: Mapping[str, Sequence[Rating]], item: Item) -> Figure:
    """Krippendorff's alpha (ordinal) on a rubric dimension: one unit per candidate (their answer to the item's
    question), the raters' levels as the values; n = answers scored by 2+ raters, the ones alpha rests on."""
    units: list[dict[str, float]] = []
    for rs in ratings.values():
        unit = {r.rater: float(r.level) for r in rs if r.question == item.question and r.dimension == item.dimension}
        if unit:
            units.append(unit)
    n_units, _ = alpha_sample_size(units)
    alpha = krippendorff_alpha(units, "ordinal")
    if alpha is None:
        return Figure(None, n_units, "no answer scored by 2+ raters" if n_units == 0
                      else "every rater used one level: agreement is undefined")
    return Figure(alpha, n_units)


def time_spent(seconds: Sequence[float]) -> Figure:
    """Median of the candidates' times on a question (the median, so one candidate who left the tab open overnight
    does not move it)."""
    if not seconds:
        return Figure(None, 0, "no timing recorded")
    return Figure(float(statistics.median(seconds)), len(seconds))


def item_flags(stats: ItemStats, *, min_n: int = MIN_N) -> list[Flag]:
    """What a content owner should look at; below min_n candidates (or double-scored answers) a measure says
    nothing, and a single "too-few" flag names which measures are waiting for data."""
    flags: list[Flag] = []
    waiting: list[str] = []
    d = stats.difficulty
    if d.n < min_n:
        waiting.append(f"difficulty (n={d.n})")
    elif d.value is not None and d.value > TOO_EASY:
        flags.append(Flag("too-easy", f"Too easy: mean score {d.value:.2f} > {TOO_EASY}"))
    elif d.value is not None and d.value < TOO_HARD:
        flags.append(Flag("too-hard", f"Too hard: mean score {d.value:.2f} < {TOO_HARD}"))
    r = stats.discrimination
    if r.n < min_n:
        waiting.append(f"discrimination (n={r.n})")
    elif r.value is not None and r.value < LOW_DISCRIMINATION:
        what = "Negative" if r.value < 0 else "Low"
        flags.append(Flag("low-discrimination", f"{what} discrimination: r = {r.value:.2f} < {LOW_DISCRIMINATION}"))
    elif r.value is None and r.reason.startswith("every candidate scored the same on it"):
        flags.append(Flag("low-discrimination", "Separates no one: every candidate scored the same on it"))
    a = stats.agreement
    if a is not None:
        if a.n < min_n:
            waiting.append(f"agreement ({a.n} double-scored answers)")
        elif a.value is not None and a.value < LOW_AGREEMENT:
            flags.append(Flag("low-agreement", f"Low rater agreement: alpha = {a.value:.2f} < {LOW_AGREEMENT}"))
    if waiting:
        flags.append(Flag("too-few", f"Too few candidates to judge {', '.join(waiting)}; needs {min_n}"))
    return flags


def item_analysis(*, autos: Mapping[str, Sequence[AutoScore]], ratings: Mapping[str, Sequence[Rating]],
                  items: Sequence[Item] = (), min_n: int = MIN_N) -> dict[Item, ItemStats]:
    """Every figure for every item, keyed by item. `items` adds items nobody has a score on yet (a new lab),
    so the page can list them with n = 0; the items seen in the scores are always included."""
    scores = item_scores(autos=autos, ratings=ratings)
    wanted = set(items) | {item for by_item in scores.values() for item in by_item}
    out: dict[Item, ItemStats] = {}
    for item in sorted(wanted):
        stats = ItemStats(item=item, difficulty=difficulty(scores, item), discrimination=discrimination(scores, item),
                          agreement=None if item.automated else agreement(ratings, item))
        out[item] = replace(stats, flags=item_flags(stats, min_n=min_n))
    return out

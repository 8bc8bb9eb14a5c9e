"""How sure a combined signal is: a bootstrap over questions and raters."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Mapping, Sequence

import numpy as np

from .signals import _full_draw, _human_from, _Panel, _panel, automated_signal, combined_signal
from .types import AutoScore, Rating

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

"""Rater agreement: each rater's offset from the panels they sat on, and Krippendorff's alpha."""

from __future__ import annotations

import math
import statistics
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence

from .signals import normalise
from .types import _EPS, METRICS, RaterOffset, Rating


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

"""Hiring-signal arithmetic, checked against numbers worked out by hand (the arithmetic is in the comments)."""

from __future__ import annotations

import math

import pytest

from assessments.reporting import (
    AutoScore,
    Rating,
    alpha_sample_size,
    automated_signal,
    bootstrap_interval,
    combined_signal,
    dimension_summary,
    disagreements,
    human_signal,
    krippendorff_alpha,
    level_signal,
    normalise,
    rater_offsets,
    signals_conflict,
)


def r(question: str, dimension: str, rater: str, level: int, *, lo: int = 1, hi: int = 4, weight: float = 1.0):
    return Rating(question=question, dimension=dimension, rater=rater, level=level, lo=lo, hi=hi, weight=weight)


# --- normalise -------------------------------------------------------------------------------------------------


def test_normalise_maps_rubric_range_onto_unit_interval():
    # (level - lo) / (hi - lo) on a 1..4 rubric: 1 -> 0, 2 -> 1/3, 4 -> 1
    assert normalise(1, 1, 4) == 0.0
    assert normalise(2, 1, 4) == pytest.approx(1 / 3)
    assert normalise(4, 1, 4) == 1.0
    # 0..2 rubric: 1 -> 0.5
    assert normalise(1, 0, 2) == 0.5


def test_normalise_single_level_rubric_is_met():
    assert normalise(3, 3, 3) == 1.0


@pytest.mark.parametrize(("level", "lo", "hi"), [(0, 1, 4), (5, 1, 4), (2, 4, 1)])
def test_normalise_rejects_out_of_range(level, lo, hi):
    with pytest.raises(ValueError):
        normalise(level, lo, hi)


# --- human / automated / combined ----------------------------------------------------------------------------


def test_human_signal_none_without_ratings():
    assert human_signal([]) is None


def test_human_signal_averages_raters_before_dimensions():
    ratings = [
        r("q1", "correctness", "ann", 4),
        r("q1", "correctness", "bob", 4),
        r("q1", "correctness", "cy", 4),
        r("q1", "clarity", "ann", 1),
    ]
    # correctness: mean(1, 1, 1) = 1.0; clarity: 0.0; items weigh 1 each -> (1.0 + 0.0) / 2 = 0.5.
    # (A plain mean of the four ratings would give 3/4: three raters would weigh 3x.)
    assert human_signal(ratings) == pytest.approx(0.5)


def test_human_signal_question_and_dimension_weights():
    ratings = [
        # q1 has question weight 3, its only dimension weight 1 -> 3; level 4 -> 1.0
        r("q1", "correctness", "ann", 4, weight=3.0),
        # q2 question weight 1: correctness (dimension weight 0.5) at level 1 -> 0.0,
        # clarity (dimension weight 0.5) at level 3 -> 2/3
        r("q2", "correctness", "ann", 1, weight=0.5),
        r("q2", "clarity", "ann", 3, weight=0.5),
    ]
    # (3 * 1.0 + 0.5 * 0.0 + 0.5 * 2/3) / (3 + 0.5 + 0.5) = (3 + 1/3) / 4 = 10/12 = 0.8333...
    assert human_signal(ratings) == pytest.approx(10 / 12)


def test_human_signal_mixes_rubric_ranges_on_one_scale():
    # 1..4 rubric level 3 -> 2/3; 0..2 rubric level 2 -> 1.0; mean = (2/3 + 1) / 2 = 5/6
    ratings = [r("q1", "a", "ann", 3), r("q1", "b", "ann", 2, lo=0, hi=2)]
    assert human_signal(ratings) == pytest.approx(5 / 6)


def test_human_signal_all_zero_weights_fall_back_to_plain_mean():
    # weights 0 + 0: no 0/0; plain mean of 1.0 and 0.0 = 0.5
    assert human_signal([r("q1", "a", "ann", 4, weight=0.0), r("q2", "a", "ann", 1, weight=0.0)]) == 0.5


def test_automated_signal_weighted_mean_and_none_when_empty():
    assert automated_signal([]) is None
    # (0.5 * 1 + 1.0 * 3) / (1 + 3) = 3.5 / 4 = 0.875
    assert automated_signal([AutoScore("q1", 0.5), AutoScore("q2", 1.0, weight=3.0)]) == pytest.approx(0.875)


def test_automated_signal_rejects_scores_outside_unit_interval():
    with pytest.raises(ValueError):
        automated_signal([AutoScore("q1", 1.5)])


def test_combined_signal_both_sides():
    # 0.4 * 0.8 + 0.6 * 0.5 = 0.32 + 0.30 = 0.62
    assert combined_signal(0.8, 0.5, 0.4, 0.6) == pytest.approx(0.62)
    # weights need not sum to 1: 2 * 0.8 + 3 * 0.5 = 3.1; / 5 = 0.62
    assert combined_signal(0.8, 0.5, 2, 3) == pytest.approx(0.62)


def test_combined_signal_renormalises_missing_side():
    # automated-only attempt: weight 0.4 / 0.4 = 1 -> the automated score itself
    assert combined_signal(0.8, None, 0.4, 0.6) == pytest.approx(0.8)
    # human-only attempt
    assert combined_signal(None, 0.5, 0.4, 0.6) == pytest.approx(0.5)
    # neither
    assert combined_signal(None, None, 0.4, 0.6) is None


def test_combined_signal_zero_weights_count_equally():
    # both weights 0: (0.8 + 0.5) / 2 = 0.65
    assert combined_signal(0.8, 0.5, 0, 0) == pytest.approx(0.65)
    # a zero-weighted side that is the only one present still reports (documented: renormalised 0/0 -> equal)
    assert combined_signal(0.8, None, 0, 1) == pytest.approx(0.8)


def test_combined_signal_rejects_negative_weights():
    with pytest.raises(ValueError):
        combined_signal(0.8, 0.5, -1, 1)


def test_attempt_with_an_unrated_question():
    # q1 rated only, q2 auto-graded only (no scorecard yet): each side uses what it has.
    ratings = [r("q1", "a", "ann", 3)]  # 2/3
    scores = [AutoScore("q2", 0.9)]
    human, auto = human_signal(ratings), automated_signal(scores)
    # 0.5 * 0.9 + 0.5 * 2/3 = 0.45 + 0.3333 = 0.78333
    assert combined_signal(auto, human, 0.5, 0.5) == pytest.approx(0.45 + 1 / 3)


# --- bootstrap -----------------------------------------------------------------------------------------------


def test_bootstrap_none_when_nothing_to_resample():
    assert bootstrap_interval([], [], 0.5, 0.5) is None


def test_bootstrap_single_question_single_rater_collapses_to_a_point():
    # One question, one rater: every resample is the data itself -> (2/3, 2/3). "one rater: no spread".
    ratings = [r("q1", "a", "ann", 3), r("q1", "b", "ann", 3)]
    lo, hi = bootstrap_interval(ratings, [], 0.5, 0.5, n=200)
    assert lo == hi == pytest.approx(2 / 3)


def test_bootstrap_automated_only_single_question_collapses():
    assert bootstrap_interval([], [AutoScore("q1", 0.7)], 0.5, 0.5, n=50) == pytest.approx((0.7, 0.7))


def test_bootstrap_resamples_raters_within_a_question():
    # One question, raters at 0.0 (level 1) and 1.0 (level 4). Drawing 2 raters with replacement gives
    # {0,0} -> 0 (p = 1/4), {0,1} -> 0.5 (p = 1/2), {1,1} -> 1 (p = 1/4). Since P(0) = P(1) = 0.25 > 0.05,
    # the 5th percentile is 0 and the 95th is 1.
    ratings = [r("q1", "a", "ann", 1), r("q1", "a", "bob", 4)]
    assert bootstrap_interval(ratings, [], 0.0, 1.0, n=2000) == (0.0, 1.0)


def test_bootstrap_keeps_a_raters_dimensions_together():
    # ann scores both dimensions 1 (0.0), bob both 4 (1.0). Drawing raters as units gives a mean of
    # 0 (p 1/4), 0.5 (p 1/2) or 1 (p 1/4): the 20th percentile is 0 and the 80th is 1.
    # Drawing each dimension's rater independently would instead give 0 (1/16), 0.25 (4/16), 0.5 (6/16),
    # 0.75 (4/16), 1 (1/16): cumulative 1/16, 5/16, 11/16, 15/16 -> 20th percentile 0.25, 80th 0.75.
    ratings = [r("q1", "a", "ann", 1), r("q1", "b", "ann", 1), r("q1", "a", "bob", 4), r("q1", "b", "bob", 4)]
    assert bootstrap_interval(ratings, [], 0, 1, n=2000, confidence=0.6) == (0.0, 1.0)


def _panel(levels_by_question: dict[str, tuple[int, ...]]) -> list[Rating]:
    return [r(q, "a", f"rater{i}", level) for q, levels in levels_by_question.items() for i, level in enumerate(levels)]


def test_bootstrap_is_deterministic_for_a_seed():
    ratings = _panel({"q1": (1, 3, 4), "q2": (2, 2, 3), "q3": (4, 3, 3)})
    scores = [AutoScore("q1", 0.4), AutoScore("q4", 0.9)]
    first = bootstrap_interval(ratings, scores, 0.4, 0.6, n=300, seed=7)
    assert first == bootstrap_interval(ratings, scores, 0.4, 0.6, n=300, seed=7)
    assert first != bootstrap_interval(ratings, scores, 0.4, 0.6, n=300, seed=8)


def test_bootstrap_interval_contains_the_point_estimate():
    ratings = _panel({"q1": (1, 3, 4), "q2": (2, 2, 3), "q3": (4, 3, 3)})
    scores = [AutoScore("q1", 0.4), AutoScore("q4", 0.9)]
    point = combined_signal(automated_signal(scores), human_signal(ratings), 0.4, 0.6)
    lo, hi = bootstrap_interval(ratings, scores, 0.4, 0.6, n=500)
    assert lo < point < hi
    assert lo >= 0.0 and hi <= 1.0


def test_bootstrap_wider_with_more_rater_disagreement():
    # Same question means (2 and 3 on 1..4) in both panels; the second adds rater disagreement on top.
    agree = _panel({"q1": (2, 2, 2), "q2": (3, 3, 3)})
    split = _panel({"q1": (1, 2, 3), "q2": (2, 3, 4)})
    assert human_signal(agree) == pytest.approx(human_signal(split))  # (1/3 + 2/3) / 2 = 0.5 for both
    a_lo, a_hi = bootstrap_interval(agree, [], 0, 1, n=500)
    s_lo, s_hi = bootstrap_interval(split, [], 0, 1, n=500)
    assert s_hi - s_lo > a_hi - a_lo


def test_bootstrap_includes_questions_without_ratings():
    # q2 has only an automated score; with w_human = 1, w_auto = 0 a resample drawing only q2 has no human side and
    # renormalises to the automated score (1.0), so the interval reaches above the human-only signal (0.0).
    ratings = [r("q1", "a", "ann", 1)]
    lo, hi = bootstrap_interval(ratings, [AutoScore("q2", 1.0)], 0.0, 1.0, n=500)
    assert lo == 0.0 and hi == 1.0


def _exact_distribution(ratings, scores, w_auto, w_human):
    """Every resample and its probability, by enumeration, each scored with the point-signal functions.

    A drawn question copy or rater copy gets its own name, so human_signal counts copies as the bootstrap does.
    """
    from itertools import product

    questions = sorted({x.question for x in ratings} | {s.question for s in scores})
    raters = {q: sorted({x.rater for x in ratings if x.question == q}) for q in questions}
    out = []
    for q_draw in product(questions, repeat=len(questions)):
        per_copy = [list(product(raters[q], repeat=len(raters[q]))) if raters[q] else [()] for q in q_draw]
        for r_draws in product(*per_copy):
            drawn, autos = [], []
            for c, (q, names) in enumerate(zip(q_draw, r_draws, strict=True)):
                autos += [AutoScore(f"{q}#{c}", s.score, s.weight) for s in scores if s.question == q]
                for k, name in enumerate(names):
                    drawn += [Rating(f"{q}#{c}", x.dimension, f"{name}#{k}", x.level, x.lo, x.hi, x.weight)
                              for x in ratings if x.question == q and x.rater == name]
            p = len(questions) ** -len(questions) * math.prod(1 / len(x) for x in per_copy)
            value = combined_signal(automated_signal(autos), human_signal(drawn), w_auto, w_human)
            out.append((value, p))
    return out


def test_bootstrap_resamples_follow_the_exact_distribution():
    # q1: ann scores both dimensions, bob only "a" (a missing dimension); weights differ by dimension; q2 has
    # an automated score only, with weight 0 (the all-zero fallback of a resample drawing only q2).
    from assessments.reporting import signals, uncertainty

    ratings = [r("q1", "a", "ann", 1, weight=2.0), r("q1", "b", "ann", 4), r("q1", "a", "bob", 3, weight=2.0)]
    scores = [AutoScore("q2", 0.9, weight=0.0)]
    exact = _exact_distribution(ratings, scores, 0.3, 0.7)
    panel, item_weight = signals._panel(ratings)
    stats = uncertainty._resample(panel, item_weight, {"q2": [(0.9, 0.0)]}, ["q1", "q2"], 0.3, 0.7, 40_000, 5)
    assert len(stats) == 40_000
    for value in sorted({v for v, _ in exact}):
        expected = sum(p for v, p in exact if v <= value + 1e-12)
        observed = sum(s <= value + 1e-12 for s in stats) / len(stats)
        assert observed == pytest.approx(expected, abs=0.01), value


@pytest.mark.parametrize("kwargs", [{"n": 0}, {"confidence": 1.0}, {"confidence": 0.0}])
def test_bootstrap_rejects_bad_parameters(kwargs):
    with pytest.raises(ValueError):
        bootstrap_interval([r("q1", "a", "ann", 1)], [], 0.5, 0.5, **kwargs)


# --- dimension summary and disagreements ---------------------------------------------------------------------


def test_dimension_summary_rows_sorted_with_levels():
    ratings = [
        r("q2", "clarity", "bob", 2),
        r("q1", "correctness", "cy", 4),
        r("q1", "correctness", "ann", 1),
        r("q1", "clarity", "ann", 3),
    ]
    rows = dimension_summary(ratings)
    assert [(row.question, row.dimension) for row in rows] == [
        ("q1", "clarity"), ("q1", "correctness"), ("q2", "clarity")]
    correctness = rows[1]
    assert correctness.levels == {"ann": 1, "cy": 4}
    assert correctness.mean == pytest.approx(2.5)  # (1 + 4) / 2
    assert correctness.spread == 3  # 4 - 1
    assert correctness.n == 2
    assert (correctness.lo, correctness.hi) == (1, 4)
    assert correctness.mean_normalised == pytest.approx(0.5)  # (2.5 - 1) / 3
    assert rows[0].spread == 0 and rows[0].n == 1  # a single rater has no spread


def test_dimension_summary_rejects_duplicate_rater():
    with pytest.raises(ValueError):
        dimension_summary([r("q1", "a", "ann", 1), r("q1", "a", "ann", 2)])


def test_disagreements_threshold_and_tie_order():
    ratings = [
        *[r("q1", "a", rater, lvl) for rater, lvl in (("ann", 1), ("bob", 3))],  # spread 2
        *[r("q1", "b", rater, lvl) for rater, lvl in (("ann", 2), ("bob", 3))],  # spread 1
        *[r("q2", "a", rater, lvl) for rater, lvl in (("ann", 1), ("bob", 4))],  # spread 3
        *[r("q0", "z", rater, lvl) for rater, lvl in (("ann", 4), ("bob", 2))],  # spread 2
        r("q3", "a", "ann", 1),  # one rater: spread 0
    ]
    # threshold 2 (default): spread 3 first, then the two spread-2 rows in (question, dimension) order
    assert [(row.question, row.dimension, row.spread) for row in disagreements(ratings)] == [
        ("q2", "a", 3), ("q0", "z", 2), ("q1", "a", 2)]
    assert [(row.question, row.dimension) for row in disagreements(ratings, threshold=3)] == [("q2", "a")]
    assert len(disagreements(ratings, threshold=1)) == 4
    assert disagreements(ratings, threshold=4) == []


def test_signals_conflict():
    assert signals_conflict(0.85, 0.5)  # |0.85 - 0.5| = 0.35 >= 0.35 (despite float rounding)
    assert not signals_conflict(0.8, 0.5)  # 0.30
    assert signals_conflict(0.1, 0.9)  # 0.80
    assert not signals_conflict(None, 0.9)
    assert not signals_conflict(0.1, None)
    assert signals_conflict(0.8, 0.5, threshold=0.3)


# --- level signal --------------------------------------------------------------------------------------------

BARS = {1: None, 2: None, 3: "senior", 4: "staff"}


@pytest.mark.parametrize(
    ("levels", "expected"),
    [
        ([3, 4], "senior"),  # median 3.5, median_low 3 -> senior (conservative on ties)
        ([2, 3, 4, 4], "senior"),  # sorted 2 3 | 4 4: median_low 3
        ([4, 4, 3], "staff"),  # median 4
        ([1, 2], None),  # median_low 1: below every bar
        ([2, 2, 4], None),  # median 2: one staff vote doesn't lift the panel
        ([], None),
    ],
)
def test_level_signal(levels, expected):
    assert level_signal([r("q1", f"d{i}", "ann", lvl) for i, lvl in enumerate(levels)], BARS) == expected


def test_level_signal_takes_highest_bar_at_or_below_median():
    bars = {1: None, 2: "senior", 3: None, 4: "staff"}
    # median 3: level 3 has no bar, so the highest barred level <= 3 is 2 -> senior
    assert level_signal([r("q1", "a", "ann", 3), r("q1", "a", "bob", 3)], bars) == "senior"


# --- rater offsets -------------------------------------------------------------------------------------------


def test_rater_offsets_two_attempts_three_raters():
    ratings = [
        # attempt a1, q/d: ann 1, bob 2, cy 3 on 1..4 -> 0, 1/3, 2/3; mean 1/3;
        # population SD = sqrt(((1/3)^2 + 0 + (1/3)^2) / 3) = (1/3) sqrt(2/3)
        # z: ann -(1/3) / ((1/3) sqrt(2/3)) = -sqrt(3/2) = -1.2247; bob 0; cy +1.2247
        ("a1", r("q", "d", "ann", 1)),
        ("a1", r("q", "d", "bob", 2)),
        ("a1", r("q", "d", "cy", 3)),
        # attempt a2, same q/d but a different item: ann 4 -> 1, bob 2 -> 1/3; mean 2/3, SD 1/3; z ann +1, bob -1
        ("a2", r("q", "d", "ann", 4)),
        ("a2", r("q", "d", "bob", 2)),
        # attempt a2, q/d2: ann 3, bob 3 -> SD 0, both offset 0
        ("a2", r("q", "d2", "ann", 3)),
        ("a2", r("q", "d2", "bob", 3)),
        # attempt a2, q2/d: cy alone -> not shared, contributes nothing
        ("a2", r("q2", "d", "cy", 1)),
    ]
    offsets = rater_offsets(ratings)
    assert list(offsets) == ["ann", "bob", "cy"]
    # ann: (-1.2247 + 1 + 0) / 3 = -0.0749
    assert offsets["ann"].mean_offset == pytest.approx((-math.sqrt(1.5) + 1) / 3)
    assert offsets["ann"].n_items == 3
    # bob: (0 - 1 + 0) / 3 = -1/3
    assert offsets["bob"].mean_offset == pytest.approx(-1 / 3)
    assert offsets["bob"].n_items == 3
    # cy: only a1 was shared: +1.2247
    assert offsets["cy"].mean_offset == pytest.approx(math.sqrt(1.5))
    assert offsets["cy"].n_items == 1


def test_rater_offsets_rater_who_never_shares_an_item():
    offsets = rater_offsets([("a1", r("q", "d", "solo", 4)), ("a2", r("q", "d", "solo", 1))])
    assert offsets["solo"].mean_offset == 0.0
    assert offsets["solo"].n_items == 0
    assert rater_offsets([]) == {}


# --- Krippendorff's alpha ------------------------------------------------------------------------------------

# Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability", section C: 4 observers x 12 units.
RELIABILITY_DATA = {
    "A": "1 2 3 3 2 1 4 1 2 . . .",
    "B": "1 2 3 3 2 2 4 1 2 5 . 3",
    "C": ". 3 3 3 2 3 4 2 2 5 1 .",
    "D": "1 2 3 3 2 4 4 1 2 5 1 .",
}


def _units() -> list[dict[str, float]]:
    columns = {observer: row.split() for observer, row in RELIABILITY_DATA.items()}
    return [
        {observer: float(values[u]) for observer, values in columns.items() if values[u] != "."}
        for u in range(12)
    ]


def test_alpha_sample_size_of_published_example():
    # Unit 12 has a single value (B: 3) and is not pairable: 11 units, 3+4+4+4+4+4+4+4+4+3+2 = 40 values.
    assert alpha_sample_size(_units()) == (11, 40)


@pytest.mark.parametrize(("metric", "published"), [("nominal", 0.743), ("ordinal", 0.815), ("interval", 0.849)])
def test_krippendorff_alpha_matches_published_example(metric, published):
    # Coincidence marginals n_1..n_5 = 9, 13, 10, 5, 3 (n = 40), as in the paper.
    # nominal: observed off-diagonal o_ck sum = 8, expected sum_{c != k} n_c n_k = 40^2 - (81+169+100+25+9) = 1216;
    #   alpha = 1 - (n - 1) * 8 / 1216 = 1 - 312/1216 = 0.7434
    # interval: sum o_ck (c-k)^2 = 52/3, sum n_c n_k (c-k)^2 = 4480; alpha = 1 - 39 * (52/3) / 4480 = 1 - 676/4480
    #   = 0.8491
    # ordinal: delta_ck = (sum_{g=c..k} n_g - (n_c + n_k) / 2)^2; the paper gives 0.815.
    assert round(krippendorff_alpha(_units(), metric), 3) == published


def test_krippendorff_alpha_exact_fractions():
    assert krippendorff_alpha(_units(), "nominal") == pytest.approx(1 - 312 / 1216)
    assert krippendorff_alpha(_units(), "interval") == pytest.approx(1 - 676 / 4480)


@pytest.mark.parametrize("metric", ["nominal", "ordinal", "interval"])
def test_krippendorff_alpha_small_hand_cases(metric):
    # Perfect agreement: o_11 = o_22 = 2, no off-diagonal -> observed 0 -> alpha 1.
    assert krippendorff_alpha([{"a": 1, "b": 1}, {"a": 2, "b": 2}], metric) == pytest.approx(1.0)
    # Systematic disagreement: o_12 = o_21 = 2, n_1 = n_2 = 2, n = 4. For every metric delta_12 is one constant d
    # (nominal 1, interval 1, ordinal (4 - 2)^2 = 4): observed = 4d, expected = 2 * n_1 n_2 d = 8d;
    # alpha = 1 - 3 * 4d / 8d = -0.5
    assert krippendorff_alpha([{"a": 1, "b": 2}, {"a": 2, "b": 1}], metric) == pytest.approx(-0.5)


def test_krippendorff_alpha_undefined_cases():
    # no pairable unit
    assert krippendorff_alpha([{"a": 1}, {"b": 2}]) is None
    assert krippendorff_alpha([]) is None
    # everyone used one value: expected disagreement 0
    assert krippendorff_alpha([{"a": 3, "b": 3}, {"a": 3, "c": 3}], "nominal") is None
    assert alpha_sample_size([{"a": 1}, {"a": 1, "b": 2, "c": None}]) == (1, 2)


def test_krippendorff_alpha_rejects_unknown_metric():
    with pytest.raises(ValueError):
        krippendorff_alpha(_units(), "ratio")

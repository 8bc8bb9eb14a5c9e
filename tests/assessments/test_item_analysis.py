"""Item analysis maths (assessments.reporting.items), checked against figures computed by hand."""

from __future__ import annotations

import math

import pytest

from assessments.reporting import AutoScore, Rating
from assessments.reporting.items import (
    Figure,
    Item,
    ItemStats,
    agreement,
    difficulty,
    discrimination,
    item_analysis,
    item_flags,
    item_scores,
    pearson,
    time_spent,
)

LAB, DEPTH, CLARITY = Item("lab"), Item("essay", "depth"), Item("design", "clarity")


def _r(question: str, dimension: str, rater: str, level: int) -> Rating:
    return Rating(question=question, dimension=dimension, rater=rater, level=level, lo=1, hi=3)


# 4 candidates x 3 items, each item on its own question. Rubrics run 1..3, so levels normalise to 0, 0.5, 1.
#        lab (auto)   essay/depth (raters r1, r2)      design/clarity (r1)
#   c1   1.0          3, 2 -> (1 + 0.5) / 2 = 0.75      3 -> 1.0
#   c2   0.5          2, 2 -> 0.5                       2 -> 0.5
#   c3   0.0          1, 2 -> (0 + 0.5) / 2 = 0.25      3 -> 1.0
#   c4   0.5          2 (r1 only) -> 0.5                1 -> 0.0
AUTOS = {c: [AutoScore(question="lab", score=s)] for c, s in (("c1", 1.0), ("c2", 0.5), ("c3", 0.0), ("c4", 0.5))}
RATINGS = {
    "c1": [_r("essay", "depth", "r1", 3), _r("essay", "depth", "r2", 2), _r("design", "clarity", "r1", 3)],
    "c2": [_r("essay", "depth", "r1", 2), _r("essay", "depth", "r2", 2), _r("design", "clarity", "r1", 2)],
    "c3": [_r("essay", "depth", "r1", 1), _r("essay", "depth", "r2", 2), _r("design", "clarity", "r1", 3)],
    "c4": [_r("essay", "depth", "r1", 2), _r("design", "clarity", "r1", 1)],
}


def _scores():
    return item_scores(autos=AUTOS, ratings=RATINGS)


def test_scores_are_normalised_and_averaged_over_raters():
    scores = _scores()
    assert scores["c1"] == {LAB: 1.0, DEPTH: 0.75, CLARITY: 1.0}
    assert scores["c3"][DEPTH] == 0.25
    assert scores["c4"][DEPTH] == 0.5  # one rater: their level alone


def test_difficulty_is_the_mean_normalised_score_with_n():
    scores = _scores()
    assert difficulty(scores, LAB) == Figure(0.5, 4)                  # (1 + 0.5 + 0 + 0.5) / 4
    assert difficulty(scores, DEPTH) == Figure(0.5, 4)                # (0.75 + 0.5 + 0.25 + 0.5) / 4
    assert difficulty(scores, CLARITY) == Figure(0.625, 4)            # (1 + 0.5 + 1 + 0) / 4
    missing = difficulty(scores, Item("new-lab"))
    assert missing.value is None and missing.n == 0 and missing.reason


def test_corrected_item_total_correlation_by_hand():
    # The lab's rest score: the mean of each candidate's OTHER items (depth, clarity):
    #   c1 (0.75 + 1) / 2 = 0.875, c2 0.5, c3 (0.25 + 1) / 2 = 0.625, c4 (0.5 + 0) / 2 = 0.25; mean 0.5625
    # x = lab: 1, 0.5, 0, 0.5 (mean 0.5) -> deviations 0.5, 0, -0.5, 0
    # y deviations: 0.3125, -0.0625, 0.0625, -0.3125
    # Sxy = 0.5 * 0.3125 + (-0.5) * 0.0625 = 0.125
    # Sxx = 0.25 + 0.25 = 0.5;  Syy = 2 * 0.3125^2 + 2 * 0.0625^2 = 0.203125
    # r = 0.125 / sqrt(0.5 * 0.203125) = sqrt(0.015625 / 0.1015625) = sqrt(2/13) = 0.39223...
    fig = discrimination(_scores(), LAB)
    assert fig.n == 4
    assert fig.value == pytest.approx(math.sqrt(2 / 13), abs=1e-9)


def test_the_item_itself_is_left_out_of_the_total():
    # Had the lab stayed in the total, r would be the (inflated) uncorrected item-total correlation:
    # totals over all three items 11/12, 6/12, 5/12, 4/12 (mean 6.5/12) -> deviations 4.5, -0.5, -1.5, -2.5 (/12)
    # Sxy = (0.5 * 4.5 + 0.5 * 1.5) / 12 = 0.25; Syy = (20.25 + 0.25 + 2.25 + 6.25) / 144 = 29/144
    # r = 0.25 / sqrt(0.5 * 29/144) = sqrt(18/29) = 0.7878...
    scores = _scores()
    uncorrected = pearson([s[LAB] for s in scores.values()], [sum(s.values()) / 3 for s in scores.values()])
    assert uncorrected == pytest.approx(math.sqrt(18 / 29), abs=1e-9)
    assert discrimination(scores, LAB).value < uncorrected - 0.3


def test_other_dimensions_of_the_same_question_are_left_out_too():
    # Two dimensions of one question, nothing else: no other question to correlate with, so no figure.
    scores = {c: {Item("essay", "depth"): v, Item("essay", "style"): v} for c, v in
              (("a", 0.0), ("b", 0.5), ("c", 1.0), ("d", 0.5))}
    fig = discrimination(scores, Item("essay", "depth"))
    assert fig.value is None and fig.n == 0 and "another question" in fig.reason


def test_candidates_missing_items_use_the_mean_of_what_they_have():
    # c5 has only the lab: no rest score, left out. c6 lacks the lab: left out. c7 has the lab and clarity only:
    # rest = clarity alone (mean over what they have, so it stays on 0..1).
    scores = {**_scores(), "c5": {LAB: 1.0}, "c6": {DEPTH: 1.0, CLARITY: 1.0}, "c7": {LAB: 0.0, CLARITY: 0.0}}
    fig = discrimination(scores, LAB)
    assert fig.n == 5
    xs = [1.0, 0.5, 0.0, 0.5, 0.0]
    ys = [0.875, 0.5, 0.625, 0.25, 0.0]
    assert fig.value == pytest.approx(pearson(xs, ys), abs=1e-12)


def test_zero_variance_and_too_few_candidates_give_no_figure():
    flat = {c: {LAB: 0.5, DEPTH: v} for c, v in (("a", 0.0), ("b", 0.5), ("c", 1.0))}
    fig = discrimination(flat, LAB)
    assert fig.value is None and fig.n == 3 and "same on it" in fig.reason
    flat_rest = {c: {LAB: v, DEPTH: 0.5} for c, v in (("a", 0.0), ("b", 0.5), ("c", 1.0))}
    assert "rest of the exam" in discrimination(flat_rest, LAB).reason
    two = {c: {LAB: v, DEPTH: v} for c, v in (("a", 0.0), ("b", 1.0))}
    fig = discrimination(two, LAB)
    assert fig.value is None and fig.n == 2 and "3+" in fig.reason
    assert pearson([1.0, 2.0], [3.0, 3.0]) is None


def test_agreement_is_ordinal_alpha_over_double_scored_answers():
    # essay/depth: pairable units c1 (3, 2), c2 (2, 2), c3 (1, 2); c4 has one rater and does not count.
    # Coincidences (each unit has 2 values, so each pair weighs 1): o32 = o23 = 1, o22 = 2, o12 = o21 = 1
    # Marginals n1 = 1, n2 = 4, n3 = 1, n = 6.
    # Ordinal delta(c, k) = (sum_{g=c..k} n_g - (n_c + n_k) / 2)^2:
    #   delta12 = (5 - 2.5)^2 = 6.25, delta23 = (5 - 2.5)^2 = 6.25, delta13 = (6 - 1)^2 = 25
    # observed = 4 * 6.25 = 25; expected = 2 * (n1 n2 d12 + n2 n3 d23 + n1 n3 d13) = 2 * (25 + 25 + 25) = 150
    # alpha = 1 - (n - 1) * observed / expected = 1 - 5 * 25 / 150 = 1/6
    fig = agreement(RATINGS, DEPTH)
    assert fig.n == 3
    assert fig.value == pytest.approx(1 / 6, abs=1e-9)
    single = agreement(RATINGS, CLARITY)  # one rater everywhere
    assert single.value is None and single.n == 0 and "2+ raters" in single.reason


def test_agreement_matches_the_published_example():
    # Krippendorff (2011): the same data as tests/assessments/test_reporting.py, ordinal alpha 0.815.
    from tests.assessments.test_reporting import _units

    ratings = {f"u{i}": [_r("q", "d", rater, int(v)) for rater, v in unit.items()] for i, unit in enumerate(_units())}
    ratings = {k: [Rating(question=r.question, dimension=r.dimension, rater=r.rater, level=r.level, lo=1, hi=5)
                   for r in rs] for k, rs in ratings.items()}
    fig = agreement(ratings, Item("q", "d"))
    assert fig.n == 11 and round(fig.value, 3) == 0.815


def test_time_spent_is_the_median_with_n():
    assert time_spent([600.0, 60.0, 1200.0, 300.0]) == Figure(450.0, 4)  # (300 + 600) / 2
    assert time_spent([5.0, 1.0, 3.0]) == Figure(3.0, 3)
    empty = time_spent([])
    assert empty.value is None and empty.n == 0


def _stats(d=(0.5, 10), r=(0.5, 10), a=None) -> ItemStats:
    return ItemStats(item=LAB if a is None else DEPTH, difficulty=Figure(*d), discrimination=Figure(*r),
                     agreement=None if a is None else Figure(*a))


def _codes(stats: ItemStats, **kw) -> list[str]:
    return [f.code for f in item_flags(stats, **kw)]


def test_flags_need_enough_candidates():
    assert _codes(_stats()) == []
    assert _codes(_stats(d=(0.95, 5))) == ["too-easy"]
    assert _codes(_stats(d=(0.05, 5))) == ["too-hard"]
    assert _codes(_stats(d=(0.9, 5))) == []  # the bar itself is not "too easy"
    assert _codes(_stats(r=(0.1, 5))) == ["low-discrimination"]
    neg = item_flags(_stats(r=(-0.3, 5)))
    assert neg[0].code == "low-discrimination" and neg[0].text.startswith("Negative")
    assert _codes(_stats(a=(0.5, 5))) == ["low-agreement"]
    assert _codes(_stats(a=(0.67, 5))) == []
    # The same figures on 4 candidates say nothing yet, except that there are too few.
    few = item_flags(_stats(d=(0.95, 4), r=(-0.3, 4), a=(0.1, 4)))
    assert [f.code for f in few] == ["too-few"]
    assert "difficulty (n=4)" in few[0].text and "agreement (4 double-scored answers)" in few[0].text
    # Enough candidates, too few double-scored answers: the difficulty flag stands, agreement waits.
    assert _codes(_stats(d=(0.95, 8), a=(0.1, 2))) == ["too-easy", "too-few"]
    assert _codes(_stats(d=(0.95, 4)), min_n=3) == ["too-easy"]
    flat = ItemStats(item=LAB, difficulty=Figure(0.5, 6),
                     discrimination=Figure(None, 6, "every candidate scored the same on it"), agreement=None)
    assert _codes(flat) == ["low-discrimination"]


def test_item_analysis_puts_it_together():
    stats = item_analysis(autos=AUTOS, ratings=RATINGS, items=[Item("new-lab")])
    assert set(stats) == {LAB, DEPTH, CLARITY, Item("new-lab")}
    assert stats[LAB].agreement is None  # automated: no raters
    assert stats[DEPTH].agreement == Figure(pytest.approx(1 / 6), 3)
    assert stats[CLARITY].difficulty == Figure(0.625, 4)
    assert [f.code for f in stats[LAB].flags] == ["too-few"]  # 4 candidates < 5
    assert stats[Item("new-lab")].difficulty.n == 0
    assert [f.code for f in item_analysis(autos=AUTOS, ratings=RATINGS, min_n=3)[LAB].flags] == []

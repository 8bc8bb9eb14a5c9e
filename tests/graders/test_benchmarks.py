"""The harness's benchmark maths, checked against hand-computed cases."""

from __future__ import annotations

import sys

import pytest

from graders.jobs import HARNESS_DIR

sys.path.insert(0, str(HARNESS_DIR))
from benchmarks import latency, wer  # noqa: E402  (plain modules from the harness folder, as the sandbox imports them)


@pytest.mark.parametrize(("raw", "normalised"), [
    ("Hello, World!", "hello world"),                       # casing, punctuation
    ("  Don't   STOP  ", "don't stop"),                       # in-word apostrophe kept, spaces collapse
    ("'quoted' words", "quoted words"),                       # quote marks are not apostrophes
    ("It\u2019s fine", "it's fine"),                          # typographic apostrophe
    ("Call 911 now", "call nine hundred eleven now"),         # numbers become words
    ("Room 21-B", "room twenty one b"),
    ("0 errors", "zero errors"),
    ("1,500 users", "one five hundred users"),                # the comma splits the digits
    ("1234567", "one two three four five six seven"),         # over a million: digit by digit
    ("PyTorch's CTC-loss", "pytorch's ctc loss"),
])
def test_basic_normaliser(raw, normalised):
    assert wer.normalize_basic(raw) == normalised


def test_number_words():
    assert wer.number_words(0) == "zero"
    assert wer.number_words(40) == "forty"
    assert wer.number_words(305) == "three hundred five"
    assert wer.number_words(120_042) == "one hundred twenty thousand forty two"


def test_wer_figures_are_corpus_level_per_slice_with_term_recall_and_false_alarms():
    rows = [
        # domain: 4 ref words, 1 substitution; the term 'kubernetes' is missed once, found once
        {"slice": "domain", "reference": "deploy on kubernetes now", "hypothesis": "deploy on cooper netties now"},
        {"slice": "domain", "reference": "kubernetes is up", "hypothesis": "kubernetes is up"},
        # general: 2 ref words, 0 errors, but the hypothesis invents a term: a false alarm
        {"slice": "general", "reference": "good morning", "hypothesis": "good morning"},
        {"slice": "general", "reference": "see you", "hypothesis": "see you kubernetes"},
    ]
    out = wer.wer_figures(rows, ["kubernetes"])
    # domain: ref words 4 + 3 = 7; errors: 'kubernetes'->'cooper' sub + 'netties' insertion = 2
    assert out["slices"]["domain"]["wer"] == round(2 / 7, 4)
    # general: ref words 2 + 2 = 4; errors: one insertion
    assert out["slices"]["general"]["wer"] == round(1 / 4, 4)
    # corpus-level overall: 3 errors / 11 words, not the mean of the slice WERs
    assert out["overall"]["wer"] == round(3 / 11, 4)
    assert out["overall"]["n_utts"] == 4
    terms = out["domain_terms"]
    assert (terms["occurrences"], terms["recalled"], terms["recall"]) == (2, 1, 0.5)
    assert (terms["false_alarms"], terms["false_alarm_rate"]) == (1, 0.25)


def test_empty_reference_is_excluded_from_wer():
    rows = [{"slice": "general", "reference": "", "hypothesis": "noise"},
            {"slice": "general", "reference": "hello there", "hypothesis": "hello there"}]
    out = wer.wer_figures(rows, [])
    assert out["overall"] == {"wer": 0.0, "cer": 0.0, "n_utts": 1}
    assert out["domain_terms"]["recall"] is None


def test_percentiles():
    samples = [0.010, 0.020, 0.030, 0.040, 0.100]
    assert latency.percentile(samples, 0.5) == 0.030
    assert latency.percentile(samples, 0.95) == pytest.approx(0.088)
    timings = latency._timings(samples)
    assert (timings["n"], timings["p50_ms"], timings["min_ms"]) == (5, 30.0, 10.0)


def _figures(general_wer: float, recall: float | None, fa_rate: float = 0.0) -> dict:
    return {"slices": {"general": {"wer": general_wer}},
            "domain_terms": {"recall": recall, "false_alarm_rate": fa_rate}}


@pytest.mark.parametrize(("cand", "thresholds", "passed", "score", "failing"), [
    # the stock recogniser: general slice untouched, no term recalled -> no credit at all
    (_figures(0.38, 0.0), {"min_domain_term_recall": 0.6}, False, 0.0, {"domain_term_recall"}),
    # recall above the bar, general slice within 10% of the reference's -> full marks
    (_figures(0.40, 0.85), {"min_domain_term_recall": 0.6}, True, 1.0, set()),
    # half the required recall -> half the credit
    (_figures(0.38, 0.3), {"min_domain_term_recall": 0.6}, False, 0.5, {"domain_term_recall"}),
    # recall bought by wrecking general speech: credit halved
    (_figures(0.50, 0.9), {"min_domain_term_recall": 0.6}, False, 0.5, {"general_no_regression"}),
    # the false-alarm cap counts only when the exercise declares it
    (_figures(0.38, 0.9, fa_rate=0.2), {"min_domain_term_recall": 0.6}, True, 1.0, set()),
    (_figures(0.38, 0.9, fa_rate=0.2), {"min_domain_term_recall": 0.6, "max_false_alarm_rate": 0.1},
     False, 0.5, {"false_alarms"}),
    # no domain terms in the set: recall is undefined, which is a failure, not a pass
    (_figures(0.38, None), {"min_domain_term_recall": 0.6}, False, 0.0, {"domain_term_recall"}),
])
def test_wer_verdict(cand, thresholds, passed, score, failing):
    ref = _figures(0.38, 0.85)
    out = wer.wer_verdict(cand, ref, {"max_general_wer_ratio": 1.10, **thresholds})
    assert (out["passed"], out["score"]) == (passed, score)
    assert {name for name, ok in out["checks"].items() if not ok} == failing

"""Visible tests: a few examples from the prompt. The hidden suite is much more thorough."""

import pytest

from solution import normalize, wer_by_slice


def test_normalize_prompt_example():
    assert normalize("Don\u2019t call 911, OK?") == "don't call nine one one ok"


def test_normalize_only_punctuation_is_empty():
    assert normalize("  ...  ") == ""


def test_perfect_transcript_after_normalisation():
    rows = [{"id": "u1", "slice": "clean", "reference": "Hello, world.", "hypothesis": "hello world"}]
    out = wer_by_slice(rows)
    assert out["overall"] == {"wer": 0.0, "cer": 0.0, "n_utts": 1, "n_ref_words": 2, "n_skipped": 0}
    assert out["slices"] == {"clean": out["overall"]}


def test_two_slices():
    rows = [
        {"id": "u1", "slice": "noisy", "reference": "turn the volume up", "hypothesis": "turn volume up"},
        {"id": "u2", "slice": "clean", "reference": "stop", "hypothesis": "stop"},
    ]
    out = wer_by_slice(rows)
    assert list(out["slices"]) == ["clean", "noisy"]
    assert out["slices"]["noisy"]["wer"] == pytest.approx(1 / 4)
    assert out["slices"]["clean"]["wer"] == 0.0
    assert out["overall"]["wer"] == pytest.approx(1 / 5)

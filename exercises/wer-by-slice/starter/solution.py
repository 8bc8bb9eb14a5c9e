"""WER and CER by slice. See the prompt for the exact contract."""

from __future__ import annotations

DIGIT_WORDS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")


def normalize(text: str) -> str:
    """Lowercase, spell out digits one word per digit, strip punctuation (keeping apostrophes
    inside words) and collapse whitespace, exactly as the prompt specifies."""
    raise NotImplementedError


def wer_by_slice(rows: list[dict]) -> dict:
    """rows: [{"id": str, "slice": str, "reference": str, "hypothesis": str}, ...]

    Returns {"overall": {...}, "slices": {name: {...}}} where each {...} is
    {"wer": float | None, "cer": float | None, "n_utts": int, "n_ref_words": int, "n_skipped": int}
    with corpus-level WER/CER over normalised text.
    """
    raise NotImplementedError

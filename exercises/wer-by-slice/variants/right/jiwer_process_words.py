# RIGHT: jiwer.process_words / process_characters per utterance, summing the S+D+I counts and
# reference lengths (hits + substitutions + deletions) into per-slice and overall totals.
from __future__ import annotations

import re
from collections import Counter, defaultdict

import jiwer

_DIGIT_WORDS = dict(zip("0123456789", "zero one two three four five six seven eight nine".split()))
_CANDIDATE_JUNK = re.compile(r"[^'\s]")


def normalize(text: str) -> str:
    text = text.lower().replace("\u2019", "'")
    text = re.sub(r"[0-9]", lambda m: " " + _DIGIT_WORDS[m.group()] + " ", text)
    # anything that is not a letter, apostrophe or whitespace becomes a space
    text = _CANDIDATE_JUNK.sub(lambda m: m.group() if m.group().isalpha() else " ", text)
    text = re.sub(r"(?<![^\W\d_])'|'(?![^\W\d_])", " ", text)  # apostrophes not between letters
    return re.sub(r"\s+", " ", text).strip()


def _errors(out) -> int:
    return out.substitutions + out.deletions + out.insertions


def _ref_len(out) -> int:
    return out.hits + out.substitutions + out.deletions


def wer_by_slice(rows):
    totals: dict[str, Counter] = defaultdict(Counter)
    for row in rows:
        key = row["slice"]
        ref = normalize(row["reference"])
        hyp = normalize(row["hypothesis"])
        delta = Counter()
        if not ref:
            delta["skipped"] = 1
        else:
            w = jiwer.process_words(ref, hyp)
            c = jiwer.process_characters(ref, hyp)
            delta.update(
                word_err=_errors(w), words=_ref_len(w), char_err=_errors(c), chars=_ref_len(c), utts=1
            )
        totals[key].update(delta)
        totals[None].update(delta)

    def metrics(t: Counter) -> dict:
        scored = t["utts"] > 0
        return {
            "wer": t["word_err"] / t["words"] if scored else None,
            "cer": t["char_err"] / t["chars"] if scored else None,
            "n_utts": t["utts"],
            "n_ref_words": t["words"],
            "n_skipped": t["skipped"],
        }

    return {
        "overall": metrics(totals[None]),
        "slices": {name: metrics(totals[name]) for name in sorted(k for k in totals if k is not None)},
    }

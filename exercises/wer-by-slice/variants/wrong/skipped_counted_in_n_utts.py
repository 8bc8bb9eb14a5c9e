# WRONG: empty references are kept out of the WER/CER sums, but they are still counted in n_utts
# (n_utts = every row in the slice) and n_skipped is never incremented. The contract says n_utts
# counts scored utterances only and skipped ones go to n_skipped.
from __future__ import annotations

import re

import jiwer

DIGIT_WORDS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
_DIGIT = re.compile(r"[0-9]")
_LONE_APOSTROPHE = re.compile(r"(?<!\w)'|'(?!\w)")


def normalize(text: str) -> str:
    s = text.lower().replace("\u2019", "'")
    s = _DIGIT.sub(lambda m: f" {DIGIT_WORDS[int(m.group())]} ", s)
    s = "".join(ch if ch.isalpha() or ch == "'" or ch.isspace() else " " for ch in s)
    s = _LONE_APOSTROPHE.sub(" ", s)
    return " ".join(s.split())


def _score(pairs):
    refs = [normalize(r["reference"]) for r in pairs]
    hyps = [normalize(r["hypothesis"]) for r in pairs]
    kept = [(r, h) for r, h in zip(refs, hyps) if r]
    if not kept:
        wer = cer = None
    else:
        wer = float(jiwer.wer([r for r, _ in kept], [h for _, h in kept]))
        cer = float(jiwer.cer([r for r, _ in kept], [h for _, h in kept]))
    return {
        "wer": wer,
        "cer": cer,
        "n_utts": len(pairs),
        "n_ref_words": sum(len(r.split()) for r in refs),
        "n_skipped": 0,
    }


def wer_by_slice(rows):
    by_slice = {}
    for row in rows:
        by_slice.setdefault(row["slice"], []).append(row)
    return {
        "overall": _score(list(rows)),
        "slices": {name: _score(by_slice[name]) for name in sorted(by_slice)},
    }

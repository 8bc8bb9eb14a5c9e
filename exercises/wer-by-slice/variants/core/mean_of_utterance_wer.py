# WRONG: reports the MEAN of per-utterance WER/CER instead of corpus-level rates (total edits /
# total reference words). Short utterances get the same weight as long ones, so a one-word miss
# counts as much as a perfect ten-word utterance. Everything else (normalisation, skipping,
# counts, key order) is correct.
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


def _score(pairs, n_skipped):
    if not pairs:
        return {"wer": None, "cer": None, "n_utts": 0, "n_ref_words": 0, "n_skipped": n_skipped}
    wers = [jiwer.wer(r, h) for r, h in pairs]
    cers = [jiwer.cer(r, h) for r, h in pairs]
    return {
        "wer": float(sum(wers) / len(wers)),
        "cer": float(sum(cers) / len(cers)),
        "n_utts": len(pairs),
        "n_ref_words": sum(len(r.split()) for r, _ in pairs),
        "n_skipped": n_skipped,
    }


def wer_by_slice(rows):
    pairs, skipped = {}, {}
    for row in rows:
        name = row["slice"]
        pairs.setdefault(name, [])
        skipped.setdefault(name, 0)
        ref, hyp = normalize(row["reference"]), normalize(row["hypothesis"])
        if not ref:
            skipped[name] += 1
        else:
            pairs[name].append((ref, hyp))
    every = [p for name in pairs for p in pairs[name]]
    return {
        "overall": _score(every, sum(skipped.values())),
        "slices": {name: _score(pairs[name], skipped[name]) for name in sorted(pairs)},
    }

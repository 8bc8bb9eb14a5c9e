# WRONG: normalises only the hypothesis ("the model output is messy, the references are clean").
# References keep their casing, punctuation and digits, so "Hello, World!" vs "hello world" scores
# two word errors, and references made only of punctuation are not skipped.
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


def _score(refs, hyps, n_skipped):
    if not refs:
        return {"wer": None, "cer": None, "n_utts": 0, "n_ref_words": 0, "n_skipped": n_skipped}
    return {
        "wer": float(jiwer.wer(refs, hyps)),
        "cer": float(jiwer.cer(refs, hyps)),
        "n_utts": len(refs),
        "n_ref_words": sum(len(r.split()) for r in refs),
        "n_skipped": n_skipped,
    }


def wer_by_slice(rows):
    groups, skipped = {}, {}
    for row in rows:
        name = row["slice"]
        refs, hyps = groups.setdefault(name, ([], []))
        skipped.setdefault(name, 0)
        ref = " ".join(row["reference"].split())
        hyp = normalize(row["hypothesis"])
        if not ref:
            skipped[name] += 1
            continue
        refs.append(ref)
        hyps.append(hyp)
    all_refs = [r for name in groups for r in groups[name][0]]
    all_hyps = [h for name in groups for h in groups[name][1]]
    return {
        "overall": _score(all_refs, all_hyps, sum(skipped.values())),
        "slices": {name: _score(*groups[name], skipped[name]) for name in sorted(groups)},
    }

# WRONG: treats the apostrophe like any other punctuation and deletes it, so "don't" becomes
# "dont" and "it's" becomes "its". The contract keeps apostrophes inside words, so normalize() is
# wrong and a hypothesis "dont" wrongly matches a reference "don't". Scoring is otherwise correct.
from __future__ import annotations

import string

import jiwer

DIGIT_WORDS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")


def normalize(text: str) -> str:
    s = text.lower().replace("\u2019", "'")
    out = []
    for ch in s:
        if ch in string.digits:
            out.append(f" {DIGIT_WORDS[int(ch)]} ")
        elif ch == "'":
            continue  # "don't" -> "dont"
        elif ch.isalpha() or ch.isspace():
            out.append(ch)
        else:
            out.append(" ")
    return " ".join("".join(out).split())


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
        ref, hyp = normalize(row["reference"]), normalize(row["hypothesis"])
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

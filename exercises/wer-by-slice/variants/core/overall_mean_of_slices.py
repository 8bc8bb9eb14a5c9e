# WRONG: slices are scored correctly (corpus-level within each slice), but the overall WER/CER is
# the unweighted mean of the slice rates instead of pooling every scored utterance. A tiny slice
# then moves the headline number as much as a large one.
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


def wer_by_slice(rows):
    groups = {}
    for row in rows:
        g = groups.setdefault(row["slice"], {"refs": [], "hyps": [], "skipped": 0})
        ref, hyp = normalize(row["reference"]), normalize(row["hypothesis"])
        if not ref:
            g["skipped"] += 1
        else:
            g["refs"].append(ref)
            g["hyps"].append(hyp)

    slices = {}
    for name in sorted(groups):
        g = groups[name]
        scored = bool(g["refs"])
        slices[name] = {
            "wer": float(jiwer.wer(g["refs"], g["hyps"])) if scored else None,
            "cer": float(jiwer.cer(g["refs"], g["hyps"])) if scored else None,
            "n_utts": len(g["refs"]),
            "n_ref_words": sum(len(r.split()) for r in g["refs"]),
            "n_skipped": g["skipped"],
        }

    scored_slices = [s for s in slices.values() if s["n_utts"]]
    overall = {
        "wer": sum(s["wer"] for s in scored_slices) / len(scored_slices) if scored_slices else None,
        "cer": sum(s["cer"] for s in scored_slices) / len(scored_slices) if scored_slices else None,
        "n_utts": sum(s["n_utts"] for s in slices.values()),
        "n_ref_words": sum(s["n_ref_words"] for s in slices.values()),
        "n_skipped": sum(s["n_skipped"] for s in slices.values()),
    }
    return {"overall": overall, "slices": slices}

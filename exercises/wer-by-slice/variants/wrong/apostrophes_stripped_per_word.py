"""Wrong: apostrophes stripped from the edges of each word, not judged all at once (an inner '' survives)."""

from __future__ import annotations

import re

import jiwer

DIGIT_WORDS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")

_DIGIT = re.compile(r"[0-9]")
# After punctuation stripping only letters, apostrophes and whitespace remain, so \w == letter here.
_LONE_APOSTROPHE = re.compile(r"(?<!\w)'|'(?!\w)")


def normalize(text: str) -> str:
    s = text.lower().replace("\u2019", "'")
    s = _DIGIT.sub(lambda m: f" {DIGIT_WORDS[int(m.group())]} ", s)
    s = "".join(ch if ch.isalpha() or ch == "'" or ch.isspace() else " " for ch in s)
    # Strips apostrophes at the edges of each word: '' inside a word survives.
    return " ".join(w for w in (w.strip("'") for w in s.split()) if w)


def _score(refs: list[str], hyps: list[str], n_skipped: int) -> dict:
    if not refs:
        return {"wer": None, "cer": None, "n_utts": 0, "n_ref_words": 0, "n_skipped": n_skipped}
    return {
        "wer": float(jiwer.wer(refs, hyps)),
        "cer": float(jiwer.cer(refs, hyps)),
        "n_utts": len(refs),
        "n_ref_words": sum(len(r.split()) for r in refs),
        "n_skipped": n_skipped,
    }


def wer_by_slice(rows: list[dict]) -> dict:
    groups: dict[str, tuple[list[str], list[str]]] = {}
    skipped: dict[str, int] = {}
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

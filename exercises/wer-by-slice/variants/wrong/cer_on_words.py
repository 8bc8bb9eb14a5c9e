# WRONG: the "CER" runs the edit distance over word tokens (the same sequences as WER) and divides
# by the number of reference words, so cer always equals wer. CER must be computed over the
# characters of the normalised strings (spaces included) divided by the reference character count.
from __future__ import annotations

import re

DIGIT_WORDS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
_DIGIT = re.compile(r"[0-9]")
_LONE_APOSTROPHE = re.compile(r"(?<!\w)'|'(?!\w)")


def normalize(text: str) -> str:
    s = text.lower().replace("\u2019", "'")
    s = _DIGIT.sub(lambda m: f" {DIGIT_WORDS[int(m.group())]} ", s)
    s = "".join(ch if ch.isalpha() or ch == "'" or ch.isspace() else " " for ch in s)
    s = _LONE_APOSTROPHE.sub(" ", s)
    return " ".join(s.split())


def _edit_distance(a, b):
    prev = list(range(len(b) + 1))
    for i, x in enumerate(a, 1):
        cur = [i]
        for j, y in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (x != y)))
        prev = cur
    return prev[-1]


class _Acc:
    def __init__(self):
        self.word_err = self.words = self.char_err = self.chars = self.utts = self.skipped = 0

    def add(self, ref, hyp):
        rw, hw = ref.split(), hyp.split()
        e = _edit_distance(rw, hw)
        self.word_err += e
        self.words += len(rw)
        self.char_err += _edit_distance(rw, hw)  # same tokens as WER
        self.chars += len(rw)
        self.utts += 1

    def result(self):
        return {
            "wer": self.word_err / self.words if self.utts else None,
            "cer": self.char_err / self.chars if self.utts else None,
            "n_utts": self.utts,
            "n_ref_words": self.words,
            "n_skipped": self.skipped,
        }


def wer_by_slice(rows):
    overall, per_slice = _Acc(), {}
    for row in rows:
        acc = per_slice.setdefault(row["slice"], _Acc())
        ref, hyp = normalize(row["reference"]), normalize(row["hypothesis"])
        if not ref:
            acc.skipped += 1
            overall.skipped += 1
            continue
        acc.add(ref, hyp)
        overall.add(ref, hyp)
    return {"overall": overall.result(), "slices": {k: per_slice[k].result() for k in sorted(per_slice)}}

# RIGHT: no regex, no jiwer. A character-by-character normaliser and a two-row Levenshtein DP;
# error and length totals are accumulated per group and divided once at the end (corpus level).
from __future__ import annotations

DIGIT_WORDS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")


def normalize(text: str) -> str:
    pieces = []
    for ch in text.lower().replace("\u2019", "'"):
        if "0" <= ch <= "9":
            pieces.append(" " + DIGIT_WORDS[ord(ch) - ord("0")] + " ")
        elif ch.isalpha() or ch == "'" or ch.isspace():
            pieces.append(ch)
        else:
            pieces.append(" ")
    s = "".join(pieces)
    kept = []
    for i, ch in enumerate(s):
        if ch == "'":
            inside = 0 < i < len(s) - 1 and s[i - 1].isalpha() and s[i + 1].isalpha()
            kept.append(ch if inside else " ")
        else:
            kept.append(ch)
    return " ".join("".join(kept).split())


def levenshtein(a, b) -> int:
    if len(a) < len(b):
        a, b = b, a
    row = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        diag, row[0] = row[0], i
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            diag, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, diag + cost)
    return row[len(b)]


def _empty():
    return {"word_err": 0, "words": 0, "char_err": 0, "chars": 0, "utts": 0, "skipped": 0}


def _finish(t):
    return {
        "wer": t["word_err"] / t["words"] if t["utts"] else None,
        "cer": t["char_err"] / t["chars"] if t["utts"] else None,
        "n_utts": t["utts"],
        "n_ref_words": t["words"],
        "n_skipped": t["skipped"],
    }


def wer_by_slice(rows):
    overall = _empty()
    slices = {}
    for row in rows:
        targets = (overall, slices.setdefault(row["slice"], _empty()))
        ref = normalize(row["reference"])
        hyp = normalize(row["hypothesis"])
        if ref == "":
            for t in targets:
                t["skipped"] += 1
            continue
        rw, hw = ref.split(" "), hyp.split()
        we, ce = levenshtein(rw, hw), levenshtein(ref, hyp)
        for t in targets:
            t["word_err"] += we
            t["words"] += len(rw)
            t["char_err"] += ce
            t["chars"] += len(ref)
            t["utts"] += 1
    return {
        "overall": _finish(overall),
        "slices": {name: _finish(slices[name]) for name in sorted(slices)},
    }

"""Code similarity by winnowing over normalised Python tokens (the method of MOSS and Dolos; Schleimer, Wilkerson
and Aiken, SIGMOD 2003). Plain Python, no Django.

Tokens are normalised so that renaming does not hide a copy (every identifier is V, every number N, every string
S; keywords, operators and the names of builtins stay), comments and layout are dropped, and k-grams of tokens
are hashed. Winnowing keeps the minimum hash of each window of w consecutive k-grams: any match of at least
w + k - 1 tokens is guaranteed to share a fingerprint, and fingerprints do not depend on where code sits in the
file, so reordered functions match too. Fingerprints of the starter code are removed first (everyone starts from
it). The result is evidence for a person to read (matched line ranges side by side), never a verdict.
"""

from __future__ import annotations

import builtins
import hashlib
import io
import keyword
import tokenize
from dataclasses import dataclass, field

DEFAULT_THRESHOLD = 0.6  # the share of the smaller submission found in the other; calibrated per lab upward
K = 12       # tokens per k-gram: short enough for one statement, long enough that `for V in range(V):` is common
WINDOW = 6   # a shared run of K + WINDOW - 1 = 17 tokens is always detected
BUILTINS = frozenset(dir(builtins))
SKIP = {tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT, tokenize.ENCODING,
        tokenize.ENDMARKER, tokenize.TYPE_COMMENT if hasattr(tokenize, "TYPE_COMMENT") else -1}


@dataclass(frozen=True)
class Token:
    text: str
    line: int


def normalised_tokens(source: str) -> list[Token]:
    """The token stream with identifiers, numbers and strings abstracted; code that does not tokenise (a syntax
    error mid-file) keeps the tokens read up to the error."""
    out: list[Token] = []
    try:
        for tok in tokenize.generate_tokens(io.StringIO(source).readline):
            if tok.type in SKIP:
                continue
            if tok.type == tokenize.NAME:
                text = tok.string if keyword.iskeyword(tok.string) or tok.string in BUILTINS else "V"
            elif tok.type == tokenize.NUMBER:
                text = "N"
            elif tok.type == tokenize.STRING or tok.type in _FSTRING_TYPES:
                text = "S"
            else:
                text = tok.string
            out.append(Token(text, tok.start[0]))
    except (tokenize.TokenError, IndentationError, SyntaxError):
        pass
    return out


_FSTRING_TYPES = {getattr(tokenize, n) for n in ("FSTRING_START", "FSTRING_MIDDLE", "FSTRING_END")
                  if hasattr(tokenize, n)}


@dataclass
class Fingerprints:
    """hash -> the (first line, last line) spans of the k-grams that produced it."""

    spans: dict[int, list[tuple[int, int]]] = field(default_factory=dict)

    def hashes(self) -> set[int]:
        return set(self.spans)


def _hash(texts: tuple[str, ...]) -> int:
    return int.from_bytes(hashlib.blake2b("\x1f".join(texts).encode(), digest_size=8).digest(), "big")


def fingerprints(source: str, *, k: int = K, window: int = WINDOW) -> Fingerprints:
    tokens = normalised_tokens(source)
    grams = [(_hash(tuple(t.text for t in tokens[i:i + k])), tokens[i].line, tokens[i + k - 1].line)
             for i in range(len(tokens) - k + 1)]
    out = Fingerprints()
    if not grams:
        return out
    chosen: set[int] = set()
    for start in range(max(len(grams) - window + 1, 1)):
        win = grams[start:start + window]
        # The rightmost minimum (Schleimer et al.): consecutive windows usually keep the same pick.
        best = min(range(len(win)), key=lambda j: (win[j][0], -j))
        chosen.add(start + best)
    for i in sorted(chosen):
        h, lo, hi = grams[i]
        out.spans.setdefault(h, []).append((lo, hi))
    return out


@dataclass(frozen=True)
class Match:
    score: float                          # shared fingerprints / the smaller side's fingerprints, 0..1
    shared: int
    regions_a: list[tuple[int, int]]      # merged line ranges in a that match b
    regions_b: list[tuple[int, int]]


def _merge(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for lo, hi in sorted(spans):
        if merged and lo <= merged[-1][1] + 1:
            merged[-1] = (merged[-1][0], max(hi, merged[-1][1]))
        else:
            merged.append((lo, hi))
    return merged


def compare(a: Fingerprints, b: Fingerprints, *, ignore: set[int] = frozenset()) -> Match:
    """How much of the smaller of two submissions the other contains, beyond the `ignore`d (starter) hashes."""
    ha, hb = a.hashes() - ignore, b.hashes() - ignore
    if not ha or not hb:
        return Match(0.0, 0, [], [])
    shared = ha & hb
    return Match(round(len(shared) / min(len(ha), len(hb)), 4), len(shared),
                 _merge([s for h in shared for s in a.spans[h]]), _merge([s for h in shared for s in b.spans[h]]))


@dataclass(frozen=True)
class Pair:
    a: str
    b: str
    match: Match


def cohort(sources: dict[str, str], *, starter: str = "", threshold: float) -> list[Pair]:
    """Every pair of the cohort at or above the threshold, most similar first (the starter's code excluded)."""
    ignore = fingerprints(starter).hashes() if starter else set()
    prints = {name: fingerprints(code) for name, code in sources.items()}
    names = sorted(prints)
    pairs = []
    for i, x in enumerate(names):
        for y in names[i + 1:]:
            m = compare(prints[x], prints[y], ignore=ignore)
            if m.score >= threshold:
                pairs.append(Pair(x, y, m))
    return sorted(pairs, key=lambda p: -p.match.score)


def against_known(sources: dict[str, str], known: dict[str, str], *, starter: str = "",
                  threshold: float) -> list[Pair]:
    """Each submission against each known solution (the reference, leaks an admin uploaded) at or above the
    threshold, most similar first; Pair.a names the submission, Pair.b the known solution."""
    ignore = fingerprints(starter).hashes() if starter else set()
    known_prints = {name: fingerprints(code) for name, code in known.items()}
    pairs = []
    for name in sorted(sources):
        fp = fingerprints(sources[name])
        for other in sorted(known_prints):
            m = compare(fp, known_prints[other], ignore=ignore)
            if m.score >= threshold:
                pairs.append(Pair(name, other, m))
    return sorted(pairs, key=lambda p: -p.match.score)


def calibrated_threshold(right_sources: list[str], *, starter: str = "", floor: float = DEFAULT_THRESHOLD,
                         margin: float = 0.1) -> float:
    """A lab's threshold: above how alike independent right solutions (the exercise's own variants and its
    reference) already are, by a margin, and never below the floor. Right answers to a small task legitimately
    share code; a flag must mean more than that."""
    ignore = fingerprints(starter).hashes() if starter else set()
    prints = [fingerprints(s) for s in right_sources]
    highest = max((compare(p, q, ignore=ignore).score for i, p in enumerate(prints) for q in prints[i + 1:]),
                  default=0.0)
    return round(min(max(floor, highest + margin), 0.95), 4)

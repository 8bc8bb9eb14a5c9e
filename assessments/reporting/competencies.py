"""The report's first screen: the signal per competency, and the evidence worth quoting.

A hiring committee reads competencies (the six the content tags each question with), not 79 (question, dimension)
rows. Each competency gets the same arithmetic as the whole attempt, restricted to the questions tagged with it, so
a row can never disagree with the headline figure's method; its spread is how far apart the raters' own readings of
that competency are, the thing a debrief should look at.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from .signals import automated_signal, combined_signal, human_signal, level_signal, normalise
from .types import AutoScore, Rating


@dataclass(frozen=True)
class CompetencyRow:
    slug: str
    name: str
    automated: float | None
    human: float | None
    combined: float | None
    level: str | None       # the bar the raters' median level clears on this competency's leveled questions
    spread: float | None    # max - min of the raters' own human signals on 0..1; None with fewer than 2 raters
    raters: int
    evidence: int           # questions of this competency with a rating or an automated score
    questions: int          # questions of the track tagged with it

    @property
    def has_evidence(self) -> bool:
        return self.evidence > 0


def competency_rows(ratings: Sequence[Rating], autos: Sequence[AutoScore], *,
                    tagging: Mapping[str, Sequence[str]], names: Mapping[str, str],
                    bars: Mapping[str, Mapping[int, str | None]], w_auto: float, w_human: float) -> list[CompetencyRow]:
    """One row per competency in `names` (in its order).

    tagging: question slug -> the competency slugs it is tagged with (a question may count for several).
    bars: question slug -> its rubric's {level: bar}; questions without bars do not vote on the level.
    """
    by_comp_ratings: dict[str, list[Rating]] = defaultdict(list)
    by_comp_autos: dict[str, list[AutoScore]] = defaultdict(list)
    tagged: dict[str, set[str]] = defaultdict(set)
    for question, comps in tagging.items():
        for c in comps:
            tagged[c].add(question)
    for r in ratings:
        for c in tagging.get(r.question, ()):
            by_comp_ratings[c].append(r)
    for a in autos:
        for c in tagging.get(a.question, ()):
            by_comp_autos[c].append(a)
    rows = []
    for slug, name in names.items():
        rs, aus = by_comp_ratings.get(slug, []), by_comp_autos.get(slug, [])
        auto, human = automated_signal(aus), human_signal(rs)
        per_rater: dict[str, list[Rating]] = defaultdict(list)
        for r in rs:
            per_rater[r.rater].append(r)
        rater_signals = [s for s in (human_signal(v) for v in per_rater.values()) if s is not None]
        spread = max(rater_signals) - min(rater_signals) if len(rater_signals) >= 2 else None
        leveled = [r for r in rs if any(bars.get(r.question, {}).values())]
        level = level_signal(leveled, bars[leveled[0].question]) if leveled else None
        rows.append(CompetencyRow(
            slug=slug, name=name, automated=auto, human=human,
            combined=combined_signal(auto, human, w_auto, w_human), level=level, spread=spread,
            raters=len(per_rater), evidence=len({r.question for r in rs} | {a.question for a in aus}),
            questions=len(tagged.get(slug, ()))))
    return rows


@dataclass(frozen=True)
class Evidence:
    """One interviewer's written evidence on one dimension, with the level it justified (normalised 0..1)."""

    question: str
    dimension: str
    rater: str
    level: int
    lo: int
    hi: int
    text: str

    @property
    def value(self) -> float:
        return normalise(self.level, self.lo, self.hi)


STRENGTH_AT = 0.75  # normalised level at or above which evidence reads as a strength
CONCERN_AT = 0.34   # at or below which it reads as a concern (the lowest third of the rubric)


def quotes(evidence: Sequence[Evidence], *, n: int = 3, max_chars: int = 160) -> tuple[list[Evidence],
                                                                                   list[Evidence]]:
    """(strengths, concerns): the interviewers' own words on the highest- and lowest-rated dimensions.

    Only evidence with text counts, one quote per (question, dimension) (the most extreme rater's) and per distinct
    text, strongest first; texts are cut at a word boundary so a quote stays one or two lines. Words are quoted,
    never generated.
    """
    best: dict[tuple[str, str], Evidence] = {}
    worst: dict[tuple[str, str], Evidence] = {}
    for e in evidence:
        if not e.text.strip():
            continue
        key = (e.question, e.dimension)
        if e.value >= STRENGTH_AT - 1e-9 and (key not in best or e.value > best[key].value):
            best[key] = e
        if e.value <= CONCERN_AT + 1e-9 and (key not in worst or e.value < worst[key].value):
            worst[key] = e
    strengths = _distinct(sorted(best.values(), key=lambda e: (-e.value, e.question, e.dimension)), n)
    concerns = _distinct(sorted(worst.values(), key=lambda e: (e.value, e.question, e.dimension)), n)
    return [_cut(e, max_chars) for e in strengths], [_cut(e, max_chars) for e in concerns]


def _distinct(items: list[Evidence], n: int) -> list[Evidence]:
    """The first n with different texts (a rater pasting one sentence on every dimension is quoted once), taking one
    per question before a second from the same question, so three quotes cover three answers where they can."""
    seen: set[str] = set()
    unique = []
    for e in items:
        key = " ".join(e.text.split()).lower()
        if key not in seen:
            seen.add(key)
            unique.append(e)
    firsts, rest, questions = [], [], set()
    for e in unique:
        (rest if e.question in questions else firsts).append(e)
        questions.add(e.question)
    return sorted((firsts + rest)[:n], key=unique.index)


def _cut(e: Evidence, max_chars: int) -> Evidence:
    text = " ".join(e.text.split())
    if len(text) > max_chars:
        head = text[: max_chars - 1]
        text = (head.rsplit(" ", 1)[0] if " " in head else head) + "…"
    return Evidence(question=e.question, dimension=e.dimension, rater=e.rater, level=e.level, lo=e.lo, hi=e.hi,
                    text=text)


def spread_is_wide(spread: float | None, threshold: float = 0.5) -> bool:
    """Raters half the scale apart on a competency: worth a debrief before any decision."""
    return spread is not None and spread >= threshold - 1e-9 and not math.isnan(spread)

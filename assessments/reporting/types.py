"""The plain records the report maths works on."""

from __future__ import annotations

from dataclasses import dataclass

METRICS = ("interval", "ordinal", "nominal")
# Float slack for threshold comparisons: 0.85 - 0.5 must count as a difference of 0.35.
_EPS = 1e-9


@dataclass(frozen=True)
class Rating:
    """One interviewer's level for one rubric dimension of one answer."""

    question: str
    dimension: str
    rater: str
    level: int
    lo: int
    hi: int
    weight: float = 1.0  # question weight x dimension weight


@dataclass(frozen=True)
class AutoScore:
    """The automated grader's score for one question, already on 0..1."""

    question: str
    score: float
    weight: float = 1.0


@dataclass(frozen=True)
class DimensionRow:
    """All raters' levels on one (question, dimension): what the panel said, and how far apart they were."""

    question: str
    dimension: str
    levels: dict[str, int]  # rater -> level
    mean: float
    spread: int  # max - min; 0 for a single rater
    n: int
    lo: int = 0  # the rubric's range, so a chart can draw the axis
    hi: int = 0

    @property
    def mean_normalised(self) -> float:
        """The mean on 0..1, comparable across rubrics with different ranges."""
        return (self.mean - self.lo) / (self.hi - self.lo) if self.hi > self.lo else 1.0


@dataclass(frozen=True)
class RaterOffset:
    """How far a rater sits from the panels they shared, in panel standard deviations (positive = lenient)."""

    rater: str
    mean_offset: float
    n_items: int

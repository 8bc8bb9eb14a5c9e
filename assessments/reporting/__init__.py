"""Hiring-signal arithmetic: combine automated and human scores, with uncertainty and rater agreement.

A hiring manager must never see a bare number: every signal here comes with the means to say how sure it is (a
bootstrap interval, the raters' spread, agreement statistics). The package is plain Python (numpy only to run the
bootstrap's resamples together), with no Django, so views, management commands and notebooks share one definition
and tests can check it by hand. The read-models that feed it from the database are assessments.selectors.reports.

Every signal lives on 0..1: rubric levels are normalised by their rubric's range, automated scores already are.
"""

from .agreement import alpha_sample_size, krippendorff_alpha, rater_offsets
from .competencies import CompetencyRow, Evidence, competency_rows, quotes
from .signals import (
    automated_signal,
    combined_signal,
    dimension_summary,
    disagreements,
    human_signal,
    level_signal,
    normalise,
    signals_conflict,
)
from .types import AutoScore, DimensionRow, RaterOffset, Rating
from .uncertainty import bootstrap_interval

__all__ = [
    "AutoScore",
    "CompetencyRow",
    "Evidence",
    "DimensionRow",
    "Rating",
    "RaterOffset",
    "alpha_sample_size",
    "automated_signal",
    "bootstrap_interval",
    "combined_signal",
    "competency_rows",
    "dimension_summary",
    "disagreements",
    "human_signal",
    "krippendorff_alpha",
    "level_signal",
    "normalise",
    "quotes",
    "rater_offsets",
    "signals_conflict",
]

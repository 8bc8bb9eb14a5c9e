"""Exam content as data: read the exercises/ and rubrics/ folders into validated specs (no database).

reader (issues that name file and field), specs (what is loaded), coding (the typed grading
contract of a lab), benchmarks (the benchmark kinds' schemas), loader (the folders, validated).
"""

from .benchmarks import BENCHMARK_KINDS, BenchmarkSchema
from .coding import CodingConfig, Resources
from .loader import load_competencies, load_content, load_question, load_rubric, load_track
from .reader import KINDS, ContentError, ContentIssue
from .specs import ContentBundle, QuestionSpec, RubricSpec, TrackSpec

__all__ = [
    "BENCHMARK_KINDS", "KINDS", "BenchmarkSchema", "CodingConfig", "ContentBundle", "ContentError", "ContentIssue",
    "QuestionSpec", "Resources", "RubricSpec", "TrackSpec", "load_competencies", "load_content", "load_question",
    "load_rubric", "load_track",
]

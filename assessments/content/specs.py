"""What the loader produces: plain, validated specs of the content, before anything touches the database."""

from __future__ import annotations

from dataclasses import dataclass, field

from .coding import CodingConfig
from .reader import KINDS

VISIBLE_TESTS = "tests/visible/"
HIDDEN_TESTS = "tests/hidden/"


@dataclass
class CompetencySpec:
    slug: str
    name: str
    description: str
    order: int


@dataclass
class LevelSpec:
    score: int
    label: str
    bar: str


@dataclass
class DimensionSpec:
    slug: str
    title: str
    description: str
    weight: float
    descriptors: dict[int, str]


@dataclass
class RubricSpec:
    slug: str
    source_path: str
    content_hash: str
    title: str
    description: str
    applies_to: list[str]
    scale: list[LevelSpec]
    dimensions: list[DimensionSpec]


@dataclass
class QuestionSpec:
    slug: str
    source_path: str
    files_hash: str
    title: str
    kind: str
    summary: str
    competencies: list[str]
    rubric: str | None
    time_estimate_minutes: int
    guidance: dict[str, list[str]]
    prompt_md: str
    coding: CodingConfig | None
    files: dict[str, str | dict[str, str]]  # text, or {"b64": ...} for binary data
    starter_files: dict[str, str]
    content_hash: str = ""  # files_hash combined with the rubric's hash, set once rubrics are known

    @property
    def visible_tests(self) -> dict[str, str]:
        """The visible test files, which candidates may read: {path: text}."""
        return {name: text for name, text in sorted(self.files.items())
                if name.startswith(VISIBLE_TESTS) and name.endswith(".py") and isinstance(text, str)}

    @property
    def visible_files(self) -> list[dict]:
        """The visible tests' other files (example audio, transcripts), which the page offers to play or open."""
        return visible_files_of(self.files)

    @property
    def hidden_test_names(self) -> list[str]:
        """Paths of the hidden test files: interviewers see these names, never their bodies."""
        return sorted(name for name in self.files if name.startswith(HIDDEN_TESTS))


@dataclass
class SectionSpec:
    slug: str
    title: str
    time_limit_minutes: int
    intro_md: str
    questions: list[tuple[str, float]]


@dataclass
class TrackSpec:
    slug: str
    source_path: str
    raw_hash: str
    title: str
    summary: str
    description_md: str
    automated_weight: float
    human_weight: float
    sections: list[SectionSpec]
    anonymised_review: bool = True
    content_hash: str = ""


@dataclass
class ContentBundle:
    competencies: list[CompetencySpec] = field(default_factory=list)
    rubrics: dict[str, RubricSpec] = field(default_factory=dict)
    questions: dict[str, QuestionSpec] = field(default_factory=dict)
    tracks: dict[str, TrackSpec] = field(default_factory=dict)

    def summary(self) -> str:
        kinds = {k: sum(1 for q in self.questions.values() if q.kind == k) for k in KINDS}
        by_kind = ", ".join(f"{n} {k}" for k, n in kinds.items() if n)
        return (
            f"{len(self.tracks)} track(s), {len(self.questions)} question(s) ({by_kind or 'none'}), "
            f"{len(self.rubrics)} rubric(s), {len(self.competencies)} competencies"
        )


MEDIA_TYPES = {".wav": "audio/wav", ".flac": "audio/flac", ".mp3": "audio/mpeg", ".ogg": "audio/ogg",
               ".json": "application/json", ".txt": "text/plain", ".csv": "text/csv"}


def visible_files_of(files: dict) -> list[dict]:
    """[{path, type, audio[, text]}]: the files under tests/visible/ that are not Python (a migration uses it)."""
    out = []
    for name in sorted(files):
        suffix = name[name.rfind("."):].lower() if "." in name else ""
        if name.startswith(VISIBLE_TESTS) and suffix in MEDIA_TYPES and "__pycache__" not in name:
            entry = {"path": name, "type": MEDIA_TYPES[suffix], "audio": MEDIA_TYPES[suffix].startswith("audio/")}
            text = files[name]
            if not entry["audio"] and isinstance(text, str) and len(text) <= 20_000:
                entry["text"] = text  # shown in the page itself: opening another tab would read as leaving the exam
            out.append(entry)
    return out

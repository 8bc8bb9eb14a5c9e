"""Read and validate the content folders into plain specs. No database access here.

Every problem becomes a ContentIssue naming the file, the field and what is wrong; the loader
collects all of them so an author fixes a whole batch at once, and the sync writes nothing unless
the list is empty.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

KINDS = ("coding", "design", "live", "written")
SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
IGNORED_NAMES = {"__pycache__", ".pytest_cache", ".DS_Store", ".ruff_cache"}
MAX_FILE_BYTES = 2_000_000
MAX_QUESTION_BYTES = 12_000_000
BINARY_DIRS = ("bench/", "tests/")  # audio and other data; everything else must be UTF-8 text
MIN_WRONG_VARIANTS = 4
MIN_RIGHT_VARIANTS = 2


@dataclass(frozen=True)
class ContentIssue:
    path: str
    field: str | None
    message: str

    def __str__(self) -> str:
        where = f"field '{self.field}': " if self.field else ""
        return f"{self.path}: {where}{self.message}"


class ContentError(Exception):
    def __init__(self, issues: list[ContentIssue]):
        self.issues = issues
        super().__init__("\n".join(str(i) for i in issues))


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
    coding: dict[str, Any] | None
    files: dict[str, str | dict[str, str]]  # text, or {"b64": ...} for binary data
    starter_files: dict[str, str]
    content_hash: str = ""  # files_hash combined with the rubric's hash, set once rubrics are known


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


def _sha256(parts: Iterable[bytes]) -> str:
    digest = hashlib.sha256()
    for part in parts:
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    return digest.hexdigest()


class _Reader:
    """Validation helpers that record issues against one file instead of raising."""

    def __init__(self, issues: list[ContentIssue], path: str):
        self.issues = issues
        self.path = path

    def error(self, fieldname: str | None, message: str) -> None:
        self.issues.append(ContentIssue(self.path, fieldname, message))

    def mapping(self, data: Any, name: str | None, *, required: set[str], optional: set[str] = frozenset()) -> dict:
        if not isinstance(data, dict):
            self.error(name, f"must be a mapping (got {type(data).__name__})")
            return {}
        prefix = f"{name}." if name else ""
        for key in sorted(required - data.keys()):
            self.error(f"{prefix}{key}", "is required")
        for key in sorted(set(data) - required - optional, key=str):
            self.error(f"{prefix}{key}", "is not a known field (typo?)")
        return data

    def text(self, data: dict, key: str, name: str, *, max_len: int = 10_000, required: bool = True) -> str:
        value = data.get(key)
        if value is None:
            return ""
        if not isinstance(value, str) or (required and not value.strip()):
            self.error(name, "must be a non-empty string")
            return ""
        if len(value) > max_len:
            self.error(name, f"is too long ({len(value)} characters, at most {max_len})")
        return value.strip()

    def integer(self, data: dict, key: str, name: str, lo: int, hi: int) -> int:
        value = data.get(key)
        if value is None:
            return lo
        if isinstance(value, bool) or not isinstance(value, int):
            self.error(name, f"must be a whole number (got {value!r})")
            return lo
        if not lo <= value <= hi:
            self.error(name, f"must be between {lo} and {hi} (got {value})")
        return value

    def number(self, data: dict, key: str, name: str, lo: float, hi: float, default: float) -> float:
        value = data.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int | float):
            self.error(name, f"must be a number (got {value!r})")
            return default
        if not lo <= value <= hi:
            self.error(name, f"must be between {lo} and {hi} (got {value})")
        return float(value)

    def slug(self, value: Any, name: str) -> str:
        if not isinstance(value, str) or not SLUG_RE.match(value):
            self.error(name, f"must be a lowercase slug like 'ctc-greedy-decode' (got {value!r})")
            return ""
        return value

    def string_list(self, data: dict, key: str, name: str, *, min_items: int = 0) -> list[str]:
        value = data.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
            self.error(name, "must be a list of non-empty strings")
            return []
        if len(value) < min_items:
            self.error(name, f"needs at least {min_items} item(s) (got {len(value)})")
        return [v.strip() for v in value]


def _load_yaml(path: Path, root: Path, issues: list[ContentIssue]) -> tuple[Any, bytes] | None:
    rel = _rel(path, root)
    if path.is_symlink():
        issues.append(ContentIssue(rel, None, "symbolic links are not allowed in content"))
        return None
    try:
        raw = path.read_bytes()
        data = yaml.safe_load(raw.decode("utf-8"))
    except UnicodeDecodeError:
        issues.append(ContentIssue(rel, None, "is not valid UTF-8 text"))
        return None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        issues.append(ContentIssue(rel, None, f"is not valid YAML{where}: {problem}"))
        return None
    if not isinstance(data, dict):
        issues.append(ContentIssue(rel, None, f"must hold a mapping at the top level (got {type(data).__name__})"))
        return None
    return data, raw


def _rel(path: Path, root: Path) -> str:
    try:
        return str(path.relative_to(root.parent))
    except ValueError:
        return str(path)


def load_competencies(exercises_dir: Path, issues: list[ContentIssue]) -> list[CompetencySpec]:
    path = exercises_dir / "competencies.yaml"
    if not path.exists():
        issues.append(ContentIssue(_rel(path, exercises_dir), None, "is missing"))
        return []
    loaded = _load_yaml(path, exercises_dir, issues)
    if loaded is None:
        return []
    r = _Reader(issues, _rel(path, exercises_dir))
    data = r.mapping(loaded[0], None, required={"competencies"})
    items = data.get("competencies")
    if not isinstance(items, list) or not items:
        r.error("competencies", "must be a non-empty list")
        return []
    specs, seen = [], set()
    for i, item in enumerate(items):
        name = f"competencies[{i}]"
        item = r.mapping(item, name, required={"slug", "name"}, optional={"description"})
        slug = r.slug(item.get("slug"), f"{name}.slug")
        if slug in seen:
            r.error(f"{name}.slug", f"duplicate competency '{slug}'")
        seen.add(slug)
        specs.append(CompetencySpec(slug, r.text(item, "name", f"{name}.name", max_len=200),
                                    r.text(item, "description", f"{name}.description", required=False), i))
    return specs


def load_rubric(path: Path, rubrics_dir: Path, issues: list[ContentIssue]) -> RubricSpec | None:
    rel = _rel(path, rubrics_dir)
    before = len(issues)
    loaded = _load_yaml(path, rubrics_dir, issues)
    if loaded is None:
        return None
    raw_data, raw = loaded
    r = _Reader(issues, rel)
    slug = r.slug(path.stem, "file name")
    data = r.mapping(raw_data, None, required={"title", "description", "scale", "dimensions"},
                     optional={"applies_to"})
    applies_to = r.string_list(data, "applies_to", "applies_to")
    for kind in applies_to:
        if kind not in KINDS:
            r.error("applies_to", f"'{kind}' is not a question kind ({', '.join(KINDS)})")
    scale: list[LevelSpec] = []
    raw_scale = data.get("scale")
    if not isinstance(raw_scale, list) or len(raw_scale) < 2:
        if "scale" in data:
            r.error("scale", "must be a list of at least 2 levels")
    else:
        for i, level in enumerate(raw_scale):
            name = f"scale[{i}]"
            level = r.mapping(level, name, required={"score", "label"}, optional={"bar"})
            score = r.integer(level, "score", f"{name}.score", 0, 100)
            bar = level.get("bar") or ""
            if not isinstance(bar, str):
                r.error(f"{name}.bar", "must be a string or null")
                bar = ""
            scale.append(LevelSpec(score, r.text(level, "label", f"{name}.label", max_len=100), bar))
        scores = [lv.score for lv in scale]
        if scores != sorted(set(scores)):
            r.error("scale", f"scores must be unique and listed from lowest to highest (got {scores})")
    dimensions: list[DimensionSpec] = []
    raw_dims = data.get("dimensions")
    if not isinstance(raw_dims, list) or not raw_dims:
        if "dimensions" in data:
            r.error("dimensions", "must be a non-empty list")
    else:
        seen: set[str] = set()
        scores = {lv.score for lv in scale}
        for i, dim in enumerate(raw_dims):
            name = f"dimensions[{i}]"
            dim = r.mapping(dim, name, required={"slug", "title", "descriptors"}, optional={"description", "weight"})
            dslug = r.slug(dim.get("slug"), f"{name}.slug")
            if dslug and dslug in seen:
                r.error(f"{name}.slug", f"duplicate dimension '{dslug}'")
            seen.add(dslug)
            descriptors: dict[int, str] = {}
            raw_desc = dim.get("descriptors")
            if not isinstance(raw_desc, dict):
                if "descriptors" in dim:
                    r.error(f"{name}.descriptors", "must map each scale score to its descriptor")
            else:
                for key, text in raw_desc.items():
                    if isinstance(key, bool) or not isinstance(key, int) or key not in scores:
                        r.error(f"{name}.descriptors.{key}", f"is not a score of this rubric's scale {sorted(scores)}")
                    elif not isinstance(text, str) or not text.strip():
                        r.error(f"{name}.descriptors.{key}", "must be a non-empty string")
                    else:
                        descriptors[key] = text.strip()
                for missing in sorted(scores - raw_desc.keys()):
                    r.error(f"{name}.descriptors.{missing}", "is missing: every scale score needs a descriptor")
            dimensions.append(DimensionSpec(
                dslug, r.text(dim, "title", f"{name}.title", max_len=200),
                r.text(dim, "description", f"{name}.description", required=False),
                r.number(dim, "weight", f"{name}.weight", 0.01, 100, 1.0), descriptors,
            ))
    if len(issues) > before:
        return None
    return RubricSpec(slug, rel, _sha256([raw]), r.text(data, "title", "title", max_len=200),
                      r.text(data, "description", "description"), applies_to, scale, dimensions)


def _read_tree(folder: Path, root: Path, issues: list[ContentIssue]) -> dict[str, bytes]:
    files: dict[str, bytes] = {}
    total = 0
    for path in sorted(folder.rglob("*")):
        if any(part in IGNORED_NAMES for part in path.relative_to(folder).parts) or path.suffix == ".pyc":
            continue
        rel = path.relative_to(folder).as_posix()
        if path.is_symlink():
            issues.append(ContentIssue(_rel(path, root), None, "symbolic links are not allowed in content"))
            continue
        if path.is_dir():
            continue
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            issues.append(ContentIssue(_rel(path, root), None,
                                       f"is too large ({size} bytes, at most {MAX_FILE_BYTES})"))
            continue
        total += size
        files[rel] = path.read_bytes()
    if total > MAX_QUESTION_BYTES:
        issues.append(ContentIssue(_rel(folder, root), None,
                                   f"holds too much ({total} bytes, at most {MAX_QUESTION_BYTES})"))
    return files


def load_question(folder: Path, exercises_dir: Path, competencies: set[str], rubrics: dict[str, RubricSpec],
                  issues: list[ContentIssue]) -> QuestionSpec | None:
    before = len(issues)
    yaml_path = folder / "question.yaml"
    rel = _rel(yaml_path, exercises_dir)
    r = _Reader(issues, rel)
    slug = r.slug(folder.name, "folder name")
    if not yaml_path.exists():
        r.error(None, "is missing (every question folder needs question.yaml and prompt.md)")
        return None
    loaded = _load_yaml(yaml_path, exercises_dir, issues)
    if loaded is None:
        return None
    data = r.mapping(loaded[0], None,
                     required={"title", "kind", "competencies", "time_estimate_minutes", "summary", "guidance"},
                     optional={"rubric", "coding"})
    kind = data.get("kind")
    if "kind" in data and kind not in KINDS:
        r.error("kind", f"must be one of {', '.join(KINDS)} (got {kind!r})")
    comps = r.string_list(data, "competencies", "competencies", min_items=1) if "competencies" in data else []
    for comp in comps:
        if comp not in competencies:
            r.error("competencies", f"'{comp}' is not defined in exercises/competencies.yaml")
    rubric = data.get("rubric")
    if rubric is None:
        if kind in ("written", "design", "live"):
            r.error("rubric", f"is required for {kind} questions (interviewers score them with it)")
    elif not isinstance(rubric, str) or rubric not in rubrics:
        r.error("rubric", f"'{rubric}' is not a rubric in rubrics/ (known: {', '.join(sorted(rubrics)) or 'none'})")
    guidance: dict[str, list[str]] = {}
    if "guidance" in data:
        g = r.mapping(data["guidance"], "guidance", required={"strong_answer", "failure_modes", "follow_ups"})
        for key in ("strong_answer", "failure_modes", "follow_ups"):
            if key in g:
                guidance[key] = r.string_list(g, key, f"guidance.{key}", min_items=2)
    prompt_path = folder / "prompt.md"
    prompt_md = ""
    if not prompt_path.exists():
        issues.append(ContentIssue(_rel(prompt_path, exercises_dir), None, "is missing"))
    else:
        try:
            prompt_md = prompt_path.read_text(encoding="utf-8").strip()
        except UnicodeDecodeError:
            issues.append(ContentIssue(_rel(prompt_path, exercises_dir), None, "is not valid UTF-8 text"))
        else:
            if not prompt_md:
                issues.append(ContentIssue(_rel(prompt_path, exercises_dir), None, "is empty"))
    raw_files = _read_tree(folder, exercises_dir, issues)
    files: dict[str, str | dict[str, str]] = {}
    for name, blob in raw_files.items():
        try:
            files[name] = blob.decode("utf-8")
        except UnicodeDecodeError:
            if name.startswith(BINARY_DIRS):
                files[name] = {"b64": base64.b64encode(blob).decode()}
            else:
                issues.append(ContentIssue(_rel(folder / name, exercises_dir), None,
                                           "is not valid UTF-8 text (binary data belongs under bench/ or tests/)"))
    coding = None
    starter_files: dict[str, str] = {}
    if kind == "coding":
        if "coding" not in data:
            r.error("coding", "is required for coding questions")
        else:
            coding, starter_files = _validate_coding(r, data["coding"], folder, files)
    elif "coding" in data:
        r.error("coding", f"is only allowed on coding questions (this one is {kind!r})")
    if len(issues) > before:
        return None
    files_hash = _sha256(part for name in sorted(raw_files) for part in (name.encode(), raw_files[name]))
    return QuestionSpec(
        slug=slug, source_path=_rel(folder, exercises_dir), files_hash=files_hash,
        title=r.text(data, "title", "title", max_len=300), kind=kind,
        summary=r.text(data, "summary", "summary", max_len=500), competencies=comps,
        rubric=rubric, time_estimate_minutes=r.integer(data, "time_estimate_minutes", "time_estimate_minutes", 1, 240),
        guidance=guidance, prompt_md=prompt_md, coding=coding, files=files, starter_files=starter_files,
    )


def _validate_coding(r: _Reader, raw: Any, folder: Path, files: dict[str, str]) -> tuple[dict, dict[str, str]]:
    c = r.mapping(raw, "coding", required={"entrypoint", "resources"},
                  optional={"language", "requirements", "scoring", "benchmarks"})
    language = c.get("language", "python")
    if language != "python":
        r.error("coding.language", f"only 'python' is supported (got {language!r})")
    entry = c.get("entrypoint")
    if "entrypoint" in c and (not isinstance(entry, str) or not re.fullmatch(r"[a-z_][a-z0-9_]*\.py", entry or "")):
        r.error("coding.entrypoint", f"must be a Python file name like 'solution.py' (got {entry!r})")
        entry = None
    res = r.mapping(c.get("resources", {}), "coding.resources", required=set(),
                    optional={"cpus", "memory_mb", "wall_seconds", "gpu"})
    resources = {
        "cpus": r.number(res, "cpus", "coding.resources.cpus", 0.25, 8, 1.0),
        "memory_mb": r.integer(res, "memory_mb", "coding.resources.memory_mb", 64, 16384)
        if "memory_mb" in res else 1024,
        "wall_seconds": r.integer(res, "wall_seconds", "coding.resources.wall_seconds", 1, 900)
        if "wall_seconds" in res else 60,
        "gpu": res.get("gpu", False),
    }
    if not isinstance(resources["gpu"], bool):
        r.error("coding.resources.gpu", f"must be true or false (got {resources['gpu']!r})")
    requirements = r.string_list(c, "requirements", "coding.requirements")
    benchmarks = _validate_benchmarks(r, c.get("benchmarks", {}), files)
    scoring_raw = c.get("scoring", {"hidden_tests": 1.0})
    scoring: dict[str, float] = {}
    if not isinstance(scoring_raw, dict) or not scoring_raw:
        r.error("coding.scoring", "must map score parts (e.g. hidden_tests) to weights")
    else:
        for key in scoring_raw:
            if key not in {"hidden_tests", "latency", "wer"}:
                r.error(f"coding.scoring.{key}", "is not a known score part (hidden_tests, latency, wer)")
            elif key != "hidden_tests" and key not in benchmarks:
                r.error(f"coding.scoring.{key}", "weights a benchmark that coding.benchmarks does not declare")
            else:
                scoring[key] = r.number(scoring_raw, key, f"coding.scoring.{key}", 0, 100, 0)
        if scoring and not any(w > 0 for w in scoring.values()):
            r.error("coding.scoring", "needs at least one weight above 0")
    starter: dict[str, str] = {}
    if entry:
        for part in ("starter", "reference"):
            if f"{part}/{entry}" not in files:
                r.error("coding.entrypoint", f"{part}/{entry} is missing in {folder.name}/")
        starter = {name.removeprefix("starter/"): text for name, text in files.items() if name.startswith("starter/")}
    for suite in ("visible", "hidden"):
        if not any(re.fullmatch(rf"tests/{suite}/test_[^/]+\.py", n) for n in files):
            r.error("coding", f"tests/{suite}/ needs at least one test_*.py file")
    for kind, minimum in (("wrong", MIN_WRONG_VARIANTS), ("right", MIN_RIGHT_VARIANTS)):
        count = sum(1 for n in files if re.fullmatch(rf"variants/{kind}/[^/]+\.py", n))
        if count < minimum:
            r.error("coding", f"variants/{kind}/ needs at least {minimum} solution files (found {count})")
    config = {"language": "python", "entrypoint": entry, "resources": resources, "requirements": requirements,
              "scoring": scoring, "benchmarks": benchmarks}
    return config, starter


_BENCH_FIELDS = {
    "latency": ({"callable", "inputs", "max_ratio"}, {"warmup", "repeats", "atol", "rtol"}),
    "wer": ({"callable", "manifest", "domain_terms", "thresholds"}, {"normalizer", "general_slice"}),
}
_WER_THRESHOLDS = {"max_general_wer_ratio", "min_domain_term_recall", "max_false_alarm_rate"}


def _validate_benchmarks(r: _Reader, raw: Any, files: dict) -> dict:
    if not raw:
        return {}
    if not isinstance(raw, dict):
        r.error("coding.benchmarks", "must map benchmark names (latency, wer) to their settings")
        return {}
    out = {}
    for name, cfg in raw.items():
        where = f"coding.benchmarks.{name}"
        if name not in _BENCH_FIELDS:
            r.error(where, "is not a known benchmark (latency, wer)")
            continue
        required, optional = _BENCH_FIELDS[name]
        cfg = r.mapping(cfg, where, required=required, optional=optional)
        if not isinstance(cfg.get("callable"), str) or not cfg.get("callable", "").isidentifier():
            r.error(f"{where}.callable", "must name a function of the entrypoint module")
        for key in ("inputs", "manifest", "domain_terms"):
            if key in cfg:
                rel = str(cfg[key]).partition(":")[0]
                if not rel.startswith("bench/"):
                    r.error(f"{where}.{key}", f"must point into bench/ (got {cfg[key]!r})")
                elif rel not in files:
                    r.error(f"{where}.{key}", f"{rel} does not exist in the exercise folder")
        if name == "latency":
            if "inputs" in cfg and ":" not in str(cfg["inputs"]):
                r.error(f"{where}.inputs", "must be 'bench/<file>.py:<function>'")
            r.number(cfg, "max_ratio", f"{where}.max_ratio", 1.0, 100, 2.0)
            r.integer(cfg, "repeats", f"{where}.repeats", 5, 1000)
            r.integer(cfg, "warmup", f"{where}.warmup", 0, 100)
        if name == "wer":
            if cfg.get("normalizer", "basic") != "basic":
                r.error(f"{where}.normalizer", f"must be 'basic' (got {cfg.get('normalizer')!r})")
            th = r.mapping(cfg.get("thresholds", {}), f"{where}.thresholds", required=set(), optional=_WER_THRESHOLDS)
            for key in th:
                if key in _WER_THRESHOLDS:
                    r.number(th, key, f"{where}.thresholds.{key}", 0, 100, 1.0)
        out[name] = cfg
    return out


def load_track(path: Path, exercises_dir: Path, questions: dict[str, QuestionSpec],
               issues: list[ContentIssue]) -> TrackSpec | None:
    before = len(issues)
    loaded = _load_yaml(path, exercises_dir, issues)
    if loaded is None:
        return None
    raw_data, raw = loaded
    r = _Reader(issues, _rel(path, exercises_dir))
    slug = r.slug(path.stem, "file name")
    data = r.mapping(raw_data, None, required={"title", "summary", "sections"},
                     optional={"description", "scoring", "review"})
    review = r.mapping(data.get("review", {}), "review", required=set(), optional={"anonymised"})
    anonymised = review.get("anonymised", True)
    if not isinstance(anonymised, bool):
        r.error("review.anonymised", f"must be true or false (got {anonymised!r})")
        anonymised = True
    scoring = r.mapping(data.get("scoring", {}), "scoring", required=set(),
                        optional={"automated_weight", "human_weight"})
    automated = r.number(scoring, "automated_weight", "scoring.automated_weight", 0, 1, 0.5)
    human = r.number(scoring, "human_weight", "scoring.human_weight", 0, 1, 0.5)
    if abs(automated + human - 1.0) > 1e-6:
        r.error("scoring", f"automated_weight + human_weight must be 1 (got {automated + human:g})")
    sections: list[SectionSpec] = []
    raw_sections = data.get("sections")
    if not isinstance(raw_sections, list) or not raw_sections:
        if "sections" in data:
            r.error("sections", "must be a non-empty list")
    else:
        seen_sections: set[str] = set()
        seen_questions: dict[str, str] = {}
        for i, sec in enumerate(raw_sections):
            name = f"sections[{i}]"
            sec = r.mapping(sec, name, required={"slug", "title", "time_limit_minutes", "questions"},
                            optional={"intro"})
            sslug = r.slug(sec.get("slug"), f"{name}.slug")
            if sslug and sslug in seen_sections:
                r.error(f"{name}.slug", f"duplicate section '{sslug}'")
            seen_sections.add(sslug)
            refs: list[tuple[str, float]] = []
            raw_refs = sec.get("questions")
            if not isinstance(raw_refs, list) or not raw_refs:
                if "questions" in sec:
                    r.error(f"{name}.questions", "must be a non-empty list")
            else:
                for j, ref in enumerate(raw_refs):
                    qname = f"{name}.questions[{j}]"
                    ref = r.mapping(ref, qname, required={"question"}, optional={"weight"})
                    qslug = ref.get("question")
                    if "question" in ref and qslug not in questions:
                        r.error(f"{qname}.question",
                                f"'{qslug}' is not a question in exercises/ (or it failed validation)")
                    elif qslug in seen_questions:
                        r.error(f"{qname}.question", f"'{qslug}' is already used in section '{seen_questions[qslug]}'")
                    if isinstance(qslug, str):
                        seen_questions[qslug] = sslug
                    refs.append((qslug, r.number(ref, "weight", f"{qname}.weight", 0, 100, 1.0)))
            sections.append(SectionSpec(
                sslug, r.text(sec, "title", f"{name}.title", max_len=200),
                r.integer(sec, "time_limit_minutes", f"{name}.time_limit_minutes", 1, 600),
                r.text(sec, "intro", f"{name}.intro", required=False), refs,
            ))
    if len(issues) > before:
        return None
    return TrackSpec(slug, r.path, _sha256([raw]), r.text(data, "title", "title", max_len=300),
                     r.text(data, "summary", "summary", max_len=500),
                     r.text(data, "description", "description", required=False), automated, human, sections,
                     anonymised_review=anonymised)


def load_content(exercises_dir: Path, rubrics_dir: Path) -> ContentBundle:
    """Load and validate everything; raise ContentError listing every issue found."""
    issues: list[ContentIssue] = []
    bundle = ContentBundle()
    for label, folder in (("exercises", exercises_dir), ("rubrics", rubrics_dir)):
        if not folder.is_dir():
            issues.append(ContentIssue(str(folder), None, f"the {label} folder does not exist"))
    if issues:
        raise ContentError(issues)
    bundle.competencies = load_competencies(exercises_dir, issues)
    for path in sorted(rubrics_dir.glob("*.yaml")):
        spec = load_rubric(path, rubrics_dir, issues)
        if spec:
            bundle.rubrics[spec.slug] = spec
    known_competencies = {c.slug for c in bundle.competencies}
    for folder in sorted(p for p in exercises_dir.iterdir() if p.is_dir() and p.name not in {"tracks"} | IGNORED_NAMES):
        spec = load_question(folder, exercises_dir, known_competencies, bundle.rubrics, issues)
        if spec:
            rubric_hash = bundle.rubrics[spec.rubric].content_hash if spec.rubric else ""
            spec.content_hash = _sha256([spec.files_hash.encode(), rubric_hash.encode()])
            bundle.questions[spec.slug] = spec
    tracks_dir = exercises_dir / "tracks"
    for path in sorted(tracks_dir.glob("*.yaml")) if tracks_dir.is_dir() else []:
        spec = load_track(path, exercises_dir, bundle.questions, issues)
        if spec:
            refs = [bundle.questions[q].content_hash.encode() for s in spec.sections for q, _ in s.questions]
            spec.content_hash = _sha256([spec.raw_hash.encode(), *refs])
            bundle.tracks[spec.slug] = spec
    if not bundle.tracks and not issues:
        issues.append(ContentIssue(_rel(tracks_dir, exercises_dir), None, "holds no track (*.yaml)"))
    if issues:
        raise ContentError(issues)
    return bundle

"""Load and validate the content folders into specs. No database access here."""

from __future__ import annotations

import base64
from pathlib import Path

from .coding import CodingConfig, validate_coding
from .reader import KINDS, ContentError, ContentIssue, Reader, load_yaml, rel, sha256
from .specs import (
    CompetencySpec,
    ContentBundle,
    DimensionSpec,
    LevelSpec,
    QuestionSpec,
    RubricSpec,
    SectionSpec,
    TrackSpec,
)

IGNORED_NAMES = {"__pycache__", ".pytest_cache", ".DS_Store", ".ruff_cache"}
MAX_FILE_BYTES = 2_000_000
MAX_QUESTION_BYTES = 12_000_000
BINARY_DIRS = ("bench/", "tests/")  # audio and other data; everything else must be UTF-8 text


def load_competencies(exercises_dir: Path, issues: list[ContentIssue]) -> list[CompetencySpec]:
    path = exercises_dir / "competencies.yaml"
    if not path.exists():
        issues.append(ContentIssue(rel(path, exercises_dir), None, "is missing"))
        return []
    loaded = load_yaml(path, exercises_dir, issues)
    if loaded is None:
        return []
    r = Reader(issues, rel(path, exercises_dir))
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
    where = rel(path, rubrics_dir)
    before = len(issues)
    loaded = load_yaml(path, rubrics_dir, issues)
    if loaded is None:
        return None
    raw_data, raw = loaded
    r = Reader(issues, where)
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
    return RubricSpec(slug, where, sha256([raw]), r.text(data, "title", "title", max_len=200),
                      r.text(data, "description", "description"), applies_to, scale, dimensions)


def _read_tree(folder: Path, root: Path, issues: list[ContentIssue]) -> dict[str, bytes]:
    files: dict[str, bytes] = {}
    total = 0
    for path in sorted(folder.rglob("*")):
        if any(part in IGNORED_NAMES for part in path.relative_to(folder).parts) or path.suffix == ".pyc":
            continue
        name = path.relative_to(folder).as_posix()
        if path.is_symlink():
            issues.append(ContentIssue(rel(path, root), None, "symbolic links are not allowed in content"))
            continue
        if path.is_dir():
            continue
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            issues.append(ContentIssue(rel(path, root), None,
                                       f"is too large ({size} bytes, at most {MAX_FILE_BYTES})"))
            continue
        total += size
        files[name] = path.read_bytes()
    if total > MAX_QUESTION_BYTES:
        issues.append(ContentIssue(rel(folder, root), None,
                                   f"holds too much ({total} bytes, at most {MAX_QUESTION_BYTES})"))
    return files


def load_question(folder: Path, exercises_dir: Path, competencies: set[str], rubrics: dict[str, RubricSpec],
                  issues: list[ContentIssue]) -> QuestionSpec | None:
    before = len(issues)
    yaml_path = folder / "question.yaml"
    r = Reader(issues, rel(yaml_path, exercises_dir))
    slug = r.slug(folder.name, "folder name")
    if not yaml_path.exists():
        r.error(None, "is missing (every question folder needs question.yaml and prompt.md)")
        return None
    loaded = load_yaml(yaml_path, exercises_dir, issues)
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
        issues.append(ContentIssue(rel(prompt_path, exercises_dir), None, "is missing"))
    else:
        try:
            prompt_md = prompt_path.read_text(encoding="utf-8").strip()
        except UnicodeDecodeError:
            issues.append(ContentIssue(rel(prompt_path, exercises_dir), None, "is not valid UTF-8 text"))
        else:
            if not prompt_md:
                issues.append(ContentIssue(rel(prompt_path, exercises_dir), None, "is empty"))
    raw_files = _read_tree(folder, exercises_dir, issues)
    files: dict[str, str | dict[str, str]] = {}
    for name, blob in raw_files.items():
        try:
            files[name] = blob.decode("utf-8")
        except UnicodeDecodeError:
            if name.startswith(BINARY_DIRS):
                files[name] = {"b64": base64.b64encode(blob).decode()}
            else:
                issues.append(ContentIssue(rel(folder / name, exercises_dir), None,
                                           "is not valid UTF-8 text (binary data belongs under bench/ or tests/)"))
    coding: CodingConfig | None = None
    starter_files: dict[str, str] = {}
    if kind == "coding":
        if "coding" not in data:
            r.error("coding", "is required for coding questions")
        else:
            coding, starter_files = validate_coding(r, data["coding"], folder, files)
    elif "coding" in data:
        r.error("coding", f"is only allowed on coding questions (this one is {kind!r})")
    if len(issues) > before:
        return None
    files_hash = sha256(part for name in sorted(raw_files) for part in (name.encode(), raw_files[name]))
    return QuestionSpec(
        slug=slug, source_path=rel(folder, exercises_dir), files_hash=files_hash,
        title=r.text(data, "title", "title", max_len=300), kind=kind,
        summary=r.text(data, "summary", "summary", max_len=500), competencies=comps,
        rubric=rubric, time_estimate_minutes=r.integer(data, "time_estimate_minutes", "time_estimate_minutes", 1, 240),
        guidance=guidance, prompt_md=prompt_md, coding=coding, files=files, starter_files=starter_files,
    )


def load_track(path: Path, exercises_dir: Path, questions: dict[str, QuestionSpec],
               issues: list[ContentIssue]) -> TrackSpec | None:
    before = len(issues)
    loaded = load_yaml(path, exercises_dir, issues)
    if loaded is None:
        return None
    raw_data, raw = loaded
    r = Reader(issues, rel(path, exercises_dir))
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
            limit = r.integer(sec, "time_limit_minutes", f"{name}.time_limit_minutes", 1, 600)
            _check_time_guidance(r, name, sec.get("title"), limit, refs, questions)
            sections.append(SectionSpec(
                sslug, r.text(sec, "title", f"{name}.title", max_len=200), limit,
                r.text(sec, "intro", f"{name}.intro", required=False), refs,
            ))
    if len(issues) > before:
        return None
    return TrackSpec(slug, r.path, sha256([raw]), r.text(data, "title", "title", max_len=300),
                     r.text(data, "summary", "summary", max_len=500),
                     r.text(data, "description", "description", required=False), automated, human, sections,
                     anonymised_review=anonymised)


# A section's questions' time estimates must add up to its time: more and the guidance promises time the clock
# does not give; much less and the section's time is padding nobody was told about.
TIME_GUIDANCE_MIN_SHARE = 0.8


def _check_time_guidance(r: Reader, name: str, title: object, limit: int | None,
                         refs: list[tuple[str, float]], questions: dict[str, QuestionSpec]) -> None:
    if not isinstance(limit, int) or not refs or any(q not in questions for q, _ in refs):
        return  # reported elsewhere
    estimates = [(q, questions[q].time_estimate_minutes) for q, _ in refs]
    total = sum(m for _, m in estimates)
    if total <= limit and total >= TIME_GUIDANCE_MIN_SHARE * limit:
        return
    listed = ", ".join(f"{q} {m}" for q, m in estimates)
    label = f"'{title}'" if isinstance(title, str) else name
    r.error(f"{name}.time_limit_minutes",
            f"section {label} allows {limit} min but its questions' time_estimate_minutes add up to {total} "
            f"({listed}); make them agree (the estimates must total {int(TIME_GUIDANCE_MIN_SHARE * 100)}-100 % "
            "of the section's time)")


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
            spec.content_hash = sha256([spec.files_hash.encode(), rubric_hash.encode()])
            bundle.questions[spec.slug] = spec
    tracks_dir = exercises_dir / "tracks"
    for path in sorted(tracks_dir.glob("*.yaml")) if tracks_dir.is_dir() else []:
        spec = load_track(path, exercises_dir, bundle.questions, issues)
        if spec:
            refs = [bundle.questions[q].content_hash.encode() for s in spec.sections for q, _ in s.questions]
            spec.content_hash = sha256([spec.raw_hash.encode(), *refs])
            bundle.tracks[spec.slug] = spec
    if not bundle.tracks and not issues:
        issues.append(ContentIssue(rel(tracks_dir, exercises_dir), None, "holds no track (*.yaml)"))
    if issues:
        raise ContentError(issues)
    return bundle

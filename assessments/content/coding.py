"""The grading contract of a coding question, typed: what `coding:` in question.yaml declares.

Stored as JSON on Question.coding; everything that grades or displays a lab reads it through
CodingConfig (Question.coding_config), never by string key.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from .benchmarks import BENCHMARK_KINDS, validate_benchmarks
from .reader import Reader

MIN_WRONG_VARIANTS = 4
MIN_RIGHT_VARIANTS = 2
HIDDEN_TESTS = "hidden_tests"  # the score part every lab has; the others are its benchmarks


@dataclass(frozen=True)
class Resources:
    """What one grading job of the lab may use; the sandbox enforces it."""

    cpus: float = 1.0
    memory_mb: int = 1024
    wall_seconds: int = 60
    gpu: bool = False


DEFAULT_CORE_CAP = 0.3


@dataclass(frozen=True)
class CoreChecks:
    """The lab's point: hidden tests whose failure caps the score at `cap`, whatever else passed."""

    tests: tuple[str, ...] = ()
    cap: float = DEFAULT_CORE_CAP

    def to_json(self) -> dict[str, Any]:
        return {"tests": list(self.tests), "cap": self.cap}


@dataclass(frozen=True)
class CodingConfig:
    entrypoint: str
    resources: Resources = field(default_factory=Resources)
    language: str = "python"
    requirements: tuple[str, ...] = ()
    # The score model: weights of the parts (hidden_tests and each benchmark), the core checks that cap the
    # score when one fails, and the benchmark gates that cap it when they fail (docs/content-format.md).
    scoring: Mapping[str, float] = field(default_factory=lambda: {HIDDEN_TESTS: 1.0})
    core: CoreChecks = field(default_factory=CoreChecks)
    gates: Mapping[str, float] = field(default_factory=dict)
    # kind -> that benchmark's settings, as declared (the kind's schema in benchmarks.py checked them)
    benchmarks: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)

    @property
    def module(self) -> str:
        """The import name tests use for the candidate's code (`solution` for solution.py)."""
        return self.entrypoint.removesuffix(".py")

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> CodingConfig:
        """From stored JSON (or a question.yaml `coding:` mapping): missing parts take their defaults."""
        res = dict(data.get("resources") or {})
        resources = Resources(cpus=float(res.get("cpus", 1.0)), memory_mb=int(res.get("memory_mb", 1024)),
                              wall_seconds=int(res.get("wall_seconds", 60)), gpu=bool(res.get("gpu", False)))
        scoring = dict(data.get("scoring") or {HIDDEN_TESTS: 1.0})
        core = scoring.pop("core", None) or {}
        gates = scoring.pop("gates", None) or {}
        return cls(entrypoint=data["entrypoint"], resources=resources, language=data.get("language", "python"),
                   requirements=tuple(data.get("requirements") or ()),
                   scoring={k: float(v) for k, v in scoring.items()} or {HIDDEN_TESTS: 1.0},
                   core=CoreChecks(tests=tuple(core.get("tests") or ()), cap=float(core.get("cap", DEFAULT_CORE_CAP))),
                   gates={k: float(v) for k, v in gates.items()},
                   benchmarks={k: dict(v) for k, v in (data.get("benchmarks") or {}).items()})

    def to_json(self) -> dict[str, Any]:
        """Stored as question.yaml spells it: the core checks and the gates inside `scoring`."""
        scoring: dict[str, Any] = dict(self.scoring)
        if self.core.tests:
            scoring["core"] = self.core.to_json()
        if self.gates:
            scoring["gates"] = dict(self.gates)
        return {"language": self.language, "entrypoint": self.entrypoint, "resources": asdict(self.resources),
                "requirements": list(self.requirements), "scoring": scoring,
                "benchmarks": {k: dict(v) for k, v in self.benchmarks.items()}}


def validate_coding(r: Reader, raw: Any, folder: Path, files: Mapping[str, Any]) -> tuple[CodingConfig | None,
                                                                                          dict[str, str]]:
    """Check a question's `coding:` section against its folder; returns the config and the starter files."""
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
    gpu = res.get("gpu", False)
    if not isinstance(gpu, bool):
        r.error("coding.resources.gpu", f"must be true or false (got {gpu!r})")
    resources = Resources(
        cpus=r.number(res, "cpus", "coding.resources.cpus", 0.25, 8, 1.0),
        memory_mb=r.integer(res, "memory_mb", "coding.resources.memory_mb", 64, 16384) if "memory_mb" in res
        else 1024,
        wall_seconds=r.integer(res, "wall_seconds", "coding.resources.wall_seconds", 1, 900)
        if "wall_seconds" in res else 60,
        gpu=gpu is True,
    )
    requirements = r.string_list(c, "requirements", "coding.requirements")
    benchmarks = validate_benchmarks(r, c.get("benchmarks", {}), files)
    scoring, core, gates = _validate_scoring(r, c.get("scoring", {HIDDEN_TESTS: 1.0}), benchmarks, files)
    starter: dict[str, str] = {}
    if entry:
        for part in ("starter", "reference"):
            if f"{part}/{entry}" not in files:
                r.error("coding.entrypoint", f"{part}/{entry} is missing in {folder.name}/")
        starter = {name.removeprefix("starter/"): text for name, text in files.items() if name.startswith("starter/")}
    for suite in ("visible", "hidden"):
        if not any(re.fullmatch(rf"tests/{suite}/test_[^/]+\.py", n) for n in files):
            r.error("coding", f"tests/{suite}/ needs at least one test_*.py file")
    _validate_drivers(r, files)
    minimums = {"wrong": MIN_WRONG_VARIANTS, "right": MIN_RIGHT_VARIANTS, "core": 1}
    if "latency" in benchmarks:
        minimums["slow"] = 1  # correct but slow: it must fail the gate
    for kind, minimum in minimums.items():
        count = sum(1 for n in files if re.fullmatch(rf"variants/{kind}/[^/]+\.py", n))
        if count < minimum:
            r.error("coding", f"variants/{kind}/ needs at least {minimum} solution files (found {count})")
    if not entry:
        return None, starter
    return CodingConfig(entrypoint=entry, resources=resources, language="python", requirements=tuple(requirements),
                        scoring=scoring, core=core, gates=gates, benchmarks=benchmarks), starter


def _validate_scoring(r: Reader, raw: Any, benchmarks: Mapping[str, Any],
                      files: Mapping[str, Any]) -> tuple[dict[str, float], CoreChecks, dict[str, float]]:
    """The lab's score model: part weights, the core checks (required) and the benchmark gates."""
    scoring: dict[str, float] = {}
    core, gates = CoreChecks(), {}
    parts = (HIDDEN_TESTS, *sorted(BENCHMARK_KINDS))
    if not isinstance(raw, dict) or not raw:
        r.error("coding.scoring", f"must map score parts (e.g. {HIDDEN_TESTS}) to weights")
        return scoring, core, gates
    for key in raw:
        if key in ("core", "gates"):
            continue
        if key not in parts:
            r.error(f"coding.scoring.{key}", f"is not a known score part ({', '.join(parts)}), 'core' or 'gates'")
        elif key != HIDDEN_TESTS and key not in benchmarks:
            r.error(f"coding.scoring.{key}", "weights a benchmark that coding.benchmarks does not declare")
        else:
            scoring[key] = r.number(raw, key, f"coding.scoring.{key}", 0, 100, 0)
    if scoring and not any(w > 0 for w in scoring.values()):
        r.error("coding.scoring", "needs at least one weight above 0")
    if "core" not in raw:
        r.error("coding.scoring.core", "is required: name the hidden tests that check the lab's point (a failed one "
                                       "caps the score), e.g. core: {tests: [test_...], cap: 0.3}")
    else:
        c = r.mapping(raw["core"], "coding.scoring.core", required={"tests"}, optional={"cap"})
        defined = _hidden_test_names(files)
        names = r.string_list(c, "tests", "coding.scoring.core.tests", min_items=1) if "tests" in c else []
        for name in names:
            if name not in defined:
                r.error("coding.scoring.core.tests", f"'{name}' is not a test function in tests/hidden/")
        cap = r.number(c, "cap", "coding.scoring.core.cap", 0, 0.99, DEFAULT_CORE_CAP)
        core = CoreChecks(tests=tuple(names), cap=cap)
    g = r.mapping(raw.get("gates", {}), "coding.scoring.gates", required=set(), optional=set(BENCHMARK_KINDS))
    for kind in g:
        if kind in BENCHMARK_KINDS:
            if kind not in benchmarks:
                r.error(f"coding.scoring.gates.{kind}", "gates a benchmark that coding.benchmarks does not declare")
            gates[kind] = r.number(g, kind, f"coding.scoring.gates.{kind}", 0, 0.99, 0.5)
    return scoring, core, gates


def _hidden_test_names(files: Mapping[str, Any]) -> set[str]:
    """Test functions of the hidden suite as the harness names them: `test_x`, or `TestCase::test_x`."""
    names: set[str] = set()
    for name, text in files.items():
        if not (isinstance(text, str) and re.fullmatch(r"tests/hidden/test_[^/]+\.py", name)):
            continue
        try:
            tree = ast.parse(text)
        except SyntaxError:
            continue
        for node in tree.body:
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name.startswith("test"):
                names.add(node.name)
            elif isinstance(node, ast.ClassDef) and node.name.startswith("Test"):
                names |= {f"{node.name}::{f.name}" for f in node.body
                          if isinstance(f, ast.FunctionDef | ast.AsyncFunctionDef) and f.name.startswith("test")}
    return names


def _imported_from(module: str, sources: list[str]) -> set[str]:
    """Names the test files take from `module`: `from module import a, b` and `module.a` after `import module`."""
    names: set[str] = set()
    for source in sources:
        try:
            tree = ast.parse(source)
        except SyntaxError:
            continue  # a broken test file fails in its own run, with pytest's message
        imported_whole = False
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module == module:
                names |= {alias.name for alias in node.names}
            elif isinstance(node, ast.Import) and any(alias.name == module for alias in node.names):
                imported_whole = True
        if imported_whole:
            names |= {node.attr for node in ast.walk(tree) if isinstance(node, ast.Attribute)
                      and isinstance(node.value, ast.Name) and node.value.id == module}
    return names


def _validate_drivers(r: Reader, files: Mapping[str, Any]) -> None:
    """tests/driver.py runs in the candidate process of visible runs too, where candidate code can read it: it
    must not hold helpers only the hidden tests use (they belong in tests/hidden/driver.py, `hidden_driver`)."""
    if not isinstance(files.get("tests/driver.py"), str):
        return
    suites = {suite: [text for name, text in files.items() if isinstance(text, str)
                      and re.fullmatch(rf"tests/{suite}/test_[^/]+\.py", name)] for suite in ("visible", "hidden")}
    hidden_only = _imported_from("driver", suites["hidden"]) - _imported_from("driver", suites["visible"])
    if hidden_only:
        r.error("coding", f"tests/driver.py gives the hidden tests {', '.join(sorted(hidden_only))}, which no visible "
                          "test uses: candidate code can read this file in visible runs. Move hidden-only helpers to "
                          "tests/hidden/driver.py and import them from hidden_driver")

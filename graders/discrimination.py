"""Does a lab's score separate right from wrong? Grade every solution a lab ships and check each against what its
kind must get. Used by `manage.py discrimination_report` and by the self-check tests (the same rules).

  reference   passes its hidden and visible suites with score 1.0
  starter     fails
  right/*     passes with 1.0 (differently written right solutions)
  wrong/*     fails with a score below 1.0, on the lab's own tests (no collection error)
  core/*      the lab's central mistake: fails, a core check among the failures, score at most the core cap
  slow/*      correct but slow: every test passes and the latency gate fails, in every one of its gradings

Plain Python (no Django).
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path

import yaml

from assessments.content.coding import CodingConfig
from sandboxes.base import Backend

from .grading import grade
from .jobs import read_exercise_dir
from .result import GradingResult, Verdict

KINDS = ("reference", "starter", "right", "wrong", "core", "slow")


@dataclass(frozen=True)
class Row:
    lab: str
    variant: str          # "reference", "starter" or "<kind>/<file>"
    kind: str
    suite: str
    verdict: str
    score: float
    cap: float | None     # the most this kind may score (core variants: the core cap)
    core_failed: tuple[str, ...]
    problem: str | None   # None when the solution got what its kind must get
    latency: float | None = None  # the latency gate's median ratio to the reference, on labs that have one

    def line(self) -> str:
        mark = "ok  " if self.problem is None else "FAIL"
        cap = f" (cap {self.cap:g})" if self.cap is not None else ""
        core = f" core failed: {', '.join(self.core_failed)}" if self.core_failed else ""
        why = f"  <- {self.problem}" if self.problem else ""
        latency = f" latency {self.latency:.2f}x" if self.latency is not None else ""
        return (f"{mark} {self.lab:28s} {self.variant:42s} {self.suite:7s} {self.verdict:13s} {self.score:.3f}"
                f"{latency}{cap}{core}{why}")


def _jobs(folder: Path, slow_repeats: int) -> list[tuple[str, str, Path, str]]:
    """(variant label, kind, file, suite) for every solution the lab ships."""
    entry = "solution.py"
    jobs = [("reference", "reference", folder / "reference" / entry, "hidden"),
            ("reference", "reference", folder / "reference" / entry, "visible"),
            ("starter", "starter", folder / "starter" / entry, "hidden")]
    for kind in ("right", "wrong", "core", "slow"):
        for path in sorted((folder / "variants" / kind).glob("*.py")):
            jobs += [(f"{kind}/{path.name}", kind, path, "hidden")] * (slow_repeats if kind == "slow" else 1)
    return jobs


def _judge(kind: str, result: GradingResult, coding: CodingConfig) -> tuple[str | None, float | None]:
    tests = result.tests
    ran = bool(tests) and not any(t.name.startswith("collect:") for t in tests)
    if kind in ("reference", "right"):
        ok = result.verdict == Verdict.PASSED and result.score == 1.0
        return (None if ok else "must pass with 1.0"), None
    if kind == "starter":
        return (None if result.verdict != Verdict.PASSED else "the starter must fail"), None
    if kind == "wrong":
        ok = result.verdict == Verdict.FAILED and result.score < 1.0 and ran
        return (None if ok else "must fail on the lab's own tests with a score below 1.0"), None
    if kind == "core":
        cap = coding.core.cap
        if not (result.verdict == Verdict.FAILED and ran):
            return "must fail on the lab's own tests", cap
        if not result.core_failed:
            return "the central mistake must fail a core check", cap
        return (None if result.score <= cap + 1e-9 else f"scores above the core cap {cap:g}"), cap
    if kind == "slow":
        bench = result.benchmarks.get("latency")
        ok = ran and all(t.passed for t in tests) and bench is not None and not bench.passed
        return (None if ok else "must pass every test and fail the latency gate"), None
    raise ValueError(kind)


def lab_rows(folder: Path, backend: Backend, *, slow_repeats: int = 1, parallel: int = 2,
             gpu_available: Callable[[], bool] = lambda: False) -> list[Row]:
    """Grade every solution of one lab through `backend` and judge each; GPU labs run on the CPU when no GPU is
    there (they are written to run on either device)."""
    coding = CodingConfig.from_json(yaml.safe_load((folder / "question.yaml").read_text())["coding"])
    if coding.resources.gpu and not gpu_available():
        coding = replace(coding, resources=replace(coding.resources, gpu=False))
    files = read_exercise_dir(folder)
    jobs = _jobs(folder, slow_repeats)

    def run(job):
        _, _, path, suite = job
        return grade(backend=backend, exercise_files=files, coding=coding, suite=suite,
                     candidate_files={coding.entrypoint: path.read_bytes()})

    with ThreadPoolExecutor(max_workers=parallel) as pool:
        results = list(pool.map(run, jobs))
    rows = []
    for (label, kind, _, suite), result in zip(jobs, results, strict=True):
        problem, cap = _judge(kind, result, coding)
        if problem:
            failing = [t.name for t in result.failing][:6]
            problem += f" (got {result.verdict} {result.score:.3f}; failing: {failing})"
            # A benchmark's own summary says why it failed (a ratio, mismatched outputs, unfrozen processes).
            problem += "".join(f"; {name}: {b.summary}" for name, b in result.benchmarks.items() if not b.passed)
        bench = result.benchmarks.get("latency")
        rows.append(Row(lab=folder.name, variant=label, kind=kind, suite=suite, verdict=str(result.verdict),
                        score=result.score, cap=cap, core_failed=result.core_failed, problem=problem,
                        latency=bench.figures.get("ratio") if bench is not None else None))
    return rows

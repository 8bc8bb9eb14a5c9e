"""Build the file tree a sandbox job needs. Plain Python (no Django): used by the worker and the CLI.

Layout, relative to the job root:
  harness/              the harness: every file under graders/harness/, nothing hand-listed
  private/job.json      what to run, limits, benchmarks, scoring
  private/tests/<suite> the suite being run (a hidden run's tests/hidden/driver.py with it), and tests/driver.py
  private/reference/    the reference solution (hidden runs with benchmarks only)
  private/bench/        benchmark data (hidden runs only)
  private/candidate/    the submitted files
  private/reference_figures.json  the reference's cached benchmark figures (hidden runs, when the host has them)

A job in mode "reference-figures" has no candidate and no tests: the reference alone computes what the host
caches (graders.grading.ReferenceCache).
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from pathlib import Path

from assessments.content.coding import CodingConfig

from .result import Suite

HARNESS_DIR = Path(__file__).resolve().parent / "harness"
REFERENCE_FIGURES = "reference_figures.json"
MODES = ("grade", "reference-figures")
_SKIPPED = {"__pycache__", ".pytest_cache"}


def harness_files(harness_dir: Path = HARNESS_DIR) -> dict[str, bytes]:
    """Every file of the harness, keyed by its path under harness/ (caches left out)."""
    return {f"harness/{p.relative_to(harness_dir).as_posix()}": p.read_bytes()
            for p in sorted(harness_dir.rglob("*"))
            if p.is_file() and not p.is_symlink() and p.suffix != ".pyc"
            and not _SKIPPED & set(p.relative_to(harness_dir).parts)}


def file_bytes(value: str | dict) -> bytes:
    """QuestionFiles stores text as str and binary files as {"b64": ...}."""
    if isinstance(value, dict):
        return base64.b64decode(value["b64"])
    return value.encode("utf-8")


def read_exercise_dir(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file() and not p.is_symlink() and not _SKIPPED & set(p.relative_to(folder).parts)}


def build_job(*, exercise_files: Mapping[str, bytes], coding: CodingConfig, candidate_files: Mapping[str, bytes],
              suite: str, drop_privileges: bool, output_cap: int = 1024 * 1024,
              harness_dir: Path = HARNESS_DIR, mode: str = "grade",
              reference_figures: Mapping | None = None) -> dict[str, bytes]:
    if suite not in Suite.__members__.values():
        raise ValueError(f"suite must be one of {', '.join(Suite)}")
    if mode not in MODES:
        raise ValueError(f"mode must be one of {', '.join(MODES)}")
    reference_only = mode == "reference-figures"
    if reference_only and (suite != Suite.HIDDEN or candidate_files):
        raise ValueError("a reference-figures job is a hidden-suite job with no candidate files")
    res = coding.resources
    benchmarks = {k: dict(v) for k, v in coding.benchmarks.items()}
    job = {
        "suite": suite, "entrypoint": coding.entrypoint, "wall_seconds": res.wall_seconds,
        "memory_mb": res.memory_mb, "cpus": res.cpus, "gpu": res.gpu,
        "benchmarks": benchmarks if suite == Suite.HIDDEN else {}, "scoring": dict(coding.scoring),
        "core": coding.core.to_json(), "gates": dict(coding.gates),
        "drop_privileges": drop_privileges, "output_cap": output_cap, "mode": mode,
    }
    hidden = suite == Suite.HIDDEN
    if hidden and reference_figures and not reference_only:
        job["reference_figures"] = REFERENCE_FIGURES
    files = harness_files(harness_dir)
    files["private/job.json"] = json.dumps(job, indent=1).encode()
    if "reference_figures" in job:
        files[f"private/{REFERENCE_FIGURES}"] = json.dumps(dict(reference_figures), allow_nan=False).encode()
    for rel, data in exercise_files.items():
        tests = rel.startswith(f"tests/{suite}/") or rel == "tests/driver.py"
        needed = ((tests and not reference_only)
                  or (hidden and rel.startswith("bench/"))
                  or (hidden and bool(benchmarks) and rel.startswith("reference/")))
        if needed:
            files[f"private/{rel}"] = data
    for name, data in candidate_files.items():
        if "/" in name or name.startswith(".") or not name:
            raise ValueError(f"candidate file names must be plain file names (got {name!r})")
        files[f"private/candidate/{name}"] = data
    return files


def write_tree(root: Path, files: Mapping[str, bytes]) -> None:
    for rel, data in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)

"""Build the file tree a sandbox job needs. Plain Python (no Django): used by the worker and the CLI.

Layout, relative to the job root:
  harness/              the harness code (graders/harness)
  private/job.json      what to run, limits, benchmarks, scoring
  private/tests/<suite> the suite being run, and tests/driver.py if the exercise has one
  private/reference/    the reference solution (hidden runs with benchmarks only)
  private/bench/        benchmark data (hidden runs only)
  private/candidate/    the submitted files
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from pathlib import Path

HARNESS_DIR = Path(__file__).resolve().parent / "harness"
HARNESS_FILES = ("main.py", "harness_api.py", "wire.py", "candidate_runner.py", "benchmarks.py")
SUITES = ("visible", "hidden")


def file_bytes(value: str | dict) -> bytes:
    """QuestionFiles stores text as str and binary files as {"b64": ...}."""
    if isinstance(value, dict):
        return base64.b64decode(value["b64"])
    return value.encode("utf-8")


def read_exercise_dir(folder: Path) -> dict[str, bytes]:
    skip = {"__pycache__", ".pytest_cache"}
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file() and not p.is_symlink() and not skip & set(p.relative_to(folder).parts)}


def build_job(*, exercise_files: Mapping[str, bytes], coding: dict, candidate_files: Mapping[str, bytes],
              suite: str, drop_privileges: bool, output_cap: int = 1024 * 1024) -> dict[str, bytes]:
    if suite not in SUITES:
        raise ValueError(f"suite must be one of {SUITES}")
    resources = coding["resources"]
    benchmarks = coding.get("benchmarks") or {}
    job = {
        "suite": suite, "entrypoint": coding["entrypoint"], "wall_seconds": resources["wall_seconds"],
        "memory_mb": resources["memory_mb"], "cpus": resources["cpus"], "gpu": resources.get("gpu", False),
        "benchmarks": benchmarks if suite == "hidden" else {}, "scoring": coding.get("scoring") or {},
        "drop_privileges": drop_privileges, "output_cap": output_cap,
    }
    files: dict[str, bytes] = {f"harness/{name}": (HARNESS_DIR / name).read_bytes() for name in HARNESS_FILES}
    files["private/job.json"] = json.dumps(job, indent=1).encode()
    for rel, data in exercise_files.items():
        needed = (rel.startswith(f"tests/{suite}/") or rel == "tests/driver.py"
                  or (suite == "hidden" and rel.startswith("bench/"))
                  or (suite == "hidden" and bool(benchmarks) and rel.startswith("reference/")))
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

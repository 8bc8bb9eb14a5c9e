"""Grade one submission through a sandbox backend and validate what the harness reports.

Plain Python (no Django): used by the Celery task, `manage.py grade`, the self-checks and bench/.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from typing import Any

from sandboxes.base import Backend, Job, Limits, Verdict

from .jobs import build_job

RESULT_MAX_BYTES = 1024 * 1024
# The sandbox's wall limit sits this far above the exercise's, so the harness reports first.
HOST_MARGIN_S = 20
VERDICTS = ("passed", "failed", "error", "timeout", "memory", "output-limit", "sandbox-error")
TEST_OUTCOMES = ("passed", "failed", "error", "skipped")
_SANDBOX_TO_RESULT = {Verdict.TIMEOUT: "timeout", Verdict.MEMORY: "memory", Verdict.OUTPUT_LIMIT: "output-limit",
                      Verdict.KILLED: "error", Verdict.SANDBOX_ERROR: "sandbox-error"}


class InvalidResult(ValueError):
    pass


def validate_result(raw: bytes) -> dict[str, Any]:
    """Parse the harness's last stdout line and check its shape; anything off is InvalidResult."""
    if len(raw) > RESULT_MAX_BYTES:
        raise InvalidResult(f"result is {len(raw)} bytes, over the {RESULT_MAX_BYTES} byte limit")
    lines = [line for line in raw.decode("utf-8", "replace").splitlines() if line.strip()]
    if not lines:
        raise InvalidResult("the harness reported nothing")
    try:
        data = json.loads(lines[-1])
    except json.JSONDecodeError as exc:
        raise InvalidResult(f"result is not JSON: {exc}") from None
    if not isinstance(data, dict) or data.get("schema") != 1:
        raise InvalidResult("result has no schema 1 object")
    if data.get("verdict") not in VERDICTS:
        raise InvalidResult(f"unknown verdict {data.get('verdict')!r}")
    score = data.get("score")
    if isinstance(score, bool) or not isinstance(score, int | float) or not 0 <= score <= 1:
        raise InvalidResult(f"score must be a number in [0, 1] (got {score!r})")
    tests = data.get("tests")
    if not isinstance(tests, list):
        raise InvalidResult("tests must be a list")
    for t in tests:
        if not (isinstance(t, dict) and isinstance(t.get("name"), str) and t.get("outcome") in TEST_OUTCOMES
                and isinstance(t.get("message", ""), str)):
            raise InvalidResult(f"malformed test entry {str(t)[:200]}")
    if not isinstance(data.get("benchmarks", {}), dict):
        raise InvalidResult("benchmarks must be an object")
    if data["verdict"] == "passed" and any(t["outcome"] in ("failed", "error") for t in tests):
        raise InvalidResult("verdict 'passed' with failing tests")
    return data


def grade(*, backend: Backend, exercise_files: Mapping[str, bytes], coding: dict, candidate_files: Mapping[str, bytes],
          suite: str, labels: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Run the harness in the backend; always returns a result dict with a verdict and a score."""
    t0 = time.monotonic()
    resources = coding["resources"]
    files = build_job(exercise_files=exercise_files, coding=coding, candidate_files=candidate_files, suite=suite,
                      drop_privileges=backend.is_isolated)
    limits = Limits(cpus=float(resources["cpus"]), memory_mb=int(resources["memory_mb"]),
                    wall_seconds=float(resources["wall_seconds"]) + HOST_MARGIN_S, gpu=bool(resources.get("gpu")))
    job = Job(files=files, command=["python3", "-I", "{root}/harness/main.py", "{root}"], limits=limits,
              labels=dict(labels or {}))
    outcome = backend.run(job)
    base = {"sandbox": {"backend": outcome.backend, "verdict": outcome.verdict, "exit_code": outcome.exit_code,
                        "wall_seconds": outcome.wall_seconds, "cpu_seconds": outcome.cpu_seconds,
                        "peak_memory_bytes": outcome.peak_memory_bytes, "detail": outcome.detail,
                        "timings": outcome.timings, "stderr_tail": outcome.stderr[-2000:].decode("utf-8", "replace")},
            "host_seconds": round(time.monotonic() - t0, 4)}
    if outcome.verdict != Verdict.OK:
        # The sandbox stopped the run (limit hit): no harness result to trust, no points.
        return {"schema": 1, "suite": suite, "verdict": _SANDBOX_TO_RESULT[outcome.verdict], "score": 0.0,
                "tests": [], "benchmarks": {}, **base}
    try:
        data = validate_result(outcome.stdout)
    except InvalidResult as exc:
        return {"schema": 1, "suite": suite, "verdict": "sandbox-error", "score": 0.0, "tests": [], "benchmarks": {},
                "error": f"invalid harness result: {exc}", **base}
    data.update(base)
    return data

"""Grade one submission through a sandbox backend and validate what the harness reports.

Plain Python (no Django): used by the Celery task, `manage.py grade`, the self-checks and bench/.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from pathlib import Path

from assessments.content.coding import CodingConfig
from sandboxes.base import Backend, Job, Limits, Termination

from .jobs import HARNESS_DIR, build_job
from .result import TERMINATION_VERDICTS, GradingResult, InvalidResult, Verdict

# The sandbox's wall limit sits this far above the exercise's, so the harness reports first.
HOST_MARGIN_S = 20


def sandbox_limits(coding: CodingConfig) -> Limits:
    """The container's limits for one job of this lab: its resources, and the host's margin on the wall."""
    res = coding.resources
    return Limits(cpus=res.cpus, memory_mb=res.memory_mb, wall_seconds=res.wall_seconds + HOST_MARGIN_S, gpu=res.gpu)


def grade(*, backend: Backend, exercise_files: Mapping[str, bytes], coding: CodingConfig,
          candidate_files: Mapping[str, bytes], suite: str, labels: Mapping[str, str] | None = None,
          harness_dir: Path = HARNESS_DIR) -> GradingResult:
    """Run the harness in the backend; always returns a result with a verdict and a score."""
    t0 = time.monotonic()
    files = build_job(exercise_files=exercise_files, coding=coding, candidate_files=candidate_files, suite=suite,
                      drop_privileges=backend.is_isolated, harness_dir=harness_dir)
    job = Job(files=files, command=["python3", "-I", "{root}/harness/main.py", "{root}"],
              limits=sandbox_limits(coding), labels=dict(labels or {}))
    outcome = backend.run(job)
    sandbox = {"backend": outcome.backend, "termination": str(outcome.termination), "exit_code": outcome.exit_code,
               "wall_seconds": outcome.wall_seconds, "cpu_seconds": outcome.cpu_seconds,
               "peak_memory_bytes": outcome.peak_memory_bytes, "detail": outcome.detail, "timings": outcome.timings,
               "stderr_tail": outcome.stderr[-2000:].decode("utf-8", "replace")}
    host_seconds = round(time.monotonic() - t0, 4)
    if outcome.termination != Termination.OK:
        # The sandbox stopped the run (limit hit): no harness result to trust, no points.
        return GradingResult.stopped(suite=suite, verdict=TERMINATION_VERDICTS[outcome.termination], sandbox=sandbox,
                                     host_seconds=host_seconds)
    try:
        result = GradingResult.parse(outcome.stdout)
    except InvalidResult as exc:
        return GradingResult.stopped(suite=suite, verdict=Verdict.SANDBOX_ERROR, sandbox=sandbox,
                                     host_seconds=host_seconds, error=f"invalid harness result: {exc}")
    return result.with_host(sandbox=sandbox, host_seconds=host_seconds)

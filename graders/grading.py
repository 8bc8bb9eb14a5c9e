"""Grade one submission through a sandbox backend and validate what the harness reports.

Plain Python (no Django): used by the Celery task, `manage.py grade`, the self-checks and bench/.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from assessments.content.coding import CodingConfig
from sandboxes.base import Backend, Job, Limits, Termination

from .jobs import HARNESS_DIR, build_job, harness_files
from .result import TERMINATION_VERDICTS, GradingResult, InvalidResult, Verdict

log = logging.getLogger(__name__)

# The sandbox's wall limit sits this far above the exercise's, so the harness reports first.
HOST_MARGIN_S = 20


def sandbox_limits(coding: CodingConfig) -> Limits:
    """The container's limits for one job of this lab: its resources, and the host's margin on the wall."""
    res = coding.resources
    return Limits(cpus=res.cpus, memory_mb=res.memory_mb, wall_seconds=res.wall_seconds + HOST_MARGIN_S, gpu=res.gpu)


# Benchmark kinds whose reference side the harness can compute alone and the host may cache
# (benchmarks/<kind>.py defines reference_figures). Latency is not one: its reference is timed beside the candidate.
CACHEABLE_KINDS = ("wer",)
CACHE_ENTRY_MAX_BYTES = 4 * 1024 * 1024


class ReferenceCache:
    """The reference's benchmark figures, one JSON file per key, in a folder only the worker writes (0700).

    Key: the lab's content (every file, the benchmark config, resources), the harness's code, and the sandbox's
    identity (Docker image id, or the local backend's Python and packages); a change to any is another key, so an
    entry is never stale, only unused. What is stored comes from a reference-only job (no candidate code in that
    sandbox); a grading gets it read-only under the job's private/ folder (docs/grading.md, "The reference's cache").
    """

    def __init__(self, folder: Path | str, *, keep: int = 256):
        self.folder = Path(folder)
        self.keep = keep

    def _path(self, key: str) -> Path:
        if not key or any(ch not in "0123456789abcdef" for ch in key):
            raise ValueError("a cache key is a hex digest")
        return self.folder / f"{key}.json"

    def get(self, key: str) -> dict | None:
        try:
            path = self._path(key)
            if path.stat().st_size > CACHE_ENTRY_MAX_BYTES:
                return None
            entry = json.loads(path.read_text())
        except (OSError, ValueError):
            return None
        if not isinstance(entry, dict) or entry.get("key") != key or not isinstance(entry.get("figures"), dict):
            return None
        with contextlib.suppress(OSError):
            os.utime(path)  # recently used: kept by the pruning below
        return entry["figures"]

    def put(self, key: str, figures: dict, *, parts: Mapping[str, str]) -> None:
        data = json.dumps({"key": key, "parts": dict(parts), "figures": figures, "created": time.time()},
                          sort_keys=True, allow_nan=False).encode()
        if len(data) > CACHE_ENTRY_MAX_BYTES:
            return
        path = self._path(key)
        self.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        os.chmod(self.folder, 0o700)
        fd, tmp = tempfile.mkstemp(dir=self.folder, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
            os.replace(tmp, path)  # atomic: a reader sees the old entry or the whole new one
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
        self._prune()

    def _prune(self) -> None:
        with contextlib.suppress(OSError):
            entries = sorted(self.folder.glob("*.json"), key=lambda p: p.stat().st_mtime, reverse=True)
            for old in entries[self.keep:]:
                old.unlink(missing_ok=True)


def default_reference_cache() -> ReferenceCache | None:
    """GRADING_REFERENCE_CACHE: a folder, or "off"; default the worker's cache folder (XDG), as ./dev's sandbox-env."""
    value = os.environ.get("GRADING_REFERENCE_CACHE", "").strip()
    if value.lower() in ("off", "0", "false", "no"):
        return None
    if value:
        return ReferenceCache(value)
    base = os.environ.get("INTERVIEW_TRACK_CACHE") or Path(os.environ.get("XDG_CACHE_HOME")
                                                           or Path.home() / ".cache") / "interview-track"
    return ReferenceCache(Path(base) / "reference-figures")


def _digest(items: Mapping[str, bytes]) -> str:
    h = hashlib.sha256()
    for name in sorted(items):
        h.update(f"{name}\0{len(items[name])}\0".encode())
        h.update(items[name])
    return h.hexdigest()


def reference_cache_key(*, exercise_files: Mapping[str, bytes], coding: CodingConfig, sandbox_identity: str,
                        harness_dir: Path = HARNESS_DIR) -> tuple[str, dict[str, str]]:
    """(key, its parts): the lab's content, the harness, the sandbox. Any change to one is a different key."""
    res = coding.resources
    config = json.dumps({"entrypoint": coding.entrypoint, "benchmarks": coding.benchmarks,
                         "resources": [res.cpus, res.memory_mb, res.wall_seconds, res.gpu]},
                        sort_keys=True, default=str).encode()
    parts = {"content": _digest({**exercise_files, "\0config": config}), "harness": _digest(harness_files(harness_dir)),
             "sandbox": hashlib.sha256(sandbox_identity.encode()).hexdigest()}
    return hashlib.sha256("|".join(f"{k}={v}" for k, v in sorted(parts.items())).encode()).hexdigest(), parts


def _valid_figures(data: Any, kinds: list[str]) -> dict | None:
    """The reference-only job's figures, if well formed and clean (no call raised): else nothing is cached."""
    if not isinstance(data, dict) or data.get("harness_error") or not isinstance(data.get("figures"), dict):
        return None
    events = data.get("events") or {}
    if any(events.get(k) for k in ("timeouts", "memory", "crashes", "output_limit", "spawn_errors")):
        return None
    figures = data["figures"]
    for kind in kinds:
        fig = figures.get(kind)
        if not isinstance(fig, dict) or fig.get("errors"):
            return None
        hyps = fig.get("hypotheses")
        if not isinstance(hyps, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in hyps.items()):
            return None
    return {kind: {"hypotheses": figures[kind]["hypotheses"]} for kind in kinds}


def _reference_figures(*, backend: Backend, exercise_files: Mapping[str, bytes], coding: CodingConfig,
                       labels: Mapping[str, str], harness_dir: Path, cache: ReferenceCache | None,
                       info: dict) -> dict | None:
    """The reference's cacheable figures for this lab and sandbox: from the cache, else from a reference-only job
    (then stored). None when the lab has none, the backend cannot say what it runs, or the job failed: the grading
    then measures the reference itself, as it always did."""
    kinds = [k for k in CACHEABLE_KINDS if k in coding.benchmarks]
    identity = getattr(backend, "sandbox_identity", None)
    if not kinds or cache is None or identity is None:
        info["cache"] = "off"
        return None
    try:
        sandbox_id = identity(gpu=coding.resources.gpu)
    except Exception as exc:  # noqa: BLE001 - no identity, no cache; the grading itself goes on
        log.warning("no sandbox identity for the reference cache: %s", exc)
        sandbox_id = ""
    if not sandbox_id:
        info["cache"] = "off"
        return None
    key, parts = reference_cache_key(exercise_files=exercise_files, coding=coding, sandbox_identity=sandbox_id,
                                     harness_dir=harness_dir)
    info["key"] = key[:16]
    figures = cache.get(key)
    if figures is not None and all(k in figures for k in kinds):
        info["cache"] = "hit"
        return figures
    info["cache"] = "miss"
    t0 = time.monotonic()
    files = build_job(exercise_files=exercise_files, coding=coding, candidate_files={}, suite="hidden",
                      drop_privileges=backend.is_isolated, harness_dir=harness_dir, mode="reference-figures")
    job = Job(files=files, command=["python3", "-I", "{root}/harness/main.py", "{root}"],
              limits=sandbox_limits(coding), labels=dict(labels))
    outcome = backend.run(job)
    info["reference_job_s"] = round(time.monotonic() - t0, 3)
    data = None
    if outcome.termination == Termination.OK and len(outcome.stdout) <= CACHE_ENTRY_MAX_BYTES:
        lines = [ln for ln in outcome.stdout.decode("utf-8", "replace").splitlines() if ln.strip()]
        with contextlib.suppress(ValueError, IndexError):
            data = json.loads(lines[-1])
    figures = _valid_figures(data, kinds)
    if figures is None:
        info["cache"] = "miss: the reference-only job failed, the grading measures the reference itself"
        log.warning("reference-only job for the cache failed (%s): %s", outcome.termination,
                    outcome.stderr[-500:].decode("utf-8", "replace"))
        return None
    try:
        cache.put(key, figures, parts=parts)
    except OSError as exc:  # a read-only or full disk: the figures still serve this grading
        log.warning("could not write the reference cache in %s: %s", cache.folder, exc)
    return figures


_DEFAULT = object()


def grade(*, backend: Backend, exercise_files: Mapping[str, bytes], coding: CodingConfig,
          candidate_files: Mapping[str, bytes], suite: str, labels: Mapping[str, str] | None = None,
          harness_dir: Path = HARNESS_DIR, reference_cache: ReferenceCache | None | object = _DEFAULT) -> GradingResult:
    """Run the harness in the backend; always returns a result with a verdict and a score.

    A hidden run of a lab with a cacheable benchmark (WER) gets the reference's figures from `reference_cache`
    (default: default_reference_cache(); None turns it off), computed once per lab content and sandbox.
    """
    t0 = time.monotonic()
    cache = default_reference_cache() if reference_cache is _DEFAULT else reference_cache
    ref_info: dict = {}
    figures = None
    if suite == "hidden" and coding.benchmarks:
        figures = _reference_figures(backend=backend, exercise_files=exercise_files, coding=coding,
                                     labels=dict(labels or {}), harness_dir=harness_dir, cache=cache, info=ref_info)
    files = build_job(exercise_files=exercise_files, coding=coding, candidate_files=candidate_files, suite=suite,
                      drop_privileges=backend.is_isolated, harness_dir=harness_dir, reference_figures=figures)
    job = Job(files=files, command=["python3", "-I", "{root}/harness/main.py", "{root}"],
              limits=sandbox_limits(coding), labels=dict(labels or {}))
    outcome = backend.run(job)
    sandbox = {"backend": outcome.backend, "termination": str(outcome.termination), "exit_code": outcome.exit_code,
               "wall_seconds": outcome.wall_seconds, "cpu_seconds": outcome.cpu_seconds,
               "peak_memory_bytes": outcome.peak_memory_bytes, "detail": outcome.detail, "timings": outcome.timings,
               "stderr_tail": outcome.stderr[-2000:].decode("utf-8", "replace")}
    if ref_info:
        sandbox["reference_figures"] = ref_info
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

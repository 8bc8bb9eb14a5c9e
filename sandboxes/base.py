"""The sandbox interface: run a job (files, command, limits) and return its capped output and how it ended."""

from __future__ import annotations

import io
import tarfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol


class Termination(StrEnum):
    """How the job's process ended. Not a grading verdict: graders.result maps these onto its Verdict."""

    OK = "ok"  # ran to the end within its limits (whatever its exit status)
    TIMEOUT = "timeout"
    MEMORY = "memory"
    OUTPUT_LIMIT = "output-limit"
    KILLED = "killed"  # ended by a signal that was not one of the limits above
    SANDBOX_ERROR = "sandbox-error"


class SandboxUnavailable(Exception):
    """The backend itself could not run the job (engine down, image missing): retryable infrastructure."""


@dataclass(frozen=True)
class Limits:
    cpus: float = 1.0
    memory_mb: int = 1024
    wall_seconds: float = 60.0
    disk_mb: int = 256
    pids: int = 256
    nofile: int = 1024
    output_bytes: int = 2 * 1024 * 1024  # stdout kept; the rest ends the job (OUTPUT_LIMIT)
    stderr_bytes: int = 64 * 1024
    gpu: bool = False


@dataclass(frozen=True)
class Job:
    files: Mapping[str, bytes]
    command: Sequence[str]  # "{root}" is replaced by the folder the files were placed in
    limits: Limits = field(default_factory=Limits)
    labels: Mapping[str, str] = field(default_factory=dict)


@dataclass
class Result:
    termination: Termination
    exit_code: int | None
    stdout: bytes
    stderr: bytes
    wall_seconds: float
    backend: str
    stdout_truncated: bool = False
    cpu_seconds: float | None = None
    peak_memory_bytes: int | None = None
    detail: str = ""
    timings: dict[str, float] = field(default_factory=dict)


class Backend(Protocol):
    name: str
    is_isolated: bool

    def run(self, job: Job) -> Result: ...

    # Optional: what jobs run on (image id, Python and packages), for caches keyed by it
    # (graders.grading.ReferenceCache). A backend without it gets no cache.
    # def sandbox_identity(self, *, gpu: bool = False) -> str: ...


def tar_files(files: Mapping[str, bytes], *, mode_for=lambda path: 0o644) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        for path, data in sorted(files.items()):
            info = tarfile.TarInfo(path)
            info.size, info.mode, info.uid, info.gid = len(data), mode_for(path), 0, 0
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def substitute(command: Sequence[str], root: str) -> list[str]:
    return [part.replace("{root}", root) for part in command]

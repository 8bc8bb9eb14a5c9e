"""The local (development) backend: limits, output cap, exit status, and the worker's own Python."""

from __future__ import annotations

import sys

import pytest

from sandboxes.base import Job, Limits, Termination
from sandboxes.local_backend import LocalBackend


def test_python3_jobs_run_on_the_workers_interpreter(tmp_path, monkeypatch):
    # A different "python3" first on PATH, as when ./dev run starts the worker from an unactivated venv:
    # the job must still get the interpreter that has the project's packages (jiwer, pytest, torch).
    impostor = tmp_path / "bin" / "python3"
    impostor.parent.mkdir()
    impostor.write_text("#!/bin/sh\necho impostor\nexit 3\n")
    impostor.chmod(0o755)
    monkeypatch.setenv("PATH", f"{impostor.parent}:/usr/bin:/bin")
    job = Job(files={"probe.py": b"import sys, jiwer\nprint(sys.executable)\n"},
              command=["python3", "-I", "{root}/probe.py"], limits=Limits(wall_seconds=30))
    result = LocalBackend(isolate_network=False).run(job)
    assert (result.termination, result.exit_code) == ("ok", 0), result.stderr
    assert result.stdout.decode().strip() == sys.executable


def _run(code: str, **limits) -> object:
    job = Job(files={"job.py": code.encode()}, command=["python3", "-I", "{root}/job.py"],
              limits=Limits(**{"wall_seconds": 10, **limits}))
    return LocalBackend(isolate_network=False).run(job)


def test_exit_status_and_output_come_back():
    result = _run("import sys\nprint('out')\nprint('err', file=sys.stderr)\nsys.exit(3)\n")
    assert (result.termination, result.exit_code, result.stdout, result.stderr) == (
        Termination.OK, 3, b"out\n", b"err\n")
    assert result.backend == "local" and "not an isolation boundary" in result.detail


def test_the_wall_limit_stops_a_runaway_job():
    result = _run("while True:\n    pass\n", wall_seconds=1)
    assert result.termination == Termination.TIMEOUT and result.wall_seconds < 8


def test_output_past_the_cap_stops_the_job_and_keeps_the_cap():
    result = _run("import sys\nwhile True:\n    sys.stdout.write('x' * 65536)\n", output_bytes=100_000)
    assert result.termination == Termination.OUTPUT_LIMIT and result.stdout_truncated
    assert len(result.stdout) == 100_000


def test_a_job_file_cannot_escape_its_folder():
    with pytest.raises(ValueError, match="escapes"):
        LocalBackend(isolate_network=False).run(Job(files={"../outside.py": b""}, command=["true"]))

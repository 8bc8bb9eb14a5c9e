"""The local (development) backend runs jobs with the worker's own Python, whatever PATH says."""

from __future__ import annotations

import sys

from sandboxes.base import Job, Limits
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
    assert (result.verdict, result.exit_code) == ("ok", 0), result.stderr
    assert result.stdout.decode().strip() == sys.executable

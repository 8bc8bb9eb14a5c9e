"""Local process backend for development: rlimits, a private temp dir, a scrubbed environment.

NOT an isolation boundary: the job runs as the same user as the worker. Where the OS allows
(`unshare --net` as root, or with user namespaces), it also gets no network.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from .base import Job, Result, Termination, substitute


@functools.lru_cache(maxsize=1)
def _netns_prefix() -> tuple[str, ...]:
    unshare = shutil.which("unshare")
    if not unshare:
        return ()
    for prefix in ((unshare, "--net"), (unshare, "--user", "--map-root-user", "--net")):
        try:
            if subprocess.run([*prefix, "true"], capture_output=True, timeout=5).returncode == 0:
                return prefix
        except (OSError, subprocess.TimeoutExpired):
            continue
    return ()


# What the local backend's Python is: its version, prefix, site-packages folders and installed distributions.
_PYTHON_ENV = ("import sys, json, site, importlib.metadata as m; print(json.dumps({'version': sys.version, "
               "'prefix': sys.prefix, 'site': site.getsitepackages(), 'dists': sorted(f\"{d.metadata['Name']}=="
               "{d.version}\" for d in m.distributions())}))")


@functools.lru_cache(maxsize=8)
def _python_identity(python: str, stamp: tuple) -> tuple[str, tuple[str, ...]]:
    out = subprocess.run([python, "-I", "-c", _PYTHON_ENV], capture_output=True, timeout=120, check=True).stdout
    return hashlib.sha256(out).hexdigest(), tuple(json.loads(out)["site"])


def _mtimes(paths: tuple[str, ...]) -> tuple:
    out = []
    for path in paths:
        with contextlib.suppress(OSError):
            out.append(os.stat(path).st_mtime_ns)
    return tuple(out)


class LocalBackend:
    name = "local"
    is_isolated = False

    def __init__(self, *, isolate_network: bool = True, python: str | None = None):
        self.isolate_network = isolate_network
        # The interpreter for "python3" jobs: an environment with the labs' packages (./dev sandbox-env), else
        # the worker's own (what PATH calls python3 is another Python whenever the venv is not activated).
        self.python = python or sys.executable

    def sandbox_identity(self, *, gpu: bool = False) -> str:
        """The Python jobs run on, for caches of what it computes: a hash of its version and installed packages.
        Asked again (one subprocess) only when it or its site-packages folders change, as an install does."""
        python = os.path.abspath(self.python)  # not realpath: a venv's python is a link to the base one
        _, site = _python_identity(python, ())
        digest, _ = _python_identity(python, (os.stat(python).st_mtime_ns, _mtimes(site)))
        return f"local:{python}:{digest}"

    def run(self, job: Job) -> Result:
        root = Path(tempfile.mkdtemp(prefix="sandbox-"))
        try:
            os.chmod(root, 0o700)
            for rel, data in job.files.items():
                path = (root / rel).resolve()
                if root.resolve() not in path.parents:
                    raise ValueError(f"job file {rel!r} escapes the job folder")
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(data)
            return self._run(job, root)
        finally:
            shutil.rmtree(root, ignore_errors=True)

    def _run(self, job: Job, root: Path) -> Result:
        lim = job.limits

        def limits() -> None:
            resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
            resource.setrlimit(resource.RLIMIT_NOFILE, (lim.nofile, lim.nofile))
            fsize = lim.disk_mb * 1024 * 1024
            resource.setrlimit(resource.RLIMIT_FSIZE, (fsize, fsize))
            cpu = int(lim.wall_seconds * max(1.0, lim.cpus)) + 5
            resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 5))

        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(root), "LANG": "C.UTF-8",
               "PYTHONDONTWRITEBYTECODE": "1", "TMPDIR": str(root)}
        prefix = list(_netns_prefix()) if self.isolate_network else []
        command = substitute(job.command, str(root))
        if command and command[0] == "python3":
            command[0] = self.python  # pinned, as the Docker backend pins the image's
        argv = prefix + command
        started = time.monotonic()
        proc = subprocess.Popen(argv, cwd=root, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, preexec_fn=limits, process_group=0)
        spawned = time.monotonic()  # the local "sandbox start": fork and exec, reported as Docker reports its own
        state = {"timeout": False, "output": False}
        out, err = bytearray(), bytearray()

        def kill() -> None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)

        def drain(stream, buf: bytearray, cap: int, flag: str | None) -> None:
            while chunk := stream.read1(65536):
                room = cap - len(buf)
                buf += chunk[:max(room, 0)]
                if len(chunk) > room and flag:
                    state[flag] = True
                    kill()

        readers = [threading.Thread(target=drain, args=(proc.stdout, out, lim.output_bytes, "output"), daemon=True),
                   threading.Thread(target=drain, args=(proc.stderr, err, lim.stderr_bytes, None), daemon=True)]
        for t in readers:
            t.start()
        timer = threading.Timer(lim.wall_seconds, lambda: (state.__setitem__("timeout", True), kill()))
        timer.start()
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        finally:
            timer.cancel()
        proc.returncode = os.waitstatus_to_exitcode(status)
        kill()  # anything the job left running in its process group goes too
        for t in readers:
            t.join(timeout=5)
        wall = time.monotonic() - started
        if state["output"]:
            termination = Termination.OUTPUT_LIMIT
        elif state["timeout"]:
            termination = Termination.TIMEOUT
        elif proc.returncode in (-signal.SIGXCPU, -signal.SIGKILL):
            termination = Termination.KILLED
        else:
            termination = Termination.OK
        return Result(termination=termination, exit_code=proc.returncode, stdout=bytes(out), stderr=bytes(err),
                      wall_seconds=round(wall, 4), backend=self.name, stdout_truncated=state["output"],
                      cpu_seconds=round(usage.ru_utime + usage.ru_stime, 4),
                      peak_memory_bytes=usage.ru_maxrss * 1024,
                      detail="local process backend: not an isolation boundary",
                      timings={"start_s": round(spawned - started, 4), "run_s": round(wall - (spawned - started), 4)})

"""Harness side of the boundary: candidate processes, their limits, and the proxies tests import.

Tests never import candidate code. `from solution import f` resolves to a proxy whose calls are
sent, as plain data, to a separate candidate process; only its return values come back.
"""

from __future__ import annotations

import builtins
import contextlib
import os
import resource
import select
import signal
import subprocess
import sys
import threading
import time
import types
from dataclasses import dataclass, field
from pathlib import Path

import wire

OUTPUT_KEEP = 8 * 1024


class CandidateError(Exception):
    """Candidate code raised; `.type_name` and `.remote_traceback` say what and where."""

    def __init__(self, type_name: str, message: str, remote_traceback: str = ""):
        super().__init__(f"{type_name}: {message}")
        self.type_name = type_name
        self.remote_traceback = remote_traceback


class CandidateTimeout(CandidateError):
    pass


class CandidateCrashed(CandidateError):
    pass


class CandidateMemoryError(CandidateError):
    pass


class CandidateOutputLimit(CandidateError):
    pass


UnsupportedValue = wire.UnsupportedValue

_MIRRORED = ("ValueError", "TypeError", "KeyError", "IndexError", "RuntimeError", "NotImplementedError",
             "ZeroDivisionError", "AttributeError", "AssertionError", "ImportError", "ModuleNotFoundError",
             "SyntaxError", "NameError", "RecursionError", "OverflowError", "StopIteration", "LookupError",
             "ArithmeticError", "OSError")
_ERROR_CLASSES = {name: type(name, (CandidateError, getattr(builtins, name)), {}) for name in _MIRRORED}


def _error_for(type_name: str, message: str, tb: str) -> CandidateError:
    cls = _ERROR_CLASSES.get(type_name, CandidateError)
    err = cls.__new__(cls)
    CandidateError.__init__(err, type_name, message, tb)
    return err


@dataclass
class Events:
    """What went wrong across the run; the verdict is derived from these."""

    timeouts: int = 0
    memory: int = 0
    gpu_memory: int = 0
    output_limit: int = 0
    crashes: int = 0
    calls: int = 0
    spawn_errors: int = 0  # the harness could not start a candidate process: infrastructure, not the candidate
    notes: list[str] = field(default_factory=list)


@dataclass
class ProcessLimits:
    """Per-process rlimits for a candidate or reference process, inside the sandbox's own limits
    (sandboxes.base.Limits, enforced on the whole container). Derived from private/job.json."""

    memory_bytes: int | None  # None: no RLIMIT_DATA (CUDA reserves vast virtual ranges); cgroup only
    nproc: int = 64
    nofile: int = 256
    fsize_bytes: int = 64 * 1024 * 1024
    output_cap: int = 1024 * 1024


def _cgroup_oom_kills() -> int:
    try:
        for line in Path("/sys/fs/cgroup/memory.events").read_text().splitlines():
            key, _, value = line.partition(" ")
            if key == "oom_kill":
                return int(value)
    except OSError:
        pass
    return 0


def _processes() -> list[tuple[int, int, int, int]]:
    """(pid, real uid, parent pid, process group) of every process in this pid namespace."""
    out = []
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            status = Path(f"/proc/{entry.name}/status").read_text()
            stat = Path(f"/proc/{entry.name}/stat").read_text()
        except OSError:
            continue  # gone meanwhile
        uid = next((int(line.split()[1]) for line in status.splitlines() if line.startswith("Uid:")), -1)
        fields = stat.rsplit(")", 1)[1].split()
        out.append((int(entry.name), uid, int(fields[1]), int(fields[2])))
    return out


def _state(pid: int) -> str | None:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return None


def _cpu_ticks(pid: int) -> int:
    """utime + stime of one process, in clock ticks (0 once it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return 0
    return int(fields[11]) + int(fields[12])


CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


class CandidateProcess:
    """One process running candidate_runner.py under limits; restarted after a crash."""

    def __init__(self, *, label: str, harness_dir: Path, workdir: Path, libdir: Path, files: dict[str, bytes],
                 modules: list[str], uid: int | None, limits: ProcessLimits, env: dict[str, str], events: Events,
                 deadline: float):
        self.label, self.harness_dir, self.workdir, self.libdir = label, harness_dir, workdir, libdir
        self.files, self.modules, self.uid, self.limits, self.env = files, modules, uid, limits, env
        self.events, self.deadline = events, deadline
        self.proc: subprocess.Popen | None = None
        self.output = bytearray()
        self.output_total = 0
        self._lock = threading.Lock()
        self.dead_reason: str | None = None  # set after a timeout/memory/output event: fail fast
        self.first_error: dict | None = None  # the first exception the candidate's code raised, for the page

    # -- lifecycle -------------------------------------------------------------------------
    def _preexec(self) -> None:
        # Runs in the child after the uid switch (subprocess applies user/group first).
        with contextlib.suppress(OSError):  # the OOM killer takes this process, not the harness
            Path("/proc/self/oom_score_adj").write_text("1000")
        lim = self.limits
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        resource.setrlimit(resource.RLIMIT_NOFILE, (lim.nofile, lim.nofile))
        resource.setrlimit(resource.RLIMIT_FSIZE, (lim.fsize_bytes, lim.fsize_bytes))
        if lim.memory_bytes:
            resource.setrlimit(resource.RLIMIT_DATA, (lim.memory_bytes, lim.memory_bytes))
        if self.uid is not None:  # per-user process count: only meaningful for a dedicated uid
            resource.setrlimit(resource.RLIMIT_NPROC, (lim.nproc, lim.nproc))

    def start(self) -> None:
        req_r, req_w = os.pipe()
        resp_r, resp_w = os.pipe()
        out_r, out_w = os.pipe()
        kwargs = {}
        if self.uid is not None:
            kwargs = {"user": self.uid, "group": self.uid, "extra_groups": []}
        try:
            self.proc = self._popen(req_r, resp_w, out_w, kwargs)
        except OSError as exc:
            for fd in (req_r, req_w, resp_r, resp_w, out_r, out_w):
                with contextlib.suppress(OSError):
                    os.close(fd)
            self.events.spawn_errors += 1
            self.events.notes.append(f"could not start the {self.label} process: {exc}")
            raise CandidateError("SandboxError", f"could not start the {self.label} process: {exc}") from None
        for fd in (req_r, resp_w, out_w):
            os.close(fd)
        self.req_w, self.resp_r, self.out_r = req_w, resp_r, out_r
        os.set_blocking(self.req_w, False)
        self._oom_before = _cgroup_oom_kills()
        threading.Thread(target=self._drain, args=(out_r,), daemon=True).start()
        self._roundtrip({"files": wire.encode(self.files), "modules": self.modules}, raw=True)

    def _popen(self, req_r: int, resp_w: int, out_w: int, kwargs: dict) -> subprocess.Popen:
        return subprocess.Popen(
            [sys.executable, "-I", str(self.harness_dir / "candidate_runner.py"), str(req_r), str(resp_w),
             str(self.workdir), str(self.libdir)],
            pass_fds=(req_r, resp_w), stdin=subprocess.DEVNULL, stdout=out_w, stderr=out_w, cwd=self.workdir,
            env=self.env, process_group=0, preexec_fn=self._preexec, close_fds=True, **kwargs,
        )

    def _drain(self, fd: int) -> None:
        while True:
            try:
                chunk = os.read(fd, 65536)
            except OSError:
                return
            if not chunk:
                return
            with self._lock:
                self.output_total += len(chunk)
                room = OUTPUT_KEEP - len(self.output)
                if room > 0:
                    self.output += chunk[:room]
                if self.output_total > self.limits.output_cap and self.dead_reason is None:
                    self.dead_reason = "output-limit"
                    self.events.output_limit += 1
                    self.kill()

    def kill(self) -> None:
        proc = self.proc
        if proc is None:
            return
        if self.uid is not None and os.getuid() == 0:
            # Signal every process of the candidate's uid, including any it detached with setsid.
            pid = os.fork()
            if pid == 0:
                try:
                    os.setgid(self.uid)
                    os.setuid(self.uid)
                    os.kill(-1, signal.SIGKILL)
                finally:
                    os._exit(0)
            os.waitpid(pid, 0)
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=10)

    # -- freezing: nothing of the candidate runs while something else is timed ---------------------
    def members(self) -> list[int]:
        """Every live process of the candidate: all of its uid when it has its own (setsid cannot escape
        that), else its process group and every descendant of its process (development, same uid)."""
        if self.proc is None:
            return []
        if self.uid is not None and os.getuid() == 0:
            return [pid for pid, uid, _, _ in _processes() if uid == self.uid]
        procs = {pid: (ppid, pgid) for pid, _, ppid, pgid in _processes()}
        out = []
        for pid in procs:
            node, seen = pid, set()
            while node and node not in seen:
                if node == self.proc.pid or procs.get(node, (0, 0))[1] == self.proc.pid:
                    out.append(pid)
                    break
                seen.add(node)
                node = procs.get(node, (0, 0))[0]
        return out

    def _signal(self, sig: int, pids: list[int]) -> None:
        if self.uid is not None and os.getuid() == 0:
            # The harness holds no CAP_KILL: a helper that becomes the candidate's uid sends the signal.
            helper = os.fork()
            if helper == 0:
                try:
                    os.setgid(self.uid)
                    os.setuid(self.uid)
                    for pid in pids:
                        with contextlib.suppress(OSError):
                            os.kill(pid, sig)
                finally:
                    os._exit(0)
            os.waitpid(helper, 0)
            return
        for pid in pids:
            with contextlib.suppress(OSError):
                os.kill(pid, sig)

    def freeze(self) -> bool:
        """SIGSTOP every process of the candidate, checked from the harness's side (a process forked meanwhile,
        or one that fought the helper, is caught on the next pass). False if some would not stop."""
        for _ in range(5):
            running = [pid for pid in self.members() if _state(pid) not in (None, "T", "t", "Z", "X")]
            if not running:
                return True
            self._signal(signal.SIGSTOP, running)
            time.sleep(0.001)
        return not [pid for pid in self.members() if _state(pid) not in (None, "T", "t", "Z", "X")]

    def thaw(self) -> None:
        self._signal(signal.SIGCONT, self.members())

    def cpu_ticks(self, *, others: bool = False) -> int:
        """CPU time (clock ticks) of the candidate's server process, or with `others` of every other process."""
        if self.proc is None:
            return 0
        if not others:
            return _cpu_ticks(self.proc.pid)
        return sum(_cpu_ticks(pid) for pid in self.members() if pid != self.proc.pid)

    def close(self) -> None:
        self.kill()
        for name in ("req_w", "resp_r", "out_r"):
            fd = getattr(self, name, None)
            if fd is not None:
                with contextlib.suppress(OSError):
                    os.close(fd)
                setattr(self, name, None)
        self.proc = None

    # -- calls -----------------------------------------------------------------------------
    def _remaining(self, timeout: float | None) -> float:
        left = self.deadline - time.monotonic()
        return max(0.0, min(left, timeout) if timeout else left)

    def _send(self, message, until: float) -> None:
        data = wire.dumps(message)
        view = memoryview(len(data).to_bytes(8, "big") + data)
        while view:
            left = until - time.monotonic()
            if left <= 0 or not select.select([], [self.req_w], [], left)[1]:
                raise TimeoutError
            try:
                view = view[os.write(self.req_w, view):]
            except BlockingIOError:
                continue
            except BrokenPipeError:
                raise EOFError("candidate process closed its input") from None

    def _recv(self, until: float):
        header = self._read(8, until)
        size = int.from_bytes(header, "big")
        if size > wire.MAX_FRAME:
            raise wire.WireError("reply too large")
        import json

        try:
            return json.loads(self._read(size, until))
        except ValueError as exc:
            raise wire.WireError("reply is not JSON") from exc

    def _read(self, n: int, until: float) -> bytes:
        chunks, remaining = [], n
        while remaining:
            left = until - time.monotonic()
            if left <= 0 or not select.select([self.resp_r], [], [], left)[0]:
                raise TimeoutError
            chunk = os.read(self.resp_r, min(remaining, 1 << 20))
            if not chunk:
                raise EOFError("candidate process closed its output")
            chunks.append(chunk)
            remaining -= len(chunk)
        return b"".join(chunks)

    def _roundtrip(self, message, *, timeout: float | None = None, raw: bool = False):
        until = time.monotonic() + self._remaining(timeout)
        try:
            self._send(message, until)
            reply = self._recv(until)
        except TimeoutError:
            self.events.timeouts += 1
            self.dead_reason = self.dead_reason or "timeout"
            self.kill()
            raise CandidateTimeout("Timeout", f"{self.label} code ran past its time limit") from None
        except (EOFError, wire.WireError, OSError) as exc:
            return self._died(exc)
        if not isinstance(reply, dict) or "ok" not in reply:
            return self._died(wire.WireError("malformed reply"))
        if reply["ok"]:
            try:
                return None if raw else wire.decode(reply.get("value"))
            except (wire.WireError, ValueError, TypeError) as exc:
                raise CandidateError("BadReturnValue", str(exc)) from None
        err = reply.get("error") or {}
        type_name, message = str(err.get("type", "Error")), str(err.get("message", ""))
        if self.first_error is None:
            self.first_error = _first_error(type_name, message, err.get("where"))
        if type_name in ("MemoryError", "OutOfMemoryError"):
            # OutOfMemoryError is torch.cuda's: GPU memory, reported apart from host memory and timeouts.
            gpu = type_name == "OutOfMemoryError"
            self.events.memory += 1
            self.events.gpu_memory += gpu
            self.dead_reason = self.dead_reason or "memory"
            self.kill()
            raise CandidateMemoryError(type_name, ("GPU out of memory: " if gpu else "") + (message or "out of memory"))
        raise _error_for(type_name, message, str(err.get("traceback", "")))

    def _died(self, exc: Exception):
        proc = self.proc
        code = None
        if proc is not None:
            try:
                code = proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.kill()
                code = proc.poll()
        time.sleep(0.05)  # let the drain thread see output-limit kills first
        if self.dead_reason == "output-limit":
            self.close()
            raise CandidateOutputLimit("OutputLimit", "candidate printed more than the output limit")
        if code == -signal.SIGKILL and _cgroup_oom_kills() > self._oom_before:
            self.events.memory += 1
            self.dead_reason = "memory"
            self.close()
            raise CandidateMemoryError("MemoryError", "killed by the out-of-memory killer")
        self.events.crashes += 1
        self.close()
        raise CandidateCrashed("Crashed", f"{self.label} process ended unexpectedly (exit {code}): {exc}")

    def ensure(self) -> None:
        if self.dead_reason:
            err = {"timeout": CandidateTimeout, "memory": CandidateMemoryError,
                   "output-limit": CandidateOutputLimit}[self.dead_reason]
            raise err(self.dead_reason, f"{self.label} process was stopped earlier ({self.dead_reason})")
        if self.proc is None or self.proc.poll() is not None:
            if self.proc is not None:
                self.close()
            self.start()

    def call(self, module: str, name: str, args: tuple, kwargs: dict, *, timeout: float | None = None):
        self.ensure()
        self.events.calls += 1
        return self._roundtrip({"op": "call", "module": module, "name": name, "args": wire.encode(list(args)),
                                "kwargs": wire.encode(dict(kwargs))}, timeout=timeout)

    def stage(self, key: str, args: tuple, kwargs: dict) -> None:
        self.ensure()
        self._roundtrip({"op": "stage", "key": key, "value": wire.encode((list(args), dict(kwargs)))})

    def call_staged(self, module: str, name: str, key: str, *, timeout: float | None = None, discard: bool = False):
        """Call with inputs staged earlier; `discard` leaves the value in the process (a timed call)."""
        self.ensure()
        self.events.calls += 1
        message = {"op": "call", "module": module, "name": name, "ref": key}
        if discard:
            message["discard"] = True
        return self._roundtrip(message, timeout=timeout)

    def output_text(self) -> str:
        with self._lock:
            return self.output.decode("utf-8", "replace")


def _first_error(type_name: str, message: str, where: object) -> dict:
    """What the candidate's page shows as "the first error": its type, message and line in their file. Sent by the
    candidate's process, so only shaped here (it is display, never part of the verdict)."""
    out: dict = {"type": type_name[:100], "message": message[:1000]}
    if isinstance(where, dict) and isinstance(where.get("file"), str) and isinstance(where.get("line"), int):
        out["file"], out["line"] = where["file"][:200], where["line"]
    return out


class _RemoteFunction:
    def __init__(self, process: CandidateProcess, module: str, name: str, timeout: float | None):
        self._process, self._module, self.__name__ = process, module, name
        self._timeout = timeout

    def __call__(self, *args, **kwargs):
        return self._process.call(self._module, self.__name__, args, kwargs, timeout=self._timeout)

    def __repr__(self) -> str:
        return f"<candidate function {self._module}.{self.__name__}>"


def install_proxy(process: CandidateProcess, module: str, *, timeout: float | None = None) -> types.ModuleType:
    """Make `import <module>` in tests return a proxy whose attributes call into `process`."""
    proxy = types.ModuleType(module, f"Proxy for the candidate's {module} (runs in another process)")

    def __getattr__(name: str):
        if name.startswith("__"):
            raise AttributeError(name)
        return _RemoteFunction(process, module, name, timeout)

    proxy.__getattr__ = __getattr__  # type: ignore[method-assign]
    sys.modules[module] = proxy
    return proxy

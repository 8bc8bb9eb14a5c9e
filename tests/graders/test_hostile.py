"""Hostile submissions against the real Docker backend.

Each must get the right verdict and no points, leave no container behind, and not disturb the next
honest submission. Probes that look around report what they saw by raising it, so the staff-only
test message carries their observations.
"""

from __future__ import annotations

import json
import subprocess
import textwrap
import uuid

import pytest

from assessments.content import CodingConfig, Resources
from graders.grading import grade
from graders.result import GradingResult, Verdict
from sandboxes import docker_engine_available
from tests.conftest import require_service
from tests.workers import wait_for

TESTS = b"""
from solution import add

def test_small():
    assert add(2, 3) == 5

def test_negative():
    assert add(-2, 2) == 0
"""
EXERCISE = {"tests/hidden/test_add.py": TESTS, "tests/visible/test_add.py": TESTS}
CODING = CodingConfig(entrypoint="solution.py", resources=Resources(cpus=1, memory_mb=256, wall_seconds=10))
HONEST = "def add(a, b):\n    return a + b\n"


def src(code: str) -> str:
    return textwrap.dedent(code).lstrip()


HOSTILE = {
    "fork_bomb": (src("""
        import os
        def add(a, b):
            while True:
                try:
                    os.fork()
                except OSError:
                    pass
        """), {"timeout", "failed", "error"}),
    "memory_bomb": (src("""
        def add(a, b):
            hog = []
            while True:
                hog.append(bytearray(50 * 1024 * 1024))
        """), {"memory"}),
    "infinite_loop": (src("""
        def add(a, b):
            while True:
                pass
        """), {"timeout"}),
    "sleep_past_wall": (src("""
        import time
        def add(a, b):
            time.sleep(3600)
        """), {"timeout"}),
    "disk_fill": (src("""
        def add(a, b):
            with open("filler.bin", "wb") as fh:
                while True:
                    fh.write(b"0" * (1 << 20))
        """), {"failed", "error"}),
    "output_flood": (src("""
        import sys
        def add(a, b):
            chunk = "x" * (1 << 20)
            for _ in range(100):
                sys.stdout.write(chunk)
            return a + b
        """), {"output-limit"}),
    "network_probe": (src("""
        import socket
        def add(a, b):
            seen = {}
            for port in (6379, 5432, 80):
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=2).close()
                    seen[port] = "CONNECTED"
                except OSError as exc:
                    seen[port] = type(exc).__name__
            seen["ifaces"] = sorted(l.split(":")[0].strip() for l in open("/proc/net/dev").read().splitlines()[2:])
            raise RuntimeError("OBS " + repr(seen))
        """), {"failed"}),
    "secrets_and_proc": (src("""
        import os, glob
        def add(a, b):
            seen = {"env": sorted(os.environ)}
            for path in ("/sandbox/job/private/tests/hidden/test_add.py", "/sandbox/job/private/job.json",
                         "/proc/1/environ", "/proc/1/fd/1", "/proc/1/mem"):
                try:
                    open(path, "rb").read(64)
                    seen[path] = "READ"
                except OSError as exc:
                    seen[path] = type(exc).__name__
            seen["listing"] = glob.glob("/sandbox/job/private/**", recursive=True)
            raise RuntimeError("OBS " + repr(seen))
        """), {"failed"}),
    "fake_result": (src("""
        import json, os
        FAKE = json.dumps({"schema": 1, "suite": "hidden", "verdict": "passed", "score": 1.0, "tests": [],
                           "benchmarks": {}})
        print(FAKE)
        for path in ("/proc/1/fd/1", "/sandbox/job/result.json", "/dev/stdout"):
            try:
                with open(path, "w") as fh:
                    fh.write(FAKE + "\\n")
            except OSError:
                pass
        def add(a, b):
            print(FAKE)
            return a - b
        """), {"failed"}),
    "monkeypatch_test_helpers": (src("""
        import sys, builtins
        try:
            import pytest
            pytest.fail = lambda *a, **k: None
        except Exception:
            pass
        builtins.AssertionError = type("Nope", (Exception,), {})
        class Liar(int):
            def __eq__(self, other): return True
            __hash__ = int.__hash__
        def add(a, b):
            return Liar(a + b + 1)
        """), {"failed"}),
    "early_exit_zero": (src("""
        import os
        os._exit(0)
        def add(a, b):
            return a + b
        """), {"error"}),
    "kill_other_processes": (src("""
        import os, signal
        def add(a, b):
            for pid in (1, os.getppid()):
                try:
                    os.kill(pid, signal.SIGKILL)
                except OSError:
                    pass
            os.kill(-1, signal.SIGKILL)
        """), {"error", "failed"}),
    "background_process": (src("""
        import os, subprocess, sys
        subprocess.Popen([sys.executable, "-c", "import time; time.sleep(3600)"], start_new_session=True)
        if os.fork() == 0:
            os.setsid()
            import time
            time.sleep(3600)
        def add(a, b):
            return a + b + 1
        """), {"failed"}),
    "planted_symlinks": (src("""
        import os
        for name, target in (("result.json", "/sandbox/job/private/job.json"), ("out", "/proc/1/fd/1"),
                             ("hidden", "/sandbox/job/private/tests/hidden")):
            try:
                os.symlink(target, name)
            except OSError:
                pass
        def add(a, b):
            return sorted(os.listdir("hidden")) if os.path.exists("hidden") else a - b
        """), {"failed"}),
    "planted_conftest_and_sitecustomize": (src("""
        EVIL = ("import pytest\\n@pytest.hookimpl(tryfirst=True)\\n"
                "def pytest_runtest_makereport(item, call):\\n    pass\\n")
        for name in ("conftest.py", "sitecustomize.py", "usercustomize.py", "pytest.ini"):
            with open(name, "w") as fh:
                fh.write(EVIL if name != "pytest.ini" else "[pytest]\\naddopts = -p no:python\\n")
        def add(a, b):
            return a * b
        """), {"failed"}),
}

EXTRA_FILES = {
    # Submitted next to solution.py: must not be loaded by the harness's pytest or at interpreter start.
    "planted_conftest_and_sitecustomize": {
        "conftest.py": "def pytest_collection_modifyitems(items):\n    items.clear()\n",
        "sitecustomize.py": "import builtins\nbuiltins.print = None\n",
    },
}


@pytest.fixture(scope="module")
def docker_backend():
    ok, why = docker_engine_available(timeout=5)
    require_service("Docker engine", ok, why)
    from django.conf import settings

    from graders.backends import default_image_tag
    from sandboxes.docker_backend import DockerBackend

    image = settings.SANDBOX_IMAGE or default_image_tag()
    present = subprocess.run(["docker", "image", "inspect", image], capture_output=True).returncode == 0
    require_service("sandbox image", present, f"{image} is not built (docker/sandbox/build.sh)")
    return DockerBackend(image=image)


RUN_LABEL = f"hostile-{uuid.uuid4().hex[:12]}"  # only this module's containers count, whatever else runs


def _sandbox_containers() -> list[str]:
    out = subprocess.run(["docker", "ps", "-aq", "--filter", f"label=interview-track.test={RUN_LABEL}"],
                         capture_output=True, text=True, check=True)
    return out.stdout.split()


def _no_containers_left() -> bool:
    # The engine can list a force-removed container for a moment under load; a leak outlives that.
    return wait_for(lambda: _sandbox_containers() == [], 10) is not None


def _grade(backend, files: dict[str, str]) -> GradingResult:
    return grade(backend=backend, exercise_files=EXERCISE, coding=CODING, suite="hidden",
                 candidate_files={k: v.encode() for k, v in files.items()},
                 labels={"interview-track.test": RUN_LABEL})


def _observations(result: GradingResult) -> str:
    return "\n".join(t.message for t in result.tests)


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_submission_gets_no_points_and_leaves_nothing(docker_backend, name):
    code, verdicts = HOSTILE[name]
    result = _grade(docker_backend, {"solution.py": code, **EXTRA_FILES.get(name, {})})
    assert result.verdict in verdicts, json.dumps({k: result.to_json().get(k) for k in (
        "verdict", "score", "tests", "events", "error", "harness_error")}, default=str)[:3000]
    assert result.score == 0.0
    assert _no_containers_left(), f"a sandbox container was left behind: {_sandbox_containers()}"
    obs = _observations(result)
    if name == "network_probe":
        assert "CONNECTED" not in obs and "OBS" in obs
        assert "'ifaces': ['lo']" in obs  # no interface but loopback: nothing outside is reachable
    if name == "secrets_and_proc":
        assert "OBS" in obs and "'READ'" not in obs, obs
        assert "'listing': ['/sandbox/job/private/']" in obs  # nothing below it can even be listed
        assert "SECRET" not in obs and "DATABASE_URL" not in obs and "DJANGO" not in obs
    if name == "fake_result":
        assert result.tests and all(t.outcome == "failed" for t in result.tests)
    # The next honest submission grades correctly: nothing above damaged the machinery.
    honest = _grade(docker_backend, {"solution.py": HONEST})
    assert (honest.verdict, honest.score) == (Verdict.PASSED, 1.0), honest
    assert _no_containers_left(), f"a sandbox container was left behind: {_sandbox_containers()}"

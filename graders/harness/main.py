"""The grading harness. Plain Python: copied into the sandbox and run there as root.

    python3 -I main.py ROOT

ROOT holds harness/ (this code) and private/ (job.json, tests/, reference/, bench/, candidate/).
The harness creates lib/, work/ and refwork/, runs the suite with pytest in this process (tests
call candidate code through proxies), runs the benchmarks, and prints one JSON result on stdout.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import sys
import time
import traceback
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import contract as c  # noqa: E402
import harness_api  # noqa: E402
from harness_api import CandidateProcess, Events, ProcessLimits  # noqa: E402

CANDIDATE_UID = 65534
REFERENCE_UID = 65533


class Collector:
    """pytest plugin: one record per test, failures in setup or teardown included."""

    def __init__(self) -> None:
        self.tests: dict[str, dict] = {}

    def pytest_runtest_logreport(self, report) -> None:
        name = report.nodeid.split("::", 1)[-1]
        entry = self.tests.setdefault(name, {"name": name, "outcome": c.TEST_PASSED, "message": ""})
        if report.failed:
            entry["outcome"] = c.TEST_FAILED if report.when == "call" else c.TEST_ERROR
            entry["message"] = str(report.longreprtext)[-2000:]
        elif report.skipped and report.when in ("setup", "call"):
            entry["outcome"] = c.TEST_SKIPPED

    def pytest_collectreport(self, report) -> None:
        if report.failed:
            name = f"collect:{report.nodeid}"
            self.tests[name] = {"name": name, "outcome": c.TEST_ERROR, "message": str(report.longreprtext)[-2000:]}


def _read_files(folder: Path) -> dict[str, bytes]:
    if not folder.is_dir():
        return {}
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file() and not p.is_symlink()}


def _env(cpus: float, home: Path) -> dict[str, str]:
    threads = str(max(1, int(cpus)))
    return {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": str(home), "LANG": "C.UTF-8",
            "PYTHONDONTWRITEBYTECODE": "1", "PYTHONHASHSEED": "0", "OMP_NUM_THREADS": threads,
            "MKL_NUM_THREADS": threads, "OPENBLAS_NUM_THREADS": threads}


def run(root: Path) -> dict:
    started = time.monotonic()
    private = root / "private"
    job = json.loads((private / "job.json").read_text())
    suite = job["suite"]
    entry_module = job["entrypoint"].removesuffix(".py")
    drop = bool(job.get("drop_privileges")) and os.getuid() == 0
    deadline = started + float(job["wall_seconds"]) * 0.92
    limits = ProcessLimits(memory_bytes=None if job.get("gpu") else int(job["memory_mb"]) * 1024 * 1024,
                    output_cap=int(job.get("output_cap", 1024 * 1024)))
    events = Events()

    lib, work, refwork = root / "lib", root / "work", root / "refwork"
    for folder, mode in ((lib, 0o755), (work, 0o1777), (refwork, 0o1733)):
        folder.mkdir(exist_ok=True)
        os.chmod(folder, mode)
    os.chmod(private, 0o700)
    # Drivers run in the candidate process, so candidate code can read them: tests/driver.py (module `driver`)
    # goes to both suites, tests/hidden/driver.py (module `hidden_driver`) to hidden runs only.
    modules = [entry_module]
    drivers = {"driver": private / "tests" / "driver.py"}
    if suite == "hidden":
        drivers["hidden_driver"] = private / "tests" / "hidden" / "driver.py"
    for module, path in drivers.items():
        if path.is_file():
            shutil.copyfile(path, lib / f"{module}.py")
            os.chmod(lib / f"{module}.py", 0o644)
            modules.append(module)

    per_call = max(5.0, float(job["wall_seconds"]) * 0.5)
    candidate = CandidateProcess(
        label="candidate", harness_dir=HERE, workdir=work, libdir=lib, files=_read_files(private / "candidate"),
        modules=modules, uid=CANDIDATE_UID if drop else None, limits=limits, env=_env(job["cpus"], work),
        events=events, deadline=deadline,
    )
    processes = [candidate]
    for module in modules:
        harness_api.install_proxy(candidate, module, timeout=per_call)

    result: dict = {"schema": c.SCHEMA, "suite": suite, "tests": [], "benchmarks": {}}
    timings: dict[str, float] = {}
    try:
        import pytest

        collector = Collector()
        tests_dir = private / "tests"
        ini = private / "pytest.ini"
        ini.write_text("[pytest]\n")
        t0 = time.monotonic()
        pytest.main([str(tests_dir / suite), "-q", "-p", "no:cacheprovider", "-p", "no:randomly",
                     "--rootdir", str(tests_dir), "-c", str(ini), "--confcutdir", str(tests_dir),
                     "-o", "console_output_style=classic", "--tb=short", "-W", "ignore::DeprecationWarning"],
                    plugins=[collector])
        timings["tests_s"] = round(time.monotonic() - t0, 3)
        result["tests"] = list(collector.tests.values())

        benches = job.get("benchmarks") or {}
        if benches and suite == "hidden":
            import benchmarks

            reference = CandidateProcess(
                label="reference", harness_dir=HERE, workdir=refwork, libdir=lib,
                files=_read_files(private / "reference"), modules=modules,
                uid=REFERENCE_UID if drop else None, limits=limits, env=_env(job["cpus"], refwork),
                events=Events(), deadline=deadline,
            )
            processes.append(reference)
            t0 = time.monotonic()
            result["benchmarks"] = benchmarks.run_all(benches, candidate=candidate, reference=reference,
                                                      module=entry_module, private=private)
            timings["benchmarks_s"] = round(time.monotonic() - t0, 3)
    except Exception:  # the harness itself broke: never a pass
        result["harness_error"] = traceback.format_exc()[-4000:]
    finally:
        for proc in processes:
            proc.close()

    result["candidate_output"] = candidate.output_text()
    if candidate.first_error:
        result["first_error"] = candidate.first_error
    result["events"] = {"timeouts": events.timeouts, "memory": events.memory, "gpu_memory": events.gpu_memory,
                        "output_limit": events.output_limit, "crashes": events.crashes, "calls": events.calls,
                        "spawn_errors": events.spawn_errors}
    if events.notes:
        result["notes"] = events.notes[:10]
    result["environment"] = _environment(bool(job.get("gpu")))
    timings["total_s"] = round(time.monotonic() - started, 3)
    result["timings"] = timings
    result["verdict"], result["score"] = verdict_and_score(result, job.get("scoring") or {c.HIDDEN_TESTS: 1.0},
                                                           core=job.get("core"), gates=job.get("gates"))
    return result


def _environment(gpu: bool) -> dict:
    """What the run had: the GPU's name when one was asked for, and the cgroup's memory peak."""
    env: dict = {"python": sys.version.split()[0]}
    with contextlib.suppress(OSError, ValueError):
        env["memory_peak_bytes"] = int(Path("/sys/fs/cgroup/memory.peak").read_text())
    if gpu and "torch" in sys.modules:
        torch = sys.modules["torch"]
        env["cuda_available"] = bool(torch.cuda.is_available())
        if env["cuda_available"]:
            env["gpu_name"] = torch.cuda.get_device_name(0)
    return env


def verdict_and_score(result: dict, scoring: dict, *, core: dict | None = None,
                      gates: dict | None = None) -> tuple[str, float]:
    """The run's verdict and score from its tests, benchmarks and events (docs/grading.md, "Verdicts and score").

    Score: the weighted mean of the score parts that `scoring` weights: the share of tests passed
    (`hidden_tests`) and each benchmark's own score; then capped at `core["cap"]` when a core test failed (the
    lab's point was missed, whatever details passed) and at a gate's cap when that benchmark failed. The core
    tests that failed are recorded as result["core_failed"] for interviewers. Visible runs report test
    progress only.
    """
    ev = result["events"]
    result["core_failed"] = []
    tests = [t for t in result["tests"] if t["outcome"] != c.TEST_SKIPPED]
    if result.get("harness_error") or ev.get("spawn_errors"):
        return c.SANDBOX_ERROR, 0.0
    for key, verdict in (("output_limit", c.OUTPUT_LIMIT), ("memory", c.MEMORY), ("timeouts", c.TIMEOUT)):
        if ev[key]:
            return verdict, 0.0  # hostile or runaway code earns nothing, whatever else passed
    if not tests:
        return c.ERROR, 0.0
    if any(t["name"].startswith("collect:") for t in tests):
        return c.SANDBOX_ERROR, 0.0  # the exercise's own tests failed to import
    passed = sum(t["outcome"] == c.TEST_PASSED for t in tests)
    parts = {c.HIDDEN_TESTS: passed / len(tests)}
    for name, bench in result["benchmarks"].items():
        parts[name] = float(bench.get("score", 0.0))
    weights = {k: float(v) for k, v in scoring.items() if k in parts or k == c.HIDDEN_TESTS}
    hidden = result["suite"] == "hidden"
    if not hidden:
        weights = {c.HIDDEN_TESTS: 1.0}  # visible runs report test progress only
    total = sum(weights.values()) or 1.0
    score = sum(weights[k] * parts.get(k, 0.0) for k in weights) / total
    if hidden and core and core.get("tests"):
        # By the names question.yaml declares: a parametrized test's failing cases count once, as their test.
        names = set(core["tests"])
        failed = [t["name"] if t["name"] in names else t["name"].split("[", 1)[0] for t in tests
                  if t["outcome"] != c.TEST_PASSED]
        result["core_failed"] = [n for n in dict.fromkeys(failed) if n in names]
        if result["core_failed"]:
            score = min(score, float(core.get("cap", 0.3)))
    if hidden:
        for kind, cap in (gates or {}).items():
            if kind in result["benchmarks"] and not result["benchmarks"][kind].get("passed"):
                score = min(score, float(cap))
    all_passed = passed == len(tests) and all(b.get("passed") for b in result["benchmarks"].values())
    if ev["crashes"] and passed == 0:
        return c.ERROR, round(score, 4)
    return (c.PASSED if all_passed else c.FAILED), round(score, 4)


def main() -> int:
    root = Path(sys.argv[1]).resolve()
    # Keep stdout for the one JSON line; anything printed while testing goes to stderr.
    out = os.dup(1)
    os.dup2(2, 1)
    try:
        result = run(root)
    except Exception:
        result = {"schema": c.SCHEMA, "verdict": c.SANDBOX_ERROR, "score": 0.0, "tests": [], "benchmarks": {},
                  "harness_error": traceback.format_exc()[-4000:]}
    sys.stdout.flush()
    os.write(out, (json.dumps(result, allow_nan=False, default=str) + "\n").encode())
    return 0


if __name__ == "__main__":
    sys.exit(main())

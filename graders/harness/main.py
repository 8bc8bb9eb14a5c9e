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


THREAD_VARS = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "NUMEXPR_NUM_THREADS")


def cpu_allowance(cpus: float) -> int:
    """How many CPUs this sandbox may really use: the lab's `cpus`, capped by the cgroup's quota and the CPUs this
    process may run on. Docker's --cpus is a CFS quota, not a cpuset: os.cpu_count() in the container still counts
    every core of the host, so torch and BLAS would start one thread per host core and be throttled."""
    allowance = max(1, int(cpus))
    cgroup = Path("/sys/fs/cgroup")
    with contextlib.suppress(OSError, ValueError, IndexError):
        if (cgroup / "cpu.max").exists():  # cgroup v2: "QUOTA PERIOD" or "max PERIOD"
            quota, period = (cgroup / "cpu.max").read_text().split()[:2]
        else:  # cgroup v1: -1 when unlimited
            quota = (cgroup / "cpu" / "cpu.cfs_quota_us").read_text().strip()
            period = (cgroup / "cpu" / "cpu.cfs_period_us").read_text().strip()
        if quota not in ("max", "-1"):
            allowance = min(allowance, max(1, int(int(quota) / int(period))))
    with contextlib.suppress(AttributeError, OSError):
        allowance = min(allowance, max(1, len(os.sched_getaffinity(0))))
    return allowance


# glibc's malloc moves its mmap threshold as a process frees large blocks, so whether a call's multi-MB buffers come
# from the heap or from fresh, page-faulting mmaps depended on what the process ran before: the same code measured
# 0 or ~3,500 page faults a call (7 or 15 ms for a right log-mel solution, against a 5 ms reference) from one
# grading to the next. Fixed thresholds, the same for the candidate and the reference, keep freed blocks up to
# 32 MB in the heap for reuse: timings depend on the code, not on the process's history.
MALLOC_TUNABLES = "glibc.malloc.mmap_threshold=33554432:glibc.malloc.trim_threshold=268435456"


def _env(threads: int, home: Path) -> dict[str, str]:
    return {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": str(home), "LANG": "C.UTF-8",
            "PYTHONDONTWRITEBYTECODE": "1", "PYTHONHASHSEED": "0", "GLIBC_TUNABLES": MALLOC_TUNABLES,
            **dict.fromkeys(THREAD_VARS, str(threads))}


def run(root: Path) -> dict:
    started = time.monotonic()
    private = root / "private"
    job = json.loads((private / "job.json").read_text())
    threads = cpu_allowance(job["cpus"])
    # The harness's own torch/numpy (tests compute expected values here) get the same allowance; set before any
    # of them is imported, as they read these once.
    os.environ.update(dict.fromkeys(THREAD_VARS, str(threads)))
    if job.get("mode") == "reference-figures":
        return reference_figures(root, job, threads=threads, started=started)
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
        modules=modules, uid=CANDIDATE_UID if drop else None, limits=limits, env=_env(threads, work),
        events=events, deadline=deadline,
    )
    processes = [candidate]
    benches = (job.get("benchmarks") or {}) if suite == "hidden" else {}
    cached = _cached_reference(private, job)
    own: dict[str, CandidateProcess] = {}
    early = None
    if benches.get("wer"):
        # The WER set is decoded in a fresh process of the candidate's own (same uid, limits and events), as the
        # reference's is: its figures do not depend on what the hidden tests left behind, nor on the cache.
        own["wer"] = CandidateProcess(
            label="candidate", harness_dir=HERE, workdir=work, libdir=lib, files=_read_files(private / "candidate"),
            modules=modules, uid=CANDIDATE_UID if drop else None, limits=limits, env=_env(threads, work),
            events=events, deadline=deadline,
        )
        processes.append(own["wer"])
        if "wer" in cached and threads >= 2:
            import benchmarks

            # The reference's transcripts are cached, so the sandbox's second CPU is free while the tests run.
            early = benchmarks.start_early({"wer": benches["wer"]}, candidates=own, module=entry_module,
                                           private=private, cached=cached)
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

        if benches:
            import benchmarks

            # Started lazily: a run whose every benchmark has the reference's figures cached never starts it.
            reference = CandidateProcess(
                label="reference", harness_dir=HERE, workdir=refwork, libdir=lib,
                files=_read_files(private / "reference"), modules=modules,
                uid=REFERENCE_UID if drop else None, limits=limits, env=_env(threads, refwork),
                events=Events(), deadline=deadline,
            )
            processes.append(reference)
            t0 = time.monotonic()
            done = early.results() if early is not None else {}
            result["benchmarks"] = benchmarks.run_all(benches, candidate=candidate, reference=reference,
                                                      module=entry_module, private=private, cached=cached, done=done,
                                                      candidates=own)
            timings["benchmarks_s"] = round(time.monotonic() - t0, 3)
            if early is not None:
                timings["benchmarks_overlapped_s"] = early.seconds
        if cached:
            timings["reference_cached"] = 1.0
    except Exception:  # the harness itself broke: never a pass
        result["harness_error"] = traceback.format_exc()[-4000:]
    finally:
        if early is not None:
            early.join()  # never leave its thread calling into a process being closed
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


def _cached_reference(private: Path, job: dict) -> dict:
    """The reference's figures the host passed in (private/, root-only): computed by the host in a sandbox with no
    candidate code in it, so nothing in this run can have shaped them (docs/grading.md, "The reference's cache")."""
    name = job.get("reference_figures")
    if not name:
        return {}
    try:
        data = json.loads((private / name).read_text())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def reference_figures(root: Path, job: dict, *, threads: int, started: float) -> dict:
    """Mode "reference-figures": no candidate, no tests. The reference alone computes what every benchmark kind can
    cache of it (benchmarks/<kind>.py's reference_figures), in one process, exactly as a grading's reference side
    does; the host stores the result in its cache."""
    import benchmarks

    private = root / "private"
    entry_module = job["entrypoint"].removesuffix(".py")
    drop = bool(job.get("drop_privileges")) and os.getuid() == 0
    deadline = started + float(job["wall_seconds"]) * 0.92
    limits = ProcessLimits(memory_bytes=None if job.get("gpu") else int(job["memory_mb"]) * 1024 * 1024,
                           output_cap=int(job.get("output_cap", 1024 * 1024)))
    lib, refwork = root / "lib", root / "refwork"
    for folder, mode in ((lib, 0o755), (refwork, 0o1733)):
        folder.mkdir(exist_ok=True)
        os.chmod(folder, mode)
    os.chmod(private, 0o700)
    events = Events()
    reference = CandidateProcess(
        label="reference", harness_dir=HERE, workdir=refwork, libdir=lib, files=_read_files(private / "reference"),
        modules=[entry_module], uid=REFERENCE_UID if drop else None, limits=limits, env=_env(threads, refwork),
        events=events, deadline=deadline,
    )
    out: dict = {"schema": c.SCHEMA, "mode": "reference-figures", "figures": {}}
    try:
        out["figures"] = benchmarks.reference_figures_all(job.get("benchmarks") or {}, reference=reference,
                                                          module=entry_module, private=private)
    except Exception:
        out["harness_error"] = traceback.format_exc()[-4000:]
    finally:
        reference.close()
    out["events"] = {"timeouts": events.timeouts, "memory": events.memory, "crashes": events.crashes,
                     "output_limit": events.output_limit, "spawn_errors": events.spawn_errors}
    out["timings"] = {"total_s": round(time.monotonic() - started, 3)}
    return out


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

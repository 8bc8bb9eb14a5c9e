"""Run an exercise's tests against one candidate file, locally, in a fresh temp dir.

Plain Python so content authors can use it before the grading engine exists:

    python tests/exercises/runner.py exercises/<slug>            # every variant
    python tests/exercises/runner.py exercises/<slug> path/to/solution.py --suite hidden

The candidate file is copied in as the exercise's entrypoint (solution.py) next to a copy of the
chosen test folder; pytest runs in a subprocess with only that dir on sys.path.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import yaml


@dataclass(frozen=True)
class SuiteOutcome:
    passed: int
    failed: int
    exit_code: int
    output: str

    @property
    def ok(self) -> bool:
        return self.exit_code == 0 and self.failed == 0 and self.passed > 0


def run_suite(exercise_dir: Path, candidate: Path, suite: str = "hidden", timeout: int = 300) -> SuiteOutcome:
    meta = yaml.safe_load((exercise_dir / "question.yaml").read_text())
    entrypoint = meta["coding"]["entrypoint"]
    with tempfile.TemporaryDirectory(prefix="selfcheck-") as tmp:
        work = Path(tmp)
        shutil.copy(candidate, work / entrypoint)
        shutil.copytree(exercise_dir / "tests" / suite, work / "tests")
        (work / "pytest.ini").write_text("[pytest]\naddopts = -q -p no:cacheprovider\n")
        report = work / "report.json"
        plugin = work / "_count_plugin.py"
        plugin.write_text(
            "import json, os\n"
            "counts = {'passed': 0, 'failed': 0}\n"
            "def pytest_runtest_logreport(report):\n"
            "    if report.when == 'call' or (report.when != 'call' and report.outcome == 'failed'):\n"
            "        counts['passed' if report.outcome == 'passed' else 'failed'] += 1\n"
            "def pytest_sessionfinish(session):\n"
            "    open(os.environ['SELFCHECK_REPORT'], 'w').write(json.dumps(counts))\n"
        )
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "PYTHONPATH": str(work),
            "PYTHONDONTWRITEBYTECODE": "1",
            "SELFCHECK_REPORT": str(report),
            "HOME": str(work),
            "OMP_NUM_THREADS": "1",
        }
        proc = subprocess.run(
            [sys.executable, "-m", "pytest", "-p", "_count_plugin", "tests"],
            cwd=work, env=env, capture_output=True, text=True, timeout=timeout,
        )
        counts = json.loads(report.read_text()) if report.exists() else {"passed": 0, "failed": 0}
        return SuiteOutcome(counts["passed"], counts["failed"], proc.returncode, proc.stdout + proc.stderr)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("exercise", type=Path)
    parser.add_argument("candidate", type=Path, nargs="?")
    parser.add_argument("--suite", default="hidden", choices=["hidden", "visible"])
    parser.add_argument("-v", "--verbose", action="store_true")
    args = parser.parse_args()
    ex: Path = args.exercise
    if args.candidate:
        out = run_suite(ex, args.candidate, args.suite)
        print(out.output)
        print(f"passed={out.passed} failed={out.failed} exit={out.exit_code} ok={out.ok}")
        return 0 if out.ok else 1
    expectations = [("reference", ex / "reference" / "solution.py", True), ("starter", ex / "starter" / "solution.py", False)]
    expectations += [(f"wrong/{p.name}", p, False) for p in sorted((ex / "variants" / "wrong").glob("*.py"))]
    expectations += [(f"right/{p.name}", p, True) for p in sorted((ex / "variants" / "right").glob("*.py"))]
    bad = 0
    for name, path, want in expectations:
        for suite in ["hidden", "visible"] if name == "reference" else ["hidden"]:
            out = run_suite(ex, path, suite)
            good = out.ok == want
            bad += not good
            print(f"{'OK ' if good else 'BAD'} {name:40s} {suite:8s} passed={out.passed} failed={out.failed} exit={out.exit_code}")
            if args.verbose and not good:
                print(out.output[-3000:])
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())

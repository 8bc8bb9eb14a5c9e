"""Drivers: the shared one reaches both suites, tests/hidden/driver.py only hidden runs, and candidate code in
a visible run cannot find a hidden-only helper (the content check refuses a shared driver that holds one)."""

from __future__ import annotations

import subprocess
import sys

from assessments.content import CodingConfig, Resources
from graders.jobs import build_job, write_tree
from graders.result import GradingResult, Verdict

SHARED = b"import solution\n\ndef twice(a, b):\n    return 2 * solution.add(a, b)\n"
HIDDEN = b"import solution\nfrom driver import twice\n\ndef four_times(a, b):\n    return 2 * twice(a, b)\n"
VISIBLE_TEST = b"from driver import twice\n\ndef test_twice():\n    assert twice(1, 2) == 6\n"
HIDDEN_TEST = b"from driver import twice\nfrom hidden_driver import four_times\n\n" \
              b"def test_four():\n    assert four_times(1, 2) == 12\n"
# Candidate code that looks for every driver it can read and reports them through its return value.
SNOOP = b"""import os, glob
def add(a, b):
    seen = sorted(os.path.basename(p) for d in ("..", "../..", "../../lib") for p in glob.glob(d + "/*driver*.py"))
    if "hidden_driver.py" in seen:
        raise AssertionError("SAW " + repr(seen))
    return a + b
"""
FILES = {"tests/driver.py": SHARED, "tests/hidden/driver.py": HIDDEN, "tests/visible/test_v.py": VISIBLE_TEST,
         "tests/hidden/test_h.py": HIDDEN_TEST}


def _grade(tmp_path, suite: str) -> GradingResult:
    coding = CodingConfig(entrypoint="solution.py", resources=Resources(wall_seconds=20))
    files = build_job(exercise_files=FILES, coding=coding, suite=suite, candidate_files={"solution.py": SNOOP},
                      drop_privileges=False)
    assert ("private/tests/hidden/driver.py" in files) == (suite == "hidden")
    write_tree(tmp_path, files)
    proc = subprocess.run([sys.executable, "-I", str(tmp_path / "harness" / "main.py"), str(tmp_path)],
                          capture_output=True, timeout=60)
    return GradingResult.parse(proc.stdout)


def test_a_visible_run_has_no_hidden_driver_to_read(tmp_path):
    visible = _grade(tmp_path / "v", "visible")
    assert visible.verdict == Verdict.PASSED, visible.to_json()


def test_a_hidden_run_gets_both_drivers(tmp_path):
    hidden = _grade(tmp_path / "h", "hidden")
    # The snooper sees hidden_driver here (a hidden run's output never reaches the candidate), and says so.
    assert hidden.verdict == Verdict.FAILED and "SAW" in hidden.tests[0].message
    assert "hidden_driver.py" in hidden.tests[0].message

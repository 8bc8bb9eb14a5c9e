"""The first error a candidate's code raised reaches the page with its line in the candidate's file (issue 14,
finding 2): a syntax error, an exception deep in a helper, and none at all; what the code printed comes back too.
The line is taken from the candidate's own file, never from the harness's or a library's frames."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from assessments.content import CodingConfig, Resources
from graders.jobs import build_job, write_tree
from graders.result import GradingResult, InvalidResult, Verdict

TEST = b"from solution import add\n\ndef test_add():\n    assert add(2, 3) == 5\n"
FILES = {"tests/visible/test_add.py": TEST, "tests/hidden/test_add.py": TEST}


def _grade(tmp_path, code: str) -> GradingResult:
    coding = CodingConfig(entrypoint="solution.py", resources=Resources(wall_seconds=20))
    files = build_job(exercise_files=FILES, coding=coding, suite="visible",
                      candidate_files={"solution.py": code.encode()}, drop_privileges=False)
    write_tree(tmp_path, files)
    proc = subprocess.run([sys.executable, "-I", str(tmp_path / "harness" / "main.py"), str(tmp_path)],
                          capture_output=True, timeout=60)
    return GradingResult.parse(proc.stdout)


def test_a_syntax_error_names_its_line(tmp_path):
    result = _grade(tmp_path, "import math\n\ndef add(a, b)\n    return a + b\n")
    assert result.verdict == Verdict.FAILED
    assert result.first_error["type"] == "SyntaxError"
    assert result.first_error["file"] == "solution.py" and result.first_error["line"] == 3


def test_an_exception_in_a_helper_names_the_candidates_innermost_line(tmp_path):
    code = ("import json\n\n\ndef helper(x):\n    print('helper got', x)\n    return json.loads(x)\n\n\n"
            "def add(a, b):\n    return helper('{bad json')\n")
    result = _grade(tmp_path, code)
    err = result.first_error
    assert err["type"] == "JSONDecodeError" and err["line"] == 6, err  # not json's own frames, not the harness's
    assert "helper got {bad json" in result.candidate_output


def test_a_passing_run_has_no_first_error(tmp_path):
    result = _grade(tmp_path, "def add(a, b):\n    print('adding', a, b)\n    return a + b\n")
    assert result.verdict == Verdict.PASSED and not result.first_error
    assert "adding 2 3" in result.candidate_output


@pytest.mark.parametrize("bad", [{"type": 1, "message": "m"}, {"type": "E", "message": "m", "line": "7"},
                                 {"type": "E", "message": "m", "line": True}, "SyntaxError"])
def test_a_malformed_first_error_is_refused_by_the_host(bad):
    raw = {"schema": 1, "suite": "visible", "verdict": "failed", "score": 0.0, "tests": [], "first_error": bad}
    from graders.result import SCHEMA

    raw["schema"] = SCHEMA
    with pytest.raises(InvalidResult, match="first_error"):
        GradingResult.parse(json.dumps(raw).encode())

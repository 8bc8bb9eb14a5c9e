"""The harness's verdict and score formula (graders/harness/main.py), checked by hand without a sandbox."""

from __future__ import annotations

import sys

import pytest

from graders.jobs import HARNESS_DIR

sys.path.insert(0, str(HARNESS_DIR))
import main as harness  # noqa: E402  (the harness's own module, imported as the sandbox runs it)

QUIET = {"timeouts": 0, "memory": 0, "output_limit": 0, "crashes": 0, "spawn_errors": 0}


def _result(outcomes, *, suite="hidden", benchmarks=None, **events):
    tests = [{"name": f"test_{i}", "outcome": o, "message": ""} for i, o in enumerate(outcomes)]
    return {"suite": suite, "tests": tests, "benchmarks": benchmarks or {}, "events": {**QUIET, **events}}


@pytest.mark.parametrize(("outcomes", "scoring", "benchmarks", "expected"), [
    (["passed"] * 4, {"hidden_tests": 1.0}, None, ("passed", 1.0)),
    (["passed", "passed", "passed", "failed"], {"hidden_tests": 1.0}, None, ("failed", 0.75)),
    (["passed", "error"], {"hidden_tests": 1.0}, None, ("failed", 0.5)),
    # skipped tests count neither way
    (["passed", "skipped"], {"hidden_tests": 1.0}, None, ("passed", 1.0)),
    # a benchmark weighs in by its own score; a failed gate fails the run even with every test passing
    (["passed"] * 2, {"hidden_tests": 0.5, "latency": 0.5}, {"latency": {"passed": False, "score": 0.0}},
     ("failed", 0.5)),
    (["passed", "failed"], {"hidden_tests": 0.25, "wer": 0.75}, {"wer": {"passed": True, "score": 1.0}},
     ("failed", 0.875)),
    (["passed"] * 2, {"hidden_tests": 0.4, "wer": 0.6}, {"wer": {"passed": True, "score": 1.0}}, ("passed", 1.0)),
    # a part with no figures is left out and the rest renormalised (a declared benchmark always reports:
    # run_all turns a runner's failure into score 0, so only a broken harness gets here, and that is a sandbox error)
    (["passed"] * 2, {"hidden_tests": 0.5, "latency": 0.5}, None, ("passed", 1.0)),
])
def test_score_is_the_weighted_mean_of_tests_and_benchmarks(outcomes, scoring, benchmarks, expected):
    assert harness.verdict_and_score(_result(outcomes, benchmarks=benchmarks), scoring) == expected


def test_visible_runs_report_test_progress_only():
    result = _result(["passed", "failed"], suite="visible", benchmarks={"latency": {"passed": True, "score": 1.0}})
    assert harness.verdict_and_score(result, {"hidden_tests": 0.1, "latency": 0.9}) == ("failed", 0.5)


@pytest.mark.parametrize(("events", "verdict"), [
    ({"output_limit": 1, "memory": 1, "timeouts": 1}, "output-limit"),  # the first limit named wins
    ({"memory": 1, "timeouts": 2}, "memory"),
    ({"timeouts": 1}, "timeout"),
    ({"spawn_errors": 1}, "sandbox-error"),
])
def test_a_limit_hit_earns_nothing_whatever_passed(events, verdict):
    assert harness.verdict_and_score(_result(["passed"] * 3, **events), {"hidden_tests": 1.0}) == (verdict, 0.0)


def test_broken_harness_no_tests_and_broken_exercise_tests():
    scoring = {"hidden_tests": 1.0}
    broken = {**_result(["passed"]), "harness_error": "Traceback ..."}
    assert harness.verdict_and_score(broken, scoring) == ("sandbox-error", 0.0)
    assert harness.verdict_and_score(_result([]), scoring) == ("error", 0.0)
    collect = _result(["passed"])
    collect["tests"].append({"name": "collect:tests/hidden/test_x.py", "outcome": "error", "message": ""})
    assert harness.verdict_and_score(collect, scoring) == ("sandbox-error", 0.0)


def test_a_candidate_process_that_crashes_before_any_pass_is_an_error():
    assert harness.verdict_and_score(_result(["failed", "failed"], crashes=2), {"hidden_tests": 1.0}) == ("error", 0.0)
    # Crashes after some passes are ordinary failures, scored as such.
    assert harness.verdict_and_score(_result(["passed", "failed"], crashes=1), {"hidden_tests": 1.0}) == (
        "failed", 0.5)

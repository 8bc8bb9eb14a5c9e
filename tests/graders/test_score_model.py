"""The declared score model: core checks cap the score, gates cap it, content refuses a lab without core checks,
and the discrimination report says which solution does not get what its kind must."""

from __future__ import annotations

import sys

import pytest
from django.core.management import call_command

from assessments.content import ContentError, load_content
from graders.jobs import HARNESS_DIR

sys.path.insert(0, str(HARNESS_DIR))
import main as harness  # noqa: E402

QUIET = {"timeouts": 0, "memory": 0, "output_limit": 0, "crashes": 0, "spawn_errors": 0}


def _result(outcomes: dict[str, str], benchmarks=None, suite="hidden") -> dict:
    return {"suite": suite, "events": dict(QUIET), "benchmarks": benchmarks or {},
            "tests": [{"name": n, "outcome": o, "message": ""} for n, o in outcomes.items()]}


def test_a_failed_core_check_caps_the_score_and_is_named():
    outcomes = {f"test_detail_{i}": "passed" for i in range(9)} | {"test_point[case1]": "failed"}
    result = _result(outcomes)
    assert harness.verdict_and_score(result, {"hidden_tests": 1.0}) == ("failed", 0.9)  # without a model
    result = _result(outcomes)
    core = {"tests": ["test_point"], "cap": 0.3}
    assert harness.verdict_and_score(result, {"hidden_tests": 1.0}, core=core) == ("failed", 0.3)
    assert result["core_failed"] == ["test_point"]  # parametrized cases count once, as their test
    many = _result({"test_point[a]": "failed", "test_point[b]": "failed", "test_other": "failed"})
    harness.verdict_and_score(many, {"hidden_tests": 1.0}, core={"tests": ["test_point", "test_x"], "cap": 0.3})
    assert many["core_failed"] == ["test_point"]
    # Detail failures alone keep partial credit.
    detail = _result({"test_point": "passed", "test_a": "failed", "test_b": "passed"})
    assert harness.verdict_and_score(detail, {"hidden_tests": 1.0}, core=core) == ("failed", 0.6667)
    # Visible runs report progress only: no cap there.
    visible = _result({"test_point": "failed", "test_a": "passed"}, suite="visible")
    assert harness.verdict_and_score(visible, {"hidden_tests": 1.0}, core=core) == ("failed", 0.5)


def test_a_failed_gate_caps_the_score():
    result = _result({"test_a": "passed"}, benchmarks={"latency": {"passed": False, "score": 0.9}})
    scoring = {"hidden_tests": 0.5, "latency": 0.5}
    assert harness.verdict_and_score(result, scoring)[1] == 0.95
    assert harness.verdict_and_score(result, scoring, gates={"latency": 0.5}) == ("failed", 0.5)


def test_content_refuses_a_lab_without_core_checks_or_with_unknown_ones(content_root):
    question = content_root / "exercises/add-two/question.yaml"
    text = question.read_text()
    question.write_text(text.replace("    core: {tests: [test_add], cap: 0.3}\n", ""))
    with pytest.raises(ContentError, match="core.*is required"):
        load_content(content_root / "exercises", content_root / "rubrics")
    question.write_text(text.replace("tests: [test_add]", "tests: [test_adds_well]"))
    with pytest.raises(ContentError, match="'test_adds_well' is not a test function in tests/hidden/"):
        load_content(content_root / "exercises", content_root / "rubrics")
    question.write_text(text)
    (content_root / "exercises/add-two/variants/core/subtracts.py").unlink()
    with pytest.raises(ContentError, match="variants/core/ needs at least 1"):
        load_content(content_root / "exercises", content_root / "rubrics")


def test_the_discrimination_report_passes_and_fails_for_the_right_reasons(content_root, settings, capsys):
    settings.CONTENT_EXERCISES_DIR = content_root / "exercises"
    settings.SANDBOX_BACKEND = "local"
    from graders.backends import get_backend

    get_backend.cache_clear()
    try:
        call_command("discrimination_report", "add-two", "--slow-repeats", "1")
        out = capsys.readouterr().out
        assert "core/subtracts.py" in out and "0 problem(s) in 1 lab(s)" in out
        # A "wrong" solution that is right, and a central mistake that slips past the core checks: both named.
        lab = content_root / "exercises/add-two/variants"
        (lab / "wrong/w_right_after_all.py").write_text("def add(a, b):\n    return a + b\n")
        (lab / "core/sneaky.py").write_text("def add(a, b):\n    return a + b if a != 7 else 0\n")
        with pytest.raises(SystemExit) as exit_:
            call_command("discrimination_report", "add-two", "--slow-repeats", "1")
        out = capsys.readouterr().out
        assert exit_.value.code == 1 and "2 problem(s)" in out
        assert "wrong/w_right_after_all.py" in out and "must fail" in out
        assert "core/sneaky.py" in out
    finally:
        get_backend.cache_clear()

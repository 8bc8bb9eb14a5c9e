"""The result contract: the harness's literals are the host's schema, and a real harness run parses into it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from assessments.content import CodingConfig, Resources
from graders.jobs import HARNESS_DIR, build_job, write_tree
from graders.result import (
    HIDDEN_TESTS,
    SCHEMA,
    TERMINATION_VERDICTS,
    BenchmarkResult,
    GradingResult,
    InvalidResult,
    Outcome,
    ResultSummary,
    Suite,
    Verdict,
)
from sandboxes.base import Termination

sys.path.insert(0, str(HARNESS_DIR))
import contract  # noqa: E402  (the harness's own constants, as the sandbox imports them)


def test_the_harness_spells_the_hosts_vocabulary():
    assert contract.SCHEMA == SCHEMA
    assert set(contract.VERDICTS) == {str(v) for v in Verdict}
    assert set(contract.TEST_OUTCOMES) == {str(o) for o in Outcome}
    assert set(contract.SUITES) == {str(s) for s in Suite}
    assert contract.HIDDEN_TESTS == HIDDEN_TESTS
    assert set(contract.BENCHMARK_KEYS) == set(BenchmarkResult("k", True, 1.0).to_json())


def test_every_way_a_sandbox_stops_a_job_has_a_verdict():
    assert set(TERMINATION_VERDICTS) == {str(t) for t in Termination} - {"ok"}


def _line(**overrides) -> bytes:
    data = {"schema": 1, "suite": "hidden", "verdict": "failed", "score": 0.5,
            "tests": [{"name": "test_a", "outcome": "passed", "message": ""},
                      {"name": "test_b", "outcome": "failed", "message": "assert 1 == 2"}],
            "benchmarks": {"latency": {"passed": False, "score": 0.0, "summary": "median 4.00x", "ratio": 4.0}}}
    data.update(overrides)
    return b"noise printed before the result\n" + json.dumps(data).encode() + b"\n"


def test_parse_reads_the_last_line_into_types():
    result = GradingResult.parse(_line())
    assert (result.suite, result.verdict, result.score) == (Suite.HIDDEN, Verdict.FAILED, 0.5)
    assert [t.name for t in result.failing] == ["test_b"]
    bench = result.benchmarks["latency"]
    assert (bench.passed, bench.summary, bench.figures["ratio"], bench.template) == (
        False, "median 4.00x", 4.0, "graders/benchmarks/latency.html")
    # Stored and read back: the same result.
    assert GradingResult.from_json(json.loads(json.dumps(result.to_json()))) == result


@pytest.mark.parametrize(("raw", "why"), [
    (b"", "reported nothing"),
    (b"not json\n", "not JSON"),
    (_line(schema=2), "schema"),
    (_line(verdict="excellent"), "unknown verdict"),
    (_line(suite="secret"), "unknown suite"),
    (_line(score=1.5), "score must be"),
    (_line(score=True), "score must be"),
    (_line(tests={"a": 1}), "tests must be a list"),
    (_line(tests=[{"name": "t", "outcome": "great"}]), "malformed test"),
    (_line(benchmarks=[]), "benchmarks must be an object"),
    (_line(benchmarks={"latency": {"score": 1.0}}), "needs passed"),
    (_line(benchmarks={"latency": {"passed": True, "score": 7}}), "needs passed"),
    (_line(verdict="passed"), "passed' with failing tests"),
    (b"x" * (1024 * 1024 + 1), "over the"),
])
def test_parse_refuses_what_is_not_a_well_formed_result(raw, why):
    with pytest.raises(InvalidResult, match=why):
        GradingResult.parse(raw)


def test_the_summary_keeps_no_messages_and_reads_legacy_rows():
    summary = GradingResult.parse(_line()).summary()
    stored = summary.to_json()
    assert "assert 1 == 2" not in json.dumps(stored)
    assert ResultSummary.from_json(stored) == summary
    assert summary.lines()[0].startswith("FAILED  score 0.500  (1/2 tests)")
    # Rows stored before the summary had a schema: tests and raw benchmark figures only.
    legacy = {"tests": [{"name": "test_a", "outcome": "passed"}],
              "benchmarks": {"wer": {"passed": True, "score": 1.0, "checks": {"recall": True}}}}
    old = ResultSummary.from_json(legacy, verdict="passed", score=1.0)
    assert (old.verdict, old.score, old.passed_tests, old.benchmarks["wer"].figures["checks"]) == (
        Verdict.PASSED, 1.0, 1, {"recall": True})


def test_a_real_harness_run_parses_into_the_schema(tmp_path: Path):
    """The harness as the sandbox runs it (local process), its stdout through the host's validation."""
    coding = CodingConfig(entrypoint="solution.py", resources=Resources(wall_seconds=20))
    tests = b"from solution import add\n\ndef test_small():\n    assert add(2, 3) == 5\n\n" \
            b"def test_twos():\n    assert add(2, 2) == 4\n"
    files = build_job(exercise_files={"tests/hidden/test_add.py": tests}, coding=coding, suite="hidden",
                      candidate_files={"solution.py": b"def add(a, b):\n    print('hi')\n    return a * b\n"},
                      drop_privileges=False)
    write_tree(tmp_path, files)
    proc = subprocess.run([sys.executable, "-I", str(tmp_path / "harness" / "main.py"), str(tmp_path)],
                          capture_output=True, timeout=60)
    result = GradingResult.parse(proc.stdout)
    assert (result.verdict, result.score, result.suite) == (Verdict.FAILED, 0.5, Suite.HIDDEN), proc.stderr[-2000:]
    assert {t.name: t.outcome for t in result.tests} == {"test_small": Outcome.FAILED, "test_twos": Outcome.PASSED}
    assert "hi" in result.candidate_output and result.events["calls"] == 2

"""The grading result, typed: one schema from the harness's JSON line to the interviewer's page.

The harness (plain Python in the sandbox) prints one JSON object; `GradingResult.parse` validates it
on the host (schema, size cap, consistency) and everything after that reads this type: the task
stores `to_json()` on the run, `summary()` is what is kept with the submission (AutomatedScore), and
the `grade` command, the exam page and the scoring page all read the same objects. The harness
spells the same vocabulary in graders/harness/contract.py; a contract test pins the two together.

Plain Python (no Django).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any

SCHEMA = 1
RESULT_MAX_BYTES = 1024 * 1024
HIDDEN_TESTS = "hidden_tests"


class Verdict(StrEnum):
    """The verdict of a grading run: the one vocabulary of the harness, runs, scores and pages."""

    PASSED = "passed"
    FAILED = "failed"
    ERROR = "error"                  # the candidate's process died before any test passed
    TIMEOUT = "timeout"
    MEMORY = "memory"
    OUTPUT_LIMIT = "output-limit"
    SANDBOX_ERROR = "sandbox-error"  # infrastructure: not the candidate's doing

    @property
    def label(self) -> str:
        return _VERDICT_LABELS[self]

    @property
    def is_infrastructure(self) -> bool:
        return self is Verdict.SANDBOX_ERROR


_VERDICT_LABELS = {
    Verdict.PASSED: "passed", Verdict.FAILED: "failed", Verdict.ERROR: "crashed",
    Verdict.TIMEOUT: "ran out of time", Verdict.MEMORY: "ran out of memory",
    Verdict.OUTPUT_LIMIT: "printed too much", Verdict.SANDBOX_ERROR: "could not be graded (infrastructure)",
}


class Outcome(StrEnum):
    """The outcome of one test."""

    PASSED = "passed"
    FAILED = "failed"
    ERROR = "error"
    SKIPPED = "skipped"


class Suite(StrEnum):
    VISIBLE = "visible"
    HIDDEN = "hidden"

    @property
    def label(self) -> str:
        return "Visible tests" if self is Suite.VISIBLE else "Hidden tests and benchmarks"


class InvalidResult(ValueError):
    """What the harness reported is not a well-formed result: the run is a sandbox error, never a pass."""


@dataclass(frozen=True)
class TestResult:
    __test__ = False  # not a pytest test class, despite its name

    name: str
    outcome: Outcome
    message: str = ""   # withheld from candidates for hidden tests; never kept in a summary

    @property
    def passed(self) -> bool:
        return self.outcome is Outcome.PASSED

    @property
    def base_name(self) -> str:
        """The test function's name: a parametrized case without its parameters (as core checks name it)."""
        return self.name.split("[", 1)[0]

    def to_json(self, *, with_message: bool = True) -> dict[str, str]:
        out = {"name": self.name, "outcome": str(self.outcome)}
        if with_message:
            out["message"] = self.message
        return out


@dataclass(frozen=True)
class BenchmarkResult:
    """One benchmark's figures. `passed`, `score` and `summary` every kind reports; the rest are its figures,
    read by the kind's own partial (graders/templates/graders/benchmarks/<kind>.html)."""

    kind: str
    passed: bool
    score: float
    summary: str = ""
    figures: Mapping[str, Any] = field(default_factory=dict)

    @property
    def error(self) -> str:
        return str(self.figures.get("error") or "")

    @property
    def template(self) -> str:
        return f"graders/benchmarks/{self.kind}.html"

    def to_json(self) -> dict[str, Any]:
        return {**self.figures, "passed": self.passed, "score": self.score, "summary": self.summary}

    @classmethod
    def from_json(cls, kind: str, data: Mapping[str, Any]) -> BenchmarkResult:
        return cls(kind=kind, passed=bool(data.get("passed")), score=float(data.get("score") or 0.0),
                   summary=str(data.get("summary") or ""),
                   figures={k: v for k, v in data.items() if k not in ("passed", "score", "summary")})


@dataclass(frozen=True)
class ResultSummary:
    """What is kept with a graded submission and shown to interviewers: no test messages, no output."""

    verdict: Verdict
    score: float
    tests: tuple[TestResult, ...] = ()
    benchmarks: Mapping[str, BenchmarkResult] = field(default_factory=dict)
    core_failed: tuple[str, ...] = ()   # the lab's core checks that failed: the score is capped for them
    ran_on_cpu: bool = False            # a GPU lab graded on the CPU: the engine had no GPU (SANDBOX_GPU=auto)

    @property
    def passed_tests(self) -> int:
        return sum(t.passed for t in self.tests if t.outcome is not Outcome.SKIPPED)

    @property
    def counted_tests(self) -> int:
        return sum(1 for t in self.tests if t.outcome is not Outcome.SKIPPED)

    def to_json(self) -> dict[str, Any]:
        return {"schema": SCHEMA, "verdict": str(self.verdict), "score": self.score,
                "tests": [t.to_json(with_message=False) for t in self.tests],
                "benchmarks": {k: b.to_json() for k, b in self.benchmarks.items()},
                "core_failed": list(self.core_failed), "ran_on_cpu": self.ran_on_cpu}

    @classmethod
    def from_json(cls, data: Mapping[str, Any], *, verdict: str | None = None,
                  score: float | None = None) -> ResultSummary:
        """From stored JSON. Rows stored before the summary had its own schema carry only tests and benchmarks:
        their verdict and score come from the row (`verdict`, `score`)."""
        return cls(verdict=Verdict(data.get("verdict") or verdict or Verdict.SANDBOX_ERROR),
                   score=float(data.get("score", score if score is not None else 0.0)),
                   tests=tuple(_test(t) for t in data.get("tests") or ()),
                   benchmarks={k: BenchmarkResult.from_json(k, v) for k, v in (data.get("benchmarks") or {}).items()},
                   core_failed=tuple(data.get("core_failed") or ()), ran_on_cpu=bool(data.get("ran_on_cpu")))

    def lines(self) -> list[str]:
        """Plain-text lines for a terminal: the verdict, each test, each benchmark's summary."""
        marks = {Outcome.PASSED: "ok  ", Outcome.FAILED: "FAIL", Outcome.ERROR: "ERR ", Outcome.SKIPPED: "skip"}
        out = [f"{self.verdict.upper()}  score {self.score:.3f}  ({self.passed_tests}/{self.counted_tests} tests)"]
        out += [f"  {marks[t.outcome]} {t.name}" for t in self.tests]
        out += [f"  benchmark {k}: {'passed' if b.passed else 'FAILED'} (score {b.score:.2f}) {b.summary}".rstrip()
                for k, b in self.benchmarks.items()]
        if self.core_failed:
            out.append(f"  core check(s) failed, score capped: {', '.join(self.core_failed)}")
        if self.ran_on_cpu:
            out.append("  a GPU lab graded on the CPU: the sandbox engine has no GPU")
        return out


def _valid_first_error(value: dict) -> bool:
    if not value:
        return True
    line = value.get("line")
    return (isinstance(value.get("type"), str) and isinstance(value.get("message"), str)
            and isinstance(value.get("file", ""), str) and len(value.get("file", "")) <= 200
            and (line is None or (isinstance(line, int) and not isinstance(line, bool) and 0 < line < 10**6)))


@dataclass(frozen=True)
class GradingResult:
    suite: Suite
    verdict: Verdict
    score: float
    tests: tuple[TestResult, ...] = ()
    benchmarks: Mapping[str, BenchmarkResult] = field(default_factory=dict)
    candidate_output: str = ""     # the first 8 KB of what the candidate's code printed
    error: str = ""                # the host's reason when it replaced the harness's result
    harness_error: str = ""        # the harness itself broke (a traceback): staff only
    events: Mapping[str, Any] = field(default_factory=dict)
    timings: Mapping[str, Any] = field(default_factory=dict)
    environment: Mapping[str, Any] = field(default_factory=dict)
    notes: tuple[str, ...] = ()
    sandbox: Mapping[str, Any] = field(default_factory=dict)   # how the sandbox ran the job (host side)
    host_seconds: float | None = None
    core_failed: tuple[str, ...] = ()                           # the lab's core checks that failed
    first_error: Mapping[str, Any] = field(default_factory=dict)  # type, message, file, line: the first exception

    # -- reading ----------------------------------------------------------------------------------
    @classmethod
    def parse(cls, raw: bytes) -> GradingResult:
        """Validate the harness's stdout (its last line is the result); anything off is InvalidResult."""
        if len(raw) > RESULT_MAX_BYTES:
            raise InvalidResult(f"result is {len(raw)} bytes, over the {RESULT_MAX_BYTES} byte limit")
        lines = [line for line in raw.decode("utf-8", "replace").splitlines() if line.strip()]
        if not lines:
            raise InvalidResult("the harness reported nothing")
        try:
            data = json.loads(lines[-1])
        except json.JSONDecodeError as exc:
            raise InvalidResult(f"result is not JSON: {exc}") from None
        if not isinstance(data, dict) or data.get("schema") != SCHEMA:
            raise InvalidResult(f"result has no schema {SCHEMA} object")
        if data.get("verdict") not in Verdict.__members__.values():
            raise InvalidResult(f"unknown verdict {data.get('verdict')!r}")
        if data.get("suite", Suite.HIDDEN) not in Suite.__members__.values():
            raise InvalidResult(f"unknown suite {data.get('suite')!r}")
        score = data.get("score")
        if isinstance(score, bool) or not isinstance(score, int | float) or not 0 <= score <= 1:
            raise InvalidResult(f"score must be a number in [0, 1] (got {score!r})")
        tests = data.get("tests")
        if not isinstance(tests, list):
            raise InvalidResult("tests must be a list")
        for t in tests:
            if not (isinstance(t, dict) and isinstance(t.get("name"), str)
                    and t.get("outcome") in Outcome.__members__.values() and isinstance(t.get("message", ""), str)):
                raise InvalidResult(f"malformed test entry {str(t)[:200]}")
        benchmarks = data.get("benchmarks", {})
        if not isinstance(benchmarks, dict):
            raise InvalidResult("benchmarks must be an object")
        for kind, bench in benchmarks.items():
            bscore = bench.get("score") if isinstance(bench, dict) else None
            if (not isinstance(bench, dict) or not isinstance(bench.get("passed"), bool)
                    or isinstance(bscore, bool) or not isinstance(bscore, int | float) or not 0 <= bscore <= 1):
                raise InvalidResult(f"benchmark {kind!r} needs passed (true/false) and a score in [0, 1]")
        if data["verdict"] == Verdict.PASSED and any(t["outcome"] in (Outcome.FAILED, Outcome.ERROR) for t in tests):
            raise InvalidResult("verdict 'passed' with failing tests")
        core_failed = data.get("core_failed", [])
        if not isinstance(core_failed, list) or not all(isinstance(n, str) for n in core_failed):
            raise InvalidResult("core_failed must be a list of test names")
        first_error = data.get("first_error", {})
        if not isinstance(first_error, dict) or not _valid_first_error(first_error):
            raise InvalidResult("first_error must be {type, message[, file, line]}")
        return cls.from_json(data)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> GradingResult:
        """From JSON already validated (parse) or stored by the host (GradingRun.result)."""
        return cls(
            suite=Suite(data.get("suite") or Suite.HIDDEN), verdict=Verdict(data["verdict"]),
            score=float(data["score"]), tests=tuple(_test(t) for t in data.get("tests") or ()),
            benchmarks={k: BenchmarkResult.from_json(k, v) for k, v in (data.get("benchmarks") or {}).items()},
            candidate_output=str(data.get("candidate_output") or ""), error=str(data.get("error") or ""),
            harness_error=str(data.get("harness_error") or ""), events=dict(data.get("events") or {}),
            timings=dict(data.get("timings") or {}), environment=dict(data.get("environment") or {}),
            notes=tuple(str(n) for n in data.get("notes") or ()), sandbox=dict(data.get("sandbox") or {}),
            host_seconds=data.get("host_seconds"), core_failed=tuple(data.get("core_failed") or ()),
            first_error=dict(data.get("first_error") or {}),
        )

    @classmethod
    def stopped(cls, *, suite: str, verdict: Verdict, error: str = "", sandbox: Mapping[str, Any] | None = None,
                host_seconds: float | None = None) -> GradingResult:
        """A run the sandbox stopped (a limit hit) or whose result could not be trusted: no points."""
        return cls(suite=Suite(suite), verdict=verdict, score=0.0, error=error, sandbox=dict(sandbox or {}),
                   host_seconds=host_seconds)

    # -- writing ----------------------------------------------------------------------------------
    def with_host(self, *, sandbox: Mapping[str, Any], host_seconds: float) -> GradingResult:
        return replace(self, sandbox=dict(sandbox), host_seconds=host_seconds)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "schema": SCHEMA, "suite": str(self.suite), "verdict": str(self.verdict), "score": self.score,
            "tests": [t.to_json() for t in self.tests],
            "benchmarks": {k: b.to_json() for k, b in self.benchmarks.items()},
            "candidate_output": self.candidate_output, "events": dict(self.events), "timings": dict(self.timings),
            "environment": dict(self.environment), "sandbox": dict(self.sandbox), "host_seconds": self.host_seconds,
            "core_failed": list(self.core_failed),
        }
        for key in ("error", "harness_error"):
            if getattr(self, key):
                out[key] = getattr(self, key)
        if self.notes:
            out["notes"] = list(self.notes)
        if self.first_error:
            out["first_error"] = dict(self.first_error)
        return out

    def summary(self) -> ResultSummary:
        return ResultSummary(verdict=self.verdict, score=self.score,
                             tests=tuple(replace(t, message="") for t in self.tests), benchmarks=self.benchmarks,
                             core_failed=self.core_failed,
                             ran_on_cpu=bool((self.sandbox.get("timings") or {}).get("gpu_fallback")))

    # -- reading for pages --------------------------------------------------------------------------
    @property
    def failing(self) -> list[TestResult]:
        return [t for t in self.tests if t.outcome in (Outcome.FAILED, Outcome.ERROR)]


def _test(data: Mapping[str, Any]) -> TestResult:
    return TestResult(name=str(data["name"]), outcome=Outcome(data["outcome"]), message=str(data.get("message", "")))


# How a sandbox that stopped the job (sandboxes.base.Termination) reads as a grading verdict.
TERMINATION_VERDICTS = {"timeout": Verdict.TIMEOUT, "memory": Verdict.MEMORY, "output-limit": Verdict.OUTPUT_LIMIT,
                        "killed": Verdict.ERROR, "sandbox-error": Verdict.SANDBOX_ERROR}

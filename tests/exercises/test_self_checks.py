"""Every auto-graded exercise proves its own hidden tests, through the real sandbox.

The reference passes (hidden and visible suites), the starter fails, every plausible wrong solution
fails and every differently written right one passes. Exercises with a latency gate also ship
slow-but-correct variants (variants/slow/) that pass every test and still fail the gate.
Runs through Docker when an engine answers (required under CI), else the local backend.
"""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path

import pytest
import yaml
from django.conf import settings

from assessments.content import CodingConfig
from graders.grading import grade
from graders.jobs import read_exercise_dir
from graders.result import Verdict
from sandboxes import docker_engine_available
from tests.conftest import IN_CI, require_service

EXERCISES = Path(settings.CONTENT_EXERCISES_DIR)
CODING = sorted(
    p.parent for p in EXERCISES.glob("*/question.yaml") if yaml.safe_load(p.read_text()).get("kind") == "coding"
)


@pytest.fixture(scope="module")
def backend():
    ok, why = docker_engine_available(timeout=5)
    if IN_CI:
        require_service("Docker engine", ok, why)
    if ok:
        from graders.backends import default_image_tag
        from sandboxes.docker_backend import DockerBackend

        return DockerBackend(image=settings.SANDBOX_IMAGE or default_image_tag())
    from graders.backends import local_backend

    return local_backend()


def test_the_track_ships_its_coding_exercises():
    assert {p.name for p in CODING} >= {"softmax-cross-entropy-bug", "ctc-greedy-decode", "ctc-loss-padding-mask",
                                         "wer-by-slice", "log-mel-frames", "masked-mean-pooling", "asr-domain-terms"}


def _gpu_available() -> bool:
    import shutil
    import subprocess

    if not shutil.which("nvidia-smi"):
        return False
    return subprocess.run(["nvidia-smi", "-L"], capture_output=True).returncode == 0


def _jobs(exercise: Path) -> list[tuple[str, Path, str, str]]:
    """(label, file, suite, expectation) with expectation in passed / failed / slow."""
    jobs = [("reference", exercise / "reference/solution.py", "hidden", "passed"),
            ("reference", exercise / "reference/solution.py", "visible", "passed"),
            ("starter", exercise / "starter/solution.py", "hidden", "failed")]
    for kind, expect in (("wrong", "failed"), ("right", "passed"), ("slow", "slow")):
        jobs += [(f"{kind}/{p.name}", p, "hidden", expect) for p in sorted((exercise / "variants" / kind).glob("*.py"))]
    return jobs


@pytest.mark.slow
@pytest.mark.parametrize("exercise", CODING, ids=[p.name for p in CODING])
def test_exercise_hidden_tests_separate_right_from_wrong(exercise: Path, backend):
    coding = CodingConfig.from_json(yaml.safe_load((exercise / "question.yaml").read_text())["coding"])
    if coding.resources.gpu and not _gpu_available():
        # GPU exercises are written to run on either device; without a GPU here, check them on the CPU.
        coding = replace(coding, resources=replace(coding.resources, gpu=False))
    files = read_exercise_dir(exercise)
    jobs = _jobs(exercise)
    assert sum(1 for j in jobs if j[0].startswith("wrong/")) >= 4
    assert sum(1 for j in jobs if j[0].startswith("right/")) >= 2

    def run(job):
        label, path, suite, _ = job
        return grade(backend=backend, exercise_files=files, coding=coding, suite=suite,
                     candidate_files={coding.entrypoint: path.read_bytes()})

    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(run, jobs))
    problems = []
    for (label, _, suite, expect), result in zip(jobs, results, strict=True):
        tests = result.tests
        all_tests_pass = bool(tests) and all(t.passed for t in tests)
        if expect == "passed":
            ok = result.verdict == Verdict.PASSED and result.score == 1.0
        elif expect == "slow":
            ok = all_tests_pass and result.verdict == Verdict.FAILED and not result.benchmarks["latency"].passed
        else:
            # Wrong code fails on its merits: the exercise's own tests ran (no collection errors).
            ok = (result.verdict == Verdict.FAILED and result.score < 1.0
                  and not any(t.name.startswith("collect:") for t in tests) and bool(tests))
        if not ok:
            data = result.to_json()
            brief = {k: data.get(k) for k in ("verdict", "score", "benchmarks", "events", "error", "harness_error")}
            brief["failing"] = [t.name for t in result.failing][:10]
            problems.append(f"{label} ({suite}): expected {expect}\n{json.dumps(brief, default=str)[:2500]}")
    assert not problems, "\n\n".join(problems)

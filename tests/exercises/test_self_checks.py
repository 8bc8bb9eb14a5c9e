"""Every auto-graded exercise proves its own hidden tests.

The reference passes (hidden and visible), the starter fails, every plausible wrong solution fails
and every differently written right one passes. Runs each candidate file in a fresh temp dir with
pytest in a subprocess (tests/exercises/runner.py).
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import yaml
from django.conf import settings

from tests.exercises.runner import run_suite

EXERCISES = Path(settings.CONTENT_EXERCISES_DIR)
CODING = sorted(
    p.parent for p in EXERCISES.glob("*/question.yaml") if yaml.safe_load(p.read_text()).get("kind") == "coding"
)


def test_the_track_ships_at_least_four_coding_exercises():
    assert {p.name for p in CODING} >= {"softmax-cross-entropy-bug", "ctc-greedy-decode", "ctc-loss-padding-mask",
                                         "wer-by-slice"}


@pytest.mark.parametrize("exercise", CODING, ids=[p.name for p in CODING])
def test_exercise_hidden_tests_separate_right_from_wrong(exercise: Path):
    wrong = sorted((exercise / "variants" / "wrong").glob("*.py"))
    right = sorted((exercise / "variants" / "right").glob("*.py"))
    assert len(wrong) >= 4 and len(right) >= 2
    jobs = [("reference", exercise / "reference" / "solution.py", "hidden", True),
            ("reference", exercise / "reference" / "solution.py", "visible", True),
            ("starter", exercise / "starter" / "solution.py", "hidden", False)]
    jobs += [(f"wrong/{p.name}", p, "hidden", False) for p in wrong]
    jobs += [(f"right/{p.name}", p, "hidden", True) for p in right]
    with ThreadPoolExecutor(max_workers=2) as pool:
        outcomes = list(pool.map(lambda job: run_suite(exercise, job[1], job[2]), jobs))
    problems = []
    for (name, _, suite, want_pass), outcome in zip(jobs, outcomes, strict=True):
        if outcome.ok != want_pass:
            problems.append(f"{name} on {suite} tests: expected {'PASS' if want_pass else 'FAIL'}, got "
                            f"passed={outcome.passed} failed={outcome.failed} exit={outcome.exit_code}\n"
                            f"{outcome.output[-1500:]}")
        if not want_pass:
            # A wrong solution must fail on assertions, not because the test suite itself broke.
            assert outcome.passed + outcome.failed > 0, f"{name}: no test ran\n{outcome.output[-1500:]}"
    assert not problems, "\n\n".join(problems)

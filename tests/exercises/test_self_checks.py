"""Every auto-graded exercise proves its own hidden tests and its score model, through the real sandbox.

The discrimination report for each lab (graders.discrimination): the reference passes (hidden and visible
suites), the starter fails, every plausible wrong solution fails, every central mistake (variants/core/)
fails a core check and scores at most its cap, every differently written right one passes with 1.0, and
latency labs' slow-but-correct variants fail the gate in 10 of 10 gradings. Runs through Docker when an
engine answers (required under CI), else the local backend.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from django.conf import settings

from graders.discrimination import lab_rows
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


@pytest.mark.slow
@pytest.mark.parametrize("exercise", CODING, ids=[p.name for p in CODING])
def test_exercise_hidden_tests_separate_right_from_wrong(exercise: Path, backend):
    """The discrimination report of one lab (graders.discrimination: the rules `manage.py discrimination_report`
    applies): reference and right variants score 1.0, the starter and wrong variants fail, the central mistakes
    fail a core check and score at most its cap, slow variants fail the latency gate in 10 of 10 gradings."""
    rows = lab_rows(exercise, backend, slow_repeats=10, gpu_available=_gpu_available)
    kinds = [r.kind for r in rows]
    assert kinds.count("wrong") >= 4 and kinds.count("right") >= 2 and kinds.count("core") >= 1
    print("\n" + "\n".join(r.line() for r in rows))
    problems = [r.line() for r in rows if r.problem]
    assert not problems, "\n".join(problems)

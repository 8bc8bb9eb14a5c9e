"""Threads follow the CPUs a lab is given, not the host's cores: Docker's `cpus` is a quota, so inside the
container os.cpu_count() still counts the host and torch would start a thread per host core."""

from __future__ import annotations

import importlib.util
import os
import sys

import pytest

from assessments.content import CodingConfig, Resources
from graders.grading import grade
from graders.jobs import HARNESS_DIR
from sandboxes import docker_engine_available


def _harness_main():
    sys.path.insert(0, str(HARNESS_DIR))
    try:
        spec = importlib.util.spec_from_file_location("harness_main_for_test", HARNESS_DIR / "main.py")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module
    finally:
        sys.path.remove(str(HARNESS_DIR))


def test_allowance_is_the_labs_cpus_capped_by_what_the_process_may_use():
    main = _harness_main()
    assert main.cpu_allowance(1) == 1
    assert main.cpu_allowance(0.5) == 1  # a fraction of a CPU still runs one thread
    assert main.cpu_allowance(64) <= len(os.sched_getaffinity(0))
    env = main._env(3, HARNESS_DIR)
    assert {env[k] for k in main.THREAD_VARS} == {"3"}


LAB = {
    "tests/visible/test_threads.py": (
        b"import os\nimport torch\nfrom solution import threads\n\n"
        b"def test_harness_threads():\n"
        b"    assert os.environ['OMP_NUM_THREADS'] == '1' and torch.get_num_threads() == 1\n\n"
        b"def test_candidate_threads():\n"
        b"    assert threads() == {'omp': '1', 'torch': 1}\n"),
}
CANDIDATE = (b"import os\n\ndef threads():\n    import torch\n"
             b"    return {'omp': os.environ.get('OMP_NUM_THREADS'), 'torch': torch.get_num_threads()}\n")


@pytest.mark.slow
def test_torch_in_a_one_cpu_container_uses_one_thread():
    ok, why = docker_engine_available(timeout=5)
    if not ok:
        pytest.skip(why)
    from django.conf import settings

    from graders.backends import default_image_tag
    from sandboxes.docker_backend import DockerBackend

    backend = DockerBackend(image=settings.SANDBOX_IMAGE or default_image_tag())
    coding = CodingConfig(entrypoint="solution.py", resources=Resources(cpus=1, memory_mb=1024, wall_seconds=60))
    result = grade(backend=backend, exercise_files=LAB, coding=coding, candidate_files={"solution.py": CANDIDATE},
                   suite="visible")
    assert [(t.name, str(t.outcome)) for t in result.tests] == [("test_harness_threads", "passed"),
                                                                ("test_candidate_threads", "passed")], result.tests

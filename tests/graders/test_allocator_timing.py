"""Timed calls cost what the code costs, not what the process ran before.

glibc's malloc raises its mmap threshold as a process frees large blocks and trims the heap above twice that, so a
call whose buffers add up to more than two of its largest page-faulted them afresh on every call, or not, by the
process's history: a right log-mel solution measured 7 or 15 ms from one grading to the next (0 or ~3,500 faults
a call) and failed a 2x latency gate once in CI. The harness gives the candidate's and the reference's processes
the same fixed thresholds (graders/harness/main.py MALLOC_TUNABLES).
"""

from __future__ import annotations

import shutil

import pytest

from assessments.content import CodingConfig, Resources
from graders.backends import local_backend
from graders.grading import grade
from graders.jobs import HARNESS_DIR
from tests.graders.test_thread_allowance import _harness_main

# Four 3 MB buffers live at once, then freed: with glibc's adaptive thresholds every call after the first
# page-faults ~3,000 pages (the freed heap top is trimmed); with fixed ones the heap is reused.
CANDIDATE = b"""
def _faults():
    return int(open('/proc/self/stat').read().rsplit(')', 1)[1].split()[7])


def churn():
    before = _faults()
    blocks = [bytearray(3 << 20) for _ in range(4)]
    del blocks
    return _faults() - before
"""
LAB = {
    "tests/visible/test_churn.py": (
        b"import statistics\nfrom solution import churn\n\n"
        b"def test_a_repeated_call_reuses_its_memory():\n"
        b"    churn()  # the first call maps the heap\n"
        b"    faults = [churn() for _ in range(8)]\n"
        b"    assert statistics.median(faults) < 100, faults\n"),
}


def test_candidate_and_reference_processes_get_the_same_fixed_malloc_thresholds():
    main = _harness_main()
    env = main._env(1, main.HERE)
    assert env["GLIBC_TUNABLES"] == main.MALLOC_TUNABLES
    assert "glibc.malloc.mmap_threshold=" in env["GLIBC_TUNABLES"]
    assert "glibc.malloc.trim_threshold=" in env["GLIBC_TUNABLES"]


@pytest.mark.parametrize("tunables", [True, False], ids=["harness", "without-the-fix"])
def test_a_candidates_repeated_calls_do_not_page_fault_their_buffers_afresh(tunables, tmp_path):
    """Through the real harness (local backend): the candidate's process reuses its freed heap. The control run,
    with the harness's thresholds taken out, shows the same code faulting thousands of pages a call."""
    harness_dir = HARNESS_DIR
    if not tunables:
        harness_dir = tmp_path / "harness"
        shutil.copytree(HARNESS_DIR, harness_dir, ignore=shutil.ignore_patterns("__pycache__"))
        main = harness_dir / "main.py"
        source = main.read_text()
        assert '"GLIBC_TUNABLES": MALLOC_TUNABLES,' in source
        main.write_text(source.replace('"GLIBC_TUNABLES": MALLOC_TUNABLES,', ""))
    coding = CodingConfig(entrypoint="solution.py", resources=Resources(cpus=1, memory_mb=1024, wall_seconds=60))
    result = grade(backend=local_backend(), exercise_files=LAB, coding=coding, harness_dir=harness_dir,
                   candidate_files={"solution.py": CANDIDATE}, suite="visible")
    outcome = [(t.name, str(t.outcome)) for t in result.tests]
    expected = "passed" if tunables else "failed"
    assert outcome == [("test_a_repeated_call_reuses_its_memory", expected)], result.tests

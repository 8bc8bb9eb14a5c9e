"""The result contract, as the harness spells it. Plain constants: the harness imports nothing of ours.

graders/result.py holds the host's typed schema; tests/graders/test_result_contract.py pins these
literals to it, so the two cannot drift apart.
"""

SCHEMA = 1

# Verdicts of a whole grading run.
PASSED = "passed"
FAILED = "failed"
ERROR = "error"
TIMEOUT = "timeout"
MEMORY = "memory"
OUTPUT_LIMIT = "output-limit"
SANDBOX_ERROR = "sandbox-error"
VERDICTS = (PASSED, FAILED, ERROR, TIMEOUT, MEMORY, OUTPUT_LIMIT, SANDBOX_ERROR)

# Outcomes of one test.
TEST_PASSED = "passed"
TEST_FAILED = "failed"
TEST_ERROR = "error"
TEST_SKIPPED = "skipped"
TEST_OUTCOMES = (TEST_PASSED, TEST_FAILED, TEST_ERROR, TEST_SKIPPED)

# The score part every lab has; benchmark kinds add theirs under their own names.
HIDDEN_TESTS = "hidden_tests"
SUITES = ("visible", "hidden")

# Keys every benchmark runner's result carries (benchmarks/<kind>.py); the rest are its figures.
BENCHMARK_KEYS = ("passed", "score", "summary")

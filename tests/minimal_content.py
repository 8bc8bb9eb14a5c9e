"""A minimal valid content tree, written to disk so loader tests can break one thing at a time."""

from __future__ import annotations

from pathlib import Path
from textwrap import dedent

COMPETENCIES = """\
competencies:
  - {slug: research-depth, name: Research depth, description: Depth.}
  - {slug: ml-coding, name: ML coding, description: Code.}
"""

RUBRIC = """\
title: Basic
description: A two-level rubric.
applies_to: [written]
scale:
  - {score: 1, label: Below bar, bar: null}
  - {score: 2, label: Senior, bar: senior}
dimensions:
  - slug: depth
    title: Depth
    weight: 1.0
    descriptors:
      1: Shallow.
      2: Deep.
"""

WRITTEN = """\
title: Explain CTC
kind: written
competencies: [research-depth]
rubric: basic
time_estimate_minutes: 30
summary: CTC in a paragraph.
guidance:
  strong_answer: [alignment, independence]
  failure_modes: [confuses with attention, no streaming]
  follow_ups: [why blank, why LM]
"""

CODING = """\
title: Add two numbers
kind: coding
competencies: [ml-coding]
time_estimate_minutes: 20
summary: Addition.
guidance:
  strong_answer: [adds, tests]
  failure_modes: [subtracts, concatenates]
  follow_ups: [floats, overflow]
coding:
  entrypoint: solution.py
  resources: {cpus: 1, memory_mb: 256, wall_seconds: 20, gpu: false}
  scoring:
    hidden_tests: 1.0
    core: {tests: [test_add], cap: 0.3}
"""

TRACK = """\
title: Mini track
summary: A small track.
description: Hello.
scoring: {automated_weight: 0.5, human_weight: 0.5}
sections:
  - slug: one
    title: One
    time_limit_minutes: 30
    questions:
      - {question: explain-ctc, weight: 1.0}
  - slug: two
    title: Two
    time_limit_minutes: 20
    questions:
      - {question: add-two, weight: 2.0}
"""

TEST = "from solution import add\n\ndef test_add():\n    assert add(2, 3) == 5\n"


def write(root: Path) -> None:
    ex = root / "exercises"
    files = {
        "exercises/competencies.yaml": COMPETENCIES,
        "rubrics/basic.yaml": RUBRIC,
        "exercises/explain-ctc/question.yaml": WRITTEN,
        "exercises/explain-ctc/prompt.md": "Explain **CTC**.\n",
        "exercises/add-two/question.yaml": CODING,
        "exercises/add-two/prompt.md": "Write `add(a, b)`.\n",
        "exercises/add-two/starter/solution.py": "def add(a, b):\n    raise NotImplementedError\n",
        "exercises/add-two/reference/solution.py": "def add(a, b):\n    return a + b\n",
        "exercises/add-two/tests/visible/test_visible.py": TEST,
        "exercises/add-two/tests/hidden/test_hidden.py": TEST,
        "exercises/tracks/mini.yaml": TRACK,
    }
    for i, body in enumerate(["a - b", "a * b", "str(a) + str(b)", "0"]):
        files[f"exercises/add-two/variants/wrong/w{i}.py"] = f"def add(a, b):\n    return {body}\n"
    files["exercises/add-two/variants/core/subtracts.py"] = "def add(a, b):\n    return a - b\n"
    for i, body in enumerate(["sum([a, b])", "b + a"]):
        files[f"exercises/add-two/variants/right/r{i}.py"] = f"def add(a, b):\n    return {body}\n"
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(dedent(text))
    assert ex.is_dir()

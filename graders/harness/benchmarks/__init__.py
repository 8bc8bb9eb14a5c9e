"""Benchmark runners, one module per kind: `benchmarks/<kind>.py` defines

    run(cfg, *, candidate, reference, module, private) -> dict

returning at least `passed` (bool), `score` (0..1) and `summary` (one line for people), then its
figures. The kind's content schema is in assessments/content/benchmarks.py and its display in
graders/templates/graders/benchmarks/<kind>.html; the graders app checks the three agree.
"""

from __future__ import annotations

import importlib
from pathlib import Path

from harness_api import CandidateError, CandidateProcess

HERE = Path(__file__).resolve().parent


def kinds() -> list[str]:
    """The benchmark kinds this harness can run: one module each in this folder."""
    return sorted(p.stem for p in HERE.glob("*.py") if not p.name.startswith("_"))


def run_all(config: dict, *, candidate: CandidateProcess, reference: CandidateProcess, module: str,
            private: Path) -> dict:
    out = {}
    for kind, cfg in config.items():
        if kind not in kinds():
            out[kind] = {"passed": False, "score": 0.0, "summary": f"no runner for benchmark kind {kind!r}",
                         "error": f"this harness has no benchmarks/{kind}.py"}
            continue
        runner = importlib.import_module(f"{__name__}.{kind}")
        try:
            out[kind] = runner.run(cfg, candidate=candidate, reference=reference, module=module, private=private)
        except CandidateError as exc:
            out[kind] = {"passed": False, "score": 0.0, "summary": f"stopped: {str(exc)[:200]}",
                         "error": str(exc)[:500]}
    return out

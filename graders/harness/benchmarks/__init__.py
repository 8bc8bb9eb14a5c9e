"""Benchmark runners, one module per kind: `benchmarks/<kind>.py` defines

    run(cfg, *, candidate, reference, module, private) -> dict

returning at least `passed` (bool), `score` (0..1) and `summary` (one line for people), then its
figures. A kind whose reference side does not depend on the candidate may also define

    reference_figures(cfg, *, reference, module, private) -> dict   (plain JSON: what the host caches)

and accept `cached=` (that dict, from an earlier reference-only job) in `run`. The kind's
content schema is in assessments/content/benchmarks.py and its display in
graders/templates/graders/benchmarks/<kind>.html; the graders app checks the three agree.
"""

from __future__ import annotations

import importlib
import threading
import time
from pathlib import Path

from harness_api import CandidateError, CandidateProcess

HERE = Path(__file__).resolve().parent


def kinds() -> list[str]:
    """The benchmark kinds this harness can run: one module each in this folder."""
    return sorted(p.stem for p in HERE.glob("*.py") if not p.name.startswith("_"))


def run_all(config: dict, *, candidate: CandidateProcess, reference: CandidateProcess, module: str,
            private: Path, cached: dict | None = None, done: dict | None = None,
            candidates: dict[str, CandidateProcess] | None = None) -> dict:
    """Every benchmark of `config`, in its order. `done`: results already measured (start_early); `candidates`: a
    kind's own candidate process, when it has one; `cached`: the reference's figures by kind (reference_figures)."""
    out = {}
    for kind, cfg in config.items():
        if done and kind in done:
            out[kind] = done[kind]
            continue
        out[kind] = run_one(kind, cfg, candidate=(candidates or {}).get(kind, candidate), reference=reference,
                            module=module, private=private, cached=(cached or {}).get(kind))
    return out


def run_one(kind: str, cfg: dict, *, candidate: CandidateProcess, reference: CandidateProcess | None, module: str,
            private: Path, cached: dict | None = None) -> dict:
    if kind not in kinds():
        return {"passed": False, "score": 0.0, "summary": f"no runner for benchmark kind {kind!r}",
                "error": f"this harness has no benchmarks/{kind}.py"}
    runner = importlib.import_module(f"{__name__}.{kind}")
    extra = {"cached": cached} if cached is not None and hasattr(runner, "reference_figures") else {}
    try:
        return runner.run(cfg, candidate=candidate, reference=reference, module=module, private=private, **extra)
    except CandidateError as exc:
        return {"passed": False, "score": 0.0, "summary": f"stopped: {str(exc)[:200]}", "error": str(exc)[:500]}


def reference_figures_all(config: dict, *, reference: CandidateProcess, module: str, private: Path) -> dict:
    """What each kind caches of the reference (reference-only job): {kind: figures} for the kinds that can."""
    out = {}
    for kind, cfg in config.items():
        if kind not in kinds():
            continue
        runner = importlib.import_module(f"{__name__}.{kind}")
        if hasattr(runner, "reference_figures"):
            out[kind] = runner.reference_figures(cfg, reference=reference, module=module, private=private)
    return out


class Early:
    """Benchmarks measured in a thread while the tests run (only kinds that time nothing: their figures do not
    depend on sharing the CPU, and whose reference side is cached, so no reference process competes)."""

    def __init__(self, config: dict, *, candidates: dict[str, CandidateProcess], module: str, private: Path,
                 cached: dict):
        self._out: dict = {}
        self._error: BaseException | None = None
        self.seconds = 0.0

        def work() -> None:
            t0 = time.monotonic()
            try:
                for kind, cfg in config.items():
                    self._out[kind] = run_one(kind, cfg, candidate=candidates[kind], reference=None, module=module,
                                              private=private, cached=cached.get(kind))
            except BaseException as exc:  # noqa: BLE001 - the harness broke: raised again in the main thread
                self._error = exc
            self.seconds = round(time.monotonic() - t0, 3)

        self._thread = threading.Thread(target=work, name="benchmarks-early", daemon=True)
        self._thread.start()

    def join(self) -> None:
        self._thread.join()

    def results(self) -> dict:
        self._thread.join()
        if self._error is not None:
            raise self._error  # a fault of the harness (sandbox-error), never the candidate's
        return dict(self._out)


def start_early(config: dict, *, candidates: dict[str, CandidateProcess], module: str, private: Path,
                cached: dict) -> Early:
    return Early(config, candidates=candidates, module=module, private=private, cached=cached)

"""Latency gate: the candidate's median time per call against the reference's, in the same sandbox.

Timing is taken on the harness side around each round trip, with inputs staged in the process first
and the output left there (it was checked against the reference's on untimed calls), so what is timed
is the call's compute, not the cost of moving arrays between processes, and a candidate cannot report
its own speed; the reference runs in a twin process, and the two alternate so drift hits both alike.
"""

from __future__ import annotations

import importlib.util
import math
import statistics
import time
from pathlib import Path

from harness_api import CLOCK_TICKS, CandidateProcess


def _load_callable(private: Path, spec: str):
    rel, _, func = spec.partition(":")
    path = (private / rel).resolve()
    if private.resolve() not in path.parents:
        raise ValueError(f"benchmark input {spec!r} is outside the exercise's private files")
    loaded = importlib.util.spec_from_file_location(f"bench_{path.stem}", path)
    mod = importlib.util.module_from_spec(loaded)
    loaded.loader.exec_module(mod)
    return getattr(mod, func)


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    if not ordered:
        return float("nan")
    k = (len(ordered) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def _timings(samples: list[float]) -> dict:
    return {"n": len(samples), "p50_ms": round(percentile(samples, 0.5) * 1e3, 3),
            "p95_ms": round(percentile(samples, 0.95) * 1e3, 3), "p99_ms": round(percentile(samples, 0.99) * 1e3, 3),
            "min_ms": round(min(samples) * 1e3, 3)}


def _same(a, b, atol: float, rtol: float) -> bool:
    try:
        import torch

        if isinstance(a, torch.Tensor) or isinstance(b, torch.Tensor):
            return (isinstance(a, torch.Tensor) and isinstance(b, torch.Tensor) and a.shape == b.shape
                    and a.dtype == b.dtype and bool(torch.allclose(a, b, atol=atol, rtol=rtol, equal_nan=True)))
    except ImportError:
        pass
    if isinstance(a, list | tuple) and isinstance(b, list | tuple):
        return len(a) == len(b) and all(_same(x, y, atol, rtol) for x, y in zip(a, b, strict=True))
    return a == b


MAX_ROUNDS = 3          # rounds of `repeats` timed pairs at most, while the decision stays unclear
CONFIDENCE = 0.95
# The interval says how sure one grading is; between gradings of the same code the median itself moved by up
# to ~8% on a shared 2-core host (CPU frequency, caches, neighbours). A decision therefore needs the interval
# clear of the gate by this much, else it is inconclusive: a clear pass and a clear fail of the same code
# cannot both happen.
GATE_MARGIN = 0.15


def ratio_interval(ratios: list[float], confidence: float = CONFIDENCE) -> tuple[float, float, float]:
    """(median, low, high): the median of the paired ratios and a distribution-free interval for it from order
    statistics (the binomial ranks around the median), so no assumption about how timings are spread."""
    ordered = sorted(ratios)
    n = len(ordered)
    alpha = 1.0 - confidence
    k, tail = 0, 0.0  # the largest k with P(Bin(n, 1/2) <= k - 1) <= alpha / 2
    for j in range(n // 2 + 1):
        tail += math.comb(n, j) / 2 ** n
        if tail > alpha / 2:
            break
        k = j + 1
    low = ordered[max(k - 1, 0)] if k else ordered[0]
    high = ordered[min(n - k, n - 1)] if k else ordered[-1]
    return statistics.median(ordered), low, high


def _timed(proc: CandidateProcess, other: CandidateProcess, module: str, func: str, key: str,
           events: dict) -> tuple[float, int]:
    """One timed call with everything of the other side stopped: (wall seconds, CPU ticks of the call).

    The candidate is frozen whenever it is not being timed, so none of its processes (a forked CPU burner, a
    detached child) can share the sandbox's CPU with the reference while the reference is timed.
    """
    if not other.freeze():
        events["unfrozen"] += 1
    proc.thaw()
    cpu0 = proc.cpu_ticks()
    t0 = time.perf_counter()
    proc.call_staged(module, func, key, discard=True)  # inputs staged, output kept there: only compute is timed
    wall = time.perf_counter() - t0
    return wall, proc.cpu_ticks() - cpu0


def run(cfg: dict, *, candidate: CandidateProcess, reference: CandidateProcess, module: str, private: Path) -> dict:
    func = cfg["callable"]
    inputs = _load_callable(private, cfg["inputs"])()
    warmup, repeats = int(cfg.get("warmup", 3)), int(cfg.get("repeats", 21))
    atol, rtol = float(cfg.get("atol", 1e-4)), float(cfg.get("rtol", 1e-4))
    max_ratio = float(cfg["max_ratio"])
    keys = []
    for i, (args, kwargs) in enumerate(inputs):
        key = f"lat{i}"
        candidate.stage(key, tuple(args), dict(kwargs))
        reference.stage(key, tuple(args), dict(kwargs))
        keys.append(key)
    mismatches = []
    for key in keys:  # correctness on the benchmark inputs gates the speed score
        if not _same(candidate.call_staged(module, func, key), reference.call_staged(module, func, key), atol, rtol):
            mismatches.append(key)
    events = {"unfrozen": 0}
    background0 = candidate.cpu_ticks(others=True)
    for i in range(warmup):
        _timed(candidate, reference, module, func, keys[i % len(keys)], events)
        _timed(reference, candidate, module, func, keys[i % len(keys)], events)
    cand, ref, ratios, cand_cpu, ref_cpu = [], [], [], [], []
    rounds, decision = 0, "inconclusive"
    while rounds < MAX_ROUNDS:
        rounds += 1
        for i in range(repeats):
            key = keys[(len(ratios)) % len(keys)]
            # Alternate who goes first so drift (thermal, caches, noisy neighbours) hits both alike; the ratio
            # is taken within each pair, on the same input.
            if i % 2 == 0:
                c, r = _timed(candidate, reference, module, func, key, events), _timed(
                    reference, candidate, module, func, key, events)
            else:
                r = _timed(reference, candidate, module, func, key, events)
                c = _timed(candidate, reference, module, func, key, events)
            cand.append(c[0])
            ref.append(r[0])
            cand_cpu.append(c[1])
            ref_cpu.append(r[1])
            ratios.append(c[0] / max(r[0], 1e-9))
        ratio, low, high = ratio_interval(ratios)
        if high <= max_ratio / (1 + GATE_MARGIN):
            decision = "pass"
            break
        if low >= max_ratio * (1 + GATE_MARGIN):
            decision = "fail"
            break
    candidate.thaw()
    background_ticks = candidate.cpu_ticks(others=True) - background0
    # Inconclusive after MAX_ROUNDS: the interval is still within the margin of the gate, so the measurement
    # cannot show the code is slower than allowed; it passes, and interviewers see "inconclusive" with it.
    passed = not mismatches and decision != "fail" and not events["unfrozen"]
    summary = (f"median {ratio:.2f}x the reference (95% interval {low:.2f}-{high:.2f}; gate {max_ratio:g}x): "
               f"{decision}" + (f" after {rounds} rounds" if rounds > 1 else ""))
    if mismatches:
        summary += f"; outputs differ from the reference on {len(mismatches)} of {len(keys)} inputs"
    if events["unfrozen"]:
        summary += "; some candidate processes would not stop while the reference was timed"
    return {"passed": passed, "score": 1.0 if passed else 0.0, "summary": summary,
            "ratio": round(ratio, 4), "ratio_low": round(low, 4), "ratio_high": round(high, 4),
            "decision": decision, "rounds": rounds, "max_ratio": max_ratio,
            "candidate": {**_timings(cand), "cpu_p50_ms": _ticks_ms(statistics.median(cand_cpu)),
                          "background_cpu_ms": _ticks_ms(background_ticks)},
            "reference": {**_timings(ref), "cpu_p50_ms": _ticks_ms(statistics.median(ref_cpu))},
            "inputs": len(keys), "outputs_match_reference": not mismatches, "unfrozen": events["unfrozen"]}


def _ticks_ms(ticks: float) -> float:
    return round(ticks * 1000.0 / CLOCK_TICKS, 1)

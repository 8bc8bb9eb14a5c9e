"""Latency gate: the candidate's median time per call against the reference's, in the same sandbox.

Timing is taken on the harness side around each round trip, with inputs staged in the process
first, so a candidate cannot report its own speed; the reference runs in a twin process, and the
two alternate so drift hits both alike. Correct outputs on the benchmark inputs gate the speed score.
"""

from __future__ import annotations

import importlib.util
import statistics
import time
from pathlib import Path

from harness_api import CandidateProcess


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


def run(cfg: dict, *, candidate: CandidateProcess, reference: CandidateProcess, module: str, private: Path) -> dict:
    func = cfg["callable"]
    inputs = _load_callable(private, cfg["inputs"])()
    warmup, repeats = int(cfg.get("warmup", 3)), int(cfg.get("repeats", 21))
    atol, rtol = float(cfg.get("atol", 1e-4)), float(cfg.get("rtol", 1e-4))
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
    for i in range(warmup):
        candidate.call_staged(module, func, keys[i % len(keys)])
        reference.call_staged(module, func, keys[i % len(keys)])
    cand, ref = [], []
    for i in range(repeats):
        key = keys[i % len(keys)]
        # Alternate who goes first so drift (thermal, caches, noisy neighbours) hits both alike.
        order = ((candidate, cand), (reference, ref)) if i % 2 == 0 else ((reference, ref), (candidate, cand))
        for proc, bucket in order:
            t0 = time.perf_counter()
            proc.call_staged(module, func, key)
            bucket.append(time.perf_counter() - t0)
    ratio = statistics.median(cand) / statistics.median(ref)
    max_ratio = float(cfg["max_ratio"])
    passed = not mismatches and ratio <= max_ratio
    summary = f"median {ratio:.2f}x the reference (gate {max_ratio:g}x)"
    if mismatches:
        summary += f"; outputs differ from the reference on {len(mismatches)} of {len(keys)} inputs"
    return {"passed": passed, "score": 1.0 if passed else 0.0, "summary": summary,
            "ratio": round(ratio, 4), "max_ratio": max_ratio,
            "candidate": _timings(cand), "reference": _timings(ref), "inputs": len(keys),
            "outputs_match_reference": not mismatches}

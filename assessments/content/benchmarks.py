"""The benchmark kinds a coding lab may declare under `coding.benchmarks`, one schema entry each.

A benchmark kind is three things, one file each: its entry here (the fields question.yaml may give
it), its runner `graders/harness/benchmarks/<kind>.py` (runs in the sandbox and returns `passed`,
`score`, a one-line `summary` and its figures) and its partial `graders/benchmarks/<kind>.html`
(how interviewers read the figures). The graders app checks at start-up that the three agree, so a
kind missing one of them stops the process with the file to add (graders.registry).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from .reader import Reader

Check = Callable[[Reader, str, dict], None]


def _no_check(r: Reader, where: str, cfg: dict) -> None:
    return None


@dataclass(frozen=True)
class BenchmarkSchema:
    kind: str
    required: frozenset[str]
    optional: frozenset[str] = frozenset()
    # Fields naming a private data file of the lab: "bench/<path>", or "bench/<path>:<function>".
    data_fields: tuple[str, ...] = ()
    check: Check = _no_check  # the kind's own rules, recorded as issues on the reader


BENCHMARK_KINDS: dict[str, BenchmarkSchema] = {}


def register(schema: BenchmarkSchema) -> BenchmarkSchema:
    if "callable" not in schema.required:
        raise ValueError(f"benchmark kind {schema.kind!r}: every kind calls a function of the candidate's module")
    BENCHMARK_KINDS[schema.kind] = schema
    return schema


def validate_benchmarks(r: Reader, raw: Any, files: Mapping[str, Any]) -> dict[str, dict]:
    if not raw:
        return {}
    known = ", ".join(sorted(BENCHMARK_KINDS))
    if not isinstance(raw, dict):
        r.error("coding.benchmarks", f"must map benchmark names ({known}) to their settings")
        return {}
    out = {}
    for name, cfg in raw.items():
        where = f"coding.benchmarks.{name}"
        schema = BENCHMARK_KINDS.get(name)
        if schema is None:
            r.error(where, f"is not a known benchmark ({known})")
            continue
        cfg = r.mapping(cfg, where, required=set(schema.required), optional=set(schema.optional))
        if not isinstance(cfg.get("callable"), str) or not cfg.get("callable", "").isidentifier():
            r.error(f"{where}.callable", "must name a function of the entrypoint module")
        for key in schema.data_fields:
            if key in cfg:
                path = str(cfg[key]).partition(":")[0]
                if not path.startswith("bench/"):
                    r.error(f"{where}.{key}", f"must point into bench/ (got {cfg[key]!r})")
                elif path not in files:
                    r.error(f"{where}.{key}", f"{path} does not exist in the exercise folder")
        schema.check(r, where, cfg)
        out[name] = cfg
    return out


# --- the kinds -----------------------------------------------------------------------------------


def _check_latency(r: Reader, where: str, cfg: dict) -> None:
    if "inputs" in cfg and ":" not in str(cfg["inputs"]):
        r.error(f"{where}.inputs", "must be 'bench/<file>.py:<function>'")
    r.number(cfg, "max_ratio", f"{where}.max_ratio", 1.0, 100, 2.0)
    r.integer(cfg, "repeats", f"{where}.repeats", 5, 1000)
    r.integer(cfg, "warmup", f"{where}.warmup", 0, 100)


_WER_THRESHOLDS = {"max_general_wer_ratio", "min_domain_term_recall", "max_false_alarm_rate"}


def _check_wer(r: Reader, where: str, cfg: dict) -> None:
    if cfg.get("normalizer", "basic") != "basic":
        r.error(f"{where}.normalizer", f"must be 'basic' (got {cfg.get('normalizer')!r})")
    th = r.mapping(cfg.get("thresholds", {}), f"{where}.thresholds", required=set(), optional=_WER_THRESHOLDS)
    for key in th:
        if key in _WER_THRESHOLDS:
            r.number(th, key, f"{where}.thresholds.{key}", 0, 100, 1.0)


register(BenchmarkSchema(
    kind="latency", required=frozenset({"callable", "inputs", "max_ratio"}),
    optional=frozenset({"warmup", "repeats", "atol", "rtol"}), data_fields=("inputs",), check=_check_latency))
register(BenchmarkSchema(
    kind="wer", required=frozenset({"callable", "manifest", "domain_terms", "thresholds"}),
    optional=frozenset({"normalizer", "general_slice"}), data_fields=("manifest", "domain_terms"), check=_check_wer))

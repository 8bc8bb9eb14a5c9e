"""WER benchmark: corpus WER/CER by slice and domain-term recall, candidate and reference in the same run.

Candidate and reference transcribe every utterance, each in its own process and at the same time;
both go through the declared normaliser (docs/grading.md, "The WER benchmark").
"""

from __future__ import annotations

import json
import re
import time
import wave
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from harness_api import CandidateError, CandidateProcess

_ONES = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve",
         "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen"]
_TENS = ["", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]


def number_words(n: int) -> str:
    """Cardinal words for 0 <= n < 1,000,000 ("twenty one", "three hundred five")."""
    if n < 20:
        return _ONES[n]
    if n < 100:
        return _TENS[n // 10] + ("" if n % 10 == 0 else " " + _ONES[n % 10])
    if n < 1000:
        return _ONES[n // 100] + " hundred" + ("" if n % 100 == 0 else " " + number_words(n % 100))
    return number_words(n // 1000) + " thousand" + ("" if n % 1000 == 0 else " " + number_words(n % 1000))


def normalize_basic(text: str) -> str:
    """The declared 'basic' normaliser, applied to reference and hypothesis alike.

    Lowercase; integers below a million become words; punctuation becomes space except an
    apostrophe between letters ("don't" stays); whitespace collapses.
    """
    text = text.lower().replace("\u2019", "'")
    text = re.sub(r"\d+", lambda m: f" {number_words(int(m.group()))} " if len(m.group()) <= 6
                  else " " + " ".join(_ONES[int(d)] for d in m.group()) + " ", text)
    text = re.sub(r"(?<![a-z])'|'(?![a-z])", " ", text)
    text = re.sub(r"[^a-z' ]+", " ", text)
    return " ".join(text.split())


NORMALIZERS = {"basic": normalize_basic}


def _term_counts(text: str, terms: list[str]) -> dict[str, int]:
    padded = f" {text} "
    return {t: padded.count(f" {t} ") for t in terms}


def wer_figures(rows: list[dict], terms: list[str]) -> dict:
    """Corpus WER/CER overall and per slice, and domain-term recall and false alarms.

    rows: {"slice", "reference", "hypothesis"} already normalised.
    """
    import jiwer

    def corpus(subset: list[dict]) -> dict:
        refs = [r["reference"] for r in subset if r["reference"]]
        hyps = [r["hypothesis"] for r in subset if r["reference"]]
        if not refs:
            return {"wer": None, "cer": None, "n_utts": 0}
        return {"wer": round(jiwer.wer(refs, hyps), 4), "cer": round(jiwer.cer(refs, hyps), 4), "n_utts": len(refs)}

    slices = sorted({r["slice"] for r in rows})
    hits = total = false_alarms = 0
    for r in rows:
        ref_counts, hyp_counts = _term_counts(r["reference"], terms), _term_counts(r["hypothesis"], terms)
        for t in terms:
            total += ref_counts[t]
            hits += min(ref_counts[t], hyp_counts[t])
            false_alarms += max(0, hyp_counts[t] - ref_counts[t])
    return {"overall": corpus(rows), "slices": {s: corpus([r for r in rows if r["slice"] == s]) for s in slices},
            "domain_terms": {"occurrences": total, "recalled": hits,
                             "recall": round(hits / total, 4) if total else None,
                             "false_alarms": false_alarms,
                             "false_alarm_rate": round(false_alarms / max(1, len(rows)), 4)}}


def _read_wav(path: Path):
    import numpy as np

    with wave.open(str(path), "rb") as wav:
        if wav.getsampwidth() != 2 or wav.getnchannels() != 1:
            raise ValueError(f"{path.name}: expected 16-bit mono audio")
        rate = wav.getframerate()
        samples = np.frombuffer(wav.readframes(wav.getnframes()), dtype="<i2").astype(np.int16)
    return samples, rate


def _hypotheses(proc: CandidateProcess, side: str, manifest: list[dict], audio: list, module: str, func: str,
                errors: list[str]) -> list[str]:
    """One transcript per utterance, in manifest order ("" for a call that raised or returned a non-str)."""
    out = []
    for item, (samples, rate) in zip(manifest, audio, strict=True):
        try:
            hyp = proc.call(module, func, (samples, rate), {})
        except CandidateError as exc:
            if side == "candidate" and proc.dead_reason:
                raise
            hyp = ""
            errors.append(f"{item['id']}: {exc}"[:300])
        out.append(hyp if isinstance(hyp, str) else "")
    return out


def _rows(manifest: list[dict], hypotheses: list[str], normalize) -> list[dict]:
    return [{"id": item["id"], "slice": item["slice"], "reference": normalize(item["text"]),
             "hypothesis": normalize(hyp)} for item, hyp in zip(manifest, hypotheses, strict=True)]


def _transcribe_all(proc: CandidateProcess, side: str, manifest: list[dict], audio: list, module: str, func: str,
                    normalize, errors: list[str]) -> list[dict]:
    own: list[str] = []
    rows = _rows(manifest, _hypotheses(proc, side, manifest, audio, module, func, own), normalize)
    if side == "candidate":
        errors.extend(own)
    return rows


def _load(cfg: dict, private: Path) -> tuple[list[dict], list]:
    manifest = json.loads((private / cfg["manifest"]).read_text())
    return manifest, [_read_wav(private / item["audio"]) for item in manifest]


def reference_figures(cfg: dict, *, reference: CandidateProcess, module: str, private: Path) -> dict:
    """The reference's raw transcripts, for the host's cache (a reference-only job: no candidate in the sandbox).

    Decoded exactly as a grading's reference side decodes them (one fresh process, manifest order); `errors` lists
    calls that raised, and the host caches nothing when there are any.
    """
    manifest, audio = _load(cfg, private)
    errors: list[str] = []
    t0 = time.perf_counter()
    hyps = _hypotheses(reference, "reference", manifest, audio, module, cfg["callable"], errors)
    return {"hypotheses": {item["id"]: hyp for item, hyp in zip(manifest, hyps, strict=True)},
            "errors": errors[:10], "seconds": round(time.perf_counter() - t0, 2)}


def _cached_rows(cached: dict | None, manifest: list[dict], normalize) -> list[dict] | None:
    """The reference's rows from the cache, or None when it does not cover this manifest (then decode as before)."""
    hyps = (cached or {}).get("hypotheses")
    if not isinstance(hyps, dict) or (cached or {}).get("errors"):
        return None
    if not all(isinstance(hyps.get(item["id"]), str) for item in manifest):
        return None
    return _rows(manifest, [hyps[item["id"]] for item in manifest], normalize)


def wer_verdict(cand: dict, ref: dict, thresholds: dict, general: str = "general") -> dict:
    """Checks and score for the WER benchmark, from the candidate's and the reference's figures.

    Domain-term recall earns credit in proportion to the required recall (capped at 1); the guards
    (no general-slice regression, and the false-alarm cap when one is declared) halve that credit
    when they fail. A candidate that does not improve recall at all scores 0, however clean the
    general slice stays: leaving the stock recogniser untouched is not half a solution.
    """
    c_gen, r_gen = cand["slices"].get(general, {}).get("wer"), ref["slices"].get(general, {}).get("wer")
    max_ratio = float(thresholds.get("max_general_wer_ratio", 1.1))
    # A ratio alone is unstable when the reference is near 0 WER: allow one point absolute too.
    checks = {"general_no_regression": c_gen is not None and r_gen is not None
              and c_gen <= max(r_gen * max_ratio, r_gen + 0.01)}
    recall = cand["domain_terms"]["recall"]
    min_recall = float(thresholds.get("min_domain_term_recall", 0.6))
    checks["domain_term_recall"] = recall is not None and recall >= min_recall
    max_fa = thresholds.get("max_false_alarm_rate")
    if max_fa is not None:
        checks["false_alarms"] = cand["domain_terms"]["false_alarm_rate"] <= float(max_fa)
    credit = min(1.0, (recall or 0.0) / min_recall) if min_recall > 0 else float(checks["domain_term_recall"])
    guards_ok = all(ok for name, ok in checks.items() if name != "domain_term_recall")
    return {"passed": all(checks.values()), "score": round(credit * (1.0 if guards_ok else 0.5), 4), "checks": checks}


def run(cfg: dict, *, candidate: CandidateProcess, reference: CandidateProcess | None, module: str, private: Path,
        cached: dict | None = None) -> dict:
    func = cfg["callable"]
    normalize = NORMALIZERS[cfg.get("normalizer", "basic")]
    manifest, audio = _load(cfg, private)
    terms = [normalize(t) for t in (private / cfg["domain_terms"]).read_text().splitlines() if t.strip()]
    errors: list[str] = []
    t0 = time.perf_counter()
    ref_rows = _cached_rows(cached, manifest, normalize)
    if ref_rows is not None:
        rows = {"candidate": _transcribe_all(candidate, "candidate", manifest, audio, module, func, normalize, errors),
                "reference": ref_rows}
    elif reference is None:
        raise RuntimeError("the WER benchmark has neither the reference's cached transcripts nor its process")
    else:
        # Candidate and reference are separate processes: decode the set in both at once, so a
        # sandbox with two CPUs finishes in half the time (the figures do not depend on timing).
        with ThreadPoolExecutor(max_workers=2) as pool:
            futures = {side: pool.submit(_transcribe_all, proc, side, manifest, audio, module, func, normalize,
                                         errors)
                       for side, proc in (("candidate", candidate), ("reference", reference))}
            rows = {side: f.result() for side, f in futures.items()}
    cand, ref = wer_figures(rows["candidate"], terms), wer_figures(rows["reference"], terms)
    th = cfg.get("thresholds", {})
    general = cfg.get("general_slice", "general")
    verdict = wer_verdict(cand, ref, th, general)
    recall = cand["domain_terms"]["recall"]
    summary = (f"domain-term recall {'n/a' if recall is None else f'{recall:.2f}'} "
               f"(reference {_fmt(ref['domain_terms']['recall'])}); {general} WER "
               f"{_fmt(cand['slices'].get(general, {}).get('wer'))} (reference "
               f"{_fmt(ref['slices'].get(general, {}).get('wer'))}); "
               f"{cand['domain_terms']['false_alarms']} false alarm(s)")
    return {**verdict, "summary": summary,
            "candidate": cand, "reference": ref, "thresholds": th,
            "utterances": len(manifest), "errors": errors[:10],
            "seconds": round(time.perf_counter() - t0, 2)}


def _fmt(value) -> str:
    return "n/a" if value is None else f"{value:.2f}"

"""Wrong: stock decoder plus fuzzy post-processing. Every run of one to three hypothesis words is
compared (letters only, difflib ratio) with every term, and anything at least 55% similar is
replaced by the term. The threshold is far too loose for short words: ordinary words and
phrases turn into terms (false alarms), and the general slice regresses.
"""

from __future__ import annotations

import difflib

import numpy as np
from pocketsphinx import Decoder

SAMPLE_RATE = 16000
TERMS = ["kubernetes", "pytorch", "tensorflow", "conformer", "diarization", "grafana", "kibana",
         "jupyter", "postgres", "terraform", "tokenizer", "spectrogram", "kaldi", "numpy"]
MIN_SIMILARITY = 0.55

_decoder: Decoder | None = None


def _best_term(chunk: str) -> tuple[float, str]:
    return max((difflib.SequenceMatcher(None, chunk, t).ratio(), t) for t in TERMS)


def _fix_terms(words: list[str]) -> list[str]:
    out, i = [], 0
    while i < len(words):
        best = None
        for n in (3, 2, 1):
            if i + n > len(words):
                continue
            score, term = _best_term("".join(words[i:i + n]))
            if score >= MIN_SIMILARITY and (best is None or score > best[0]):
                best = (score, term, n)
        if best:
            out.append(best[1])
            i += best[2]
        else:
            out.append(words[i])
            i += 1
    return out


def transcribe(samples: np.ndarray, sample_rate: int) -> str:
    global _decoder
    if sample_rate != SAMPLE_RATE:
        raise ValueError(f"expected {SAMPLE_RATE} Hz audio, got {sample_rate}")
    audio = np.ascontiguousarray(samples, dtype=np.int16).reshape(-1)
    if audio.size == 0:
        return ""
    if _decoder is None:
        _decoder = Decoder(samprate=SAMPLE_RATE, loglevel="FATAL")
    _decoder.reinit_feat()
    _decoder.start_utt()
    _decoder.process_raw(audio.tobytes(), full_utt=True)
    _decoder.end_utt()
    hyp = _decoder.hyp()
    return " ".join(_fix_terms(hyp.hypstr.split())) if hyp is not None else ""

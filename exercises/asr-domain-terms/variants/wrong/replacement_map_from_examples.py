"""Wrong: stock decoder plus a find-and-replace table built from how the starter misheard the
visible example clips (and a few guesses). Several keys are ordinary words ("like", "call",
"post", "former", "level"), so general sentences get rewritten into domain terms: false alarms,
and the general-slice WER regresses. The table only covers the exact mishearings it was built
from, so recall on new voices and sentences stays low as well.
"""

from __future__ import annotations

import re

import numpy as np
from pocketsphinx import Decoder

SAMPLE_RATE = 16000

# misrecognition -> term, longest first so multi-word keys win
REPLACEMENTS = {
    "or to learn": "kubernetes",
    "coke with their": "tokenizer",
    "like swords": "pytorch",
    "code either": "tokenizer",
    "enough or": "terraform",
    "the former": "the conformer",
    "jupiter": "jupyter",
    "former": "conformer",
    "level": "grafana",
    "like": "pytorch",
    "call": "kaldi",
    "post": "postgres",
    "numb": "numpy",
    "spectrum": "spectrogram",
}
_PATTERN = re.compile(r"\b(" + "|".join(re.escape(k) for k in sorted(REPLACEMENTS, key=len, reverse=True)) + r")\b")

_decoder: Decoder | None = None


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
    text = hyp.hypstr if hyp is not None else ""
    return _PATTERN.sub(lambda m: REPLACEMENTS[m.group(1)], text)

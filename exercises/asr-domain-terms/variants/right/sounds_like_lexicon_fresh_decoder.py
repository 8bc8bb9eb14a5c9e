"""Right variant: pronunciations built from "sounds-like" spellings, a fresh decoder per call.

Instead of writing ARPAbet by hand, each term is spelled as a few ordinary words whose CMUdict
pronunciations concatenate to the term ("koo burr net ease" -> kubernetes); the phones are looked
up in the stock dictionary. The terms get a unigram boost in the LM. Determinism comes from
building a brand-new decoder for every call (simple and obviously stateless, ~0.3 s slower per
call than resetting the feature pipeline of a cached one).
"""

from __future__ import annotations

import numpy as np
from pocketsphinx import Decoder

SAMPLE_RATE = 16000
SOUNDS_LIKE = {
    "kubernetes": "koo burr net ease",
    "pytorch": "pie torch",
    "tensorflow": "tensor flow",
    "conformer": "con former",
    "diarization": "dyer is asian",
    "grafana": "graph ana",
    "kibana": "kibbe ana",
    "jupyter": "jupiter",
    "postgres": "post gress",
    "terraform": "terra form",
    "tokenizer": "token eyes er",
    "spectrogram": "spec trow gram",
    "kaldi": "call dee",
    "numpy": "numb pie",
}
BOOST = 300.0
_phones: dict[str, str] | None = None


def _lexicon(decoder: Decoder) -> dict[str, str]:
    global _phones
    if _phones is None:
        out = {}
        for term, spelling in SOUNDS_LIKE.items():
            parts = [decoder.lookup_word(piece) for piece in spelling.split()]
            if any(p is None for p in parts):
                raise RuntimeError(f"sounds-like spelling for {term!r} has a word missing from the dictionary")
            out[term] = " ".join(parts)
        _phones = out
    return _phones


def _new_decoder() -> Decoder:
    decoder = Decoder(samprate=SAMPLE_RATE, loglevel="FATAL")
    lexicon = _lexicon(decoder)
    lm = decoder.get_lm()
    for term in lexicon:
        lm.add_word(term, BOOST)
    for n, (term, phones) in enumerate(lexicon.items()):
        decoder.add_word(term, phones, update=(n == len(lexicon) - 1))
    return decoder


def transcribe(samples, sample_rate):
    if sample_rate != SAMPLE_RATE:
        raise ValueError(f"expected {SAMPLE_RATE} Hz audio, got {sample_rate}")
    audio = np.asarray(samples, dtype=np.int16).ravel()
    if not len(audio):
        return ""
    decoder = _new_decoder()
    decoder.start_utt()
    decoder.process_raw(audio.tobytes(), full_utt=True)
    decoder.end_utt()
    hyp = decoder.hyp()
    return "" if hyp is None else hyp.hypstr

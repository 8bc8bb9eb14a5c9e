"""Wrong: adds the terms to the pronunciation dictionary only.

Decoder.add_word() puts each new word into the LM with a uniform unigram probability (about 1 in
135k), so the search rarely prefers a term over in-vocabulary sound-alikes: domain-term recall
stays far below the threshold.
"""


from __future__ import annotations

import numpy as np
from pocketsphinx import Decoder

SAMPLE_RATE = 16000

# term -> pronunciations (first one is the canonical entry; others become "term(2)", "term(3)").
LEXICON: dict[str, list[str]] = {
    "kubernetes": ["K UW B ER N EH T IY Z", "K UW B ER N EH T IH S"],
    "pytorch": ["P AY T AO R CH"],
    "tensorflow": ["T EH N S ER F L OW", "T EH N S AH F L OW"],
    "conformer": ["K AH N F AO R M ER", "K AA N F AO R M ER"],
    "diarization": ["D AY ER AH Z EY SH AH N", "D AY ER AY Z EY SH AH N"],
    "grafana": ["G R AH F AA N AH"],
    "kibana": ["K IH B AA N AH", "K IY B AA N AH"],
    "jupyter": ["JH UW P IH T ER"],
    "postgres": ["P OW S T G R EH S", "P OW S T G R AH S"],
    "terraform": ["T EH R AH F AO R M"],
    "tokenizer": ["T OW K AH N AY Z ER"],
    "spectrogram": ["S P EH K T R AH G R AE M"],
    "kaldi": ["K AA L D IY", "K AE L D IY"],
    "numpy": ["N AH M P AY"],
}

# Unigram weight relative to a uniform distribution over the LM vocabulary.
TERM_WEIGHT = 100.0

_decoder: Decoder | None = None


def _build_decoder() -> Decoder:
    decoder = Decoder(samprate=SAMPLE_RATE, loglevel="FATAL")
    entries = [(word if i == 0 else f"{word}({i + 1})", phones)
               for word, prons in LEXICON.items() for i, phones in enumerate(prons)]
    for n, (word, phones) in enumerate(entries):
        decoder.add_word(word, phones, update=(n == len(entries) - 1))  # rebuild the search once
    return decoder


def transcribe(samples: np.ndarray, sample_rate: int) -> str:
    global _decoder
    if sample_rate != SAMPLE_RATE:
        raise ValueError(f"expected {SAMPLE_RATE} Hz audio, got {sample_rate}")
    audio = np.ascontiguousarray(samples, dtype=np.int16).reshape(-1)
    if audio.size == 0:
        return ""
    if _decoder is None:
        _decoder = _build_decoder()
    _decoder.reinit_feat()  # no feature state carried over from the previous call
    _decoder.start_utt()
    _decoder.process_raw(audio.tobytes(), full_utt=True)
    _decoder.end_utt()
    hyp = _decoder.hyp()
    return hyp.hypstr if hyp is not None else ""

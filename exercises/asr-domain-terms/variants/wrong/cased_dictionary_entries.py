"""Wrong: boosts the lowercase terms in the LM but adds the dictionary entries with their display
casing ("PyTorch", "NumPy"). pocketsphinx words are case-sensitive: the boosted LM entries have no
pronunciation, and the cased entries enter the LM with the default uniform weight, so the boost is
silently lost and recall stays low (the normaliser would have ignored the casing anyway).
"""


from __future__ import annotations

import numpy as np
from pocketsphinx import Decoder

SAMPLE_RATE = 16000

# term -> pronunciations (first one is the canonical entry; others become "term(2)", "term(3)").
DISPLAY = {"kubernetes": "Kubernetes", "pytorch": "PyTorch", "tensorflow": "TensorFlow", "conformer": "Conformer",
           "diarization": "diarization", "grafana": "Grafana", "kibana": "Kibana", "jupyter": "Jupyter",
           "postgres": "Postgres", "terraform": "Terraform", "tokenizer": "tokenizer", "spectrogram": "spectrogram",
           "kaldi": "Kaldi", "numpy": "NumPy"}

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
    lm = decoder.get_lm()
    for word in LEXICON:
        lm.add_word(word, TERM_WEIGHT)  # must come before add_word on the decoder (which uses weight 1)
    # spell the dictionary entries like the product names so the transcript looks right
    entries = [(DISPLAY[word] if i == 0 else f"{DISPLAY[word]}({i + 1})", phones)
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

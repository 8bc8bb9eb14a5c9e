"""Central mistake: a transcriber that only spots the terms. Recall is high, but ordinary speech comes back
as nothing (or a stray term): the recogniser no longer transcribes. Built from the keyword-spotting
pass alone."""

from __future__ import annotations

import os
import re
import tempfile

import numpy as np
from pocketsphinx import Decoder

SAMPLE_RATE = 16000
PRONUNCIATIONS = {
    "kubernetes": "K UW B ER N EH T IY Z", "pytorch": "P AY T AO R CH", "tensorflow": "T EH N S ER F L OW",
    "conformer": "K AH N F AO R M ER", "diarization": "D AY ER AH Z EY SH AH N", "grafana": "G R AH F AA N AH",
    "kibana": "K IH B AA N AH", "jupyter": "JH UW P IH T ER", "postgres": "P OW S T G R EH S",
    "terraform": "T EH R AH F AO R M", "tokenizer": "T OW K AH N AY Z ER",
    "spectrogram": "S P EH K T R AH G R AE M", "kaldi": "K AA L D IY", "numpy": "N AH M P AY",
}
THRESHOLD_EXP_PER_PHONE = 3.0  # threshold = 1e-(3 * number of phones)
NOT_SPOTTED = {"kaldi"}  # too confusable with "call me" (see above)
# Ignore a detection where the stock pass heard one of these everyday words in the same span.
CONFUSABLE = {"numpy": {"number", "numbers"}}

_state: tuple[Decoder, str] | None = None


def _setup() -> tuple[Decoder, str]:
    global _state
    if _state is None:
        decoder = Decoder(samprate=SAMPLE_RATE, loglevel="FATAL")
        lm_search = decoder.current_search()
        items = list(PRONUNCIATIONS.items())
        for n, (word, phones) in enumerate(items):
            decoder.add_word(word, phones, update=(n == len(items) - 1))
        # add_kws only reads a file; the working directory is the one place we may write.
        with tempfile.TemporaryDirectory(dir=os.getcwd()) as tmp:
            path = os.path.join(tmp, "terms.kws")
            with open(path, "w") as fh:
                for word, phones in items:
                    if word in NOT_SPOTTED:
                        continue
                    fh.write(f"{word} /1e-{THRESHOLD_EXP_PER_PHONE * len(phones.split()):.0f}/\n")
            decoder.add_kws("terms", path)
        _state = (decoder, lm_search)
    return _state


def _segments(decoder: Decoder, search: str, audio: bytes) -> list[tuple[str, int, int]]:
    decoder.activate_search(search)
    decoder.reinit_feat()  # same starting state for every pass and every call
    decoder.start_utt()
    decoder.process_raw(audio, full_utt=True)
    decoder.end_utt()
    return [(seg.word.strip(), seg.start_frame, seg.end_frame) for seg in (decoder.seg() or [])]


def transcribe(samples: np.ndarray, sample_rate: int) -> str:
    if sample_rate != SAMPLE_RATE:
        raise ValueError(f"expected {SAMPLE_RATE} Hz audio, got {sample_rate}")
    audio = np.ascontiguousarray(samples, dtype=np.int16).reshape(-1).tobytes()
    if not audio:
        return ""
    decoder, _ = _setup()
    return " ".join(term for term, _, _ in _segments(decoder, "terms", audio))

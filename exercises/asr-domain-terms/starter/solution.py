"""Call-center ASR with pocketsphinx. Make domain terms come out right without hurting the rest.

Contract (see the prompt): transcribe(samples, sample_rate) -> str
  samples      1-D numpy int16 array, mono, may be empty
  sample_rate  always 16000 (raise ValueError otherwise)
  returns      the transcript as words separated by spaces (case and punctuation are ignored)

This starter is the production baseline: the stock en-us model, dictionary and language model.
It never produces the domain terms below, because none of them is in its vocabulary.
"""

from __future__ import annotations

import numpy as np
from pocketsphinx import Decoder

SAMPLE_RATE = 16000

# The terms the support team cares about (the graded list; spelled as they must come out).
DOMAIN_TERMS = [
    "Kubernetes", "PyTorch", "TensorFlow", "Conformer", "diarization", "Grafana", "Kibana",
    "Jupyter", "Postgres", "Terraform", "tokenizer", "spectrogram", "Kaldi", "NumPy",
]

_decoder: Decoder | None = None


def _get_decoder() -> Decoder:
    """Build the decoder once per process (loading the model takes a few hundred ms)."""
    global _decoder
    if _decoder is None:
        _decoder = Decoder(samprate=SAMPLE_RATE, loglevel="FATAL")
    return _decoder


def transcribe(samples: np.ndarray, sample_rate: int) -> str:
    if sample_rate != SAMPLE_RATE:
        raise ValueError(f"expected {SAMPLE_RATE} Hz audio, got {sample_rate}")
    audio = np.ascontiguousarray(samples, dtype=np.int16).reshape(-1)
    if audio.size == 0:
        return ""
    decoder = _get_decoder()
    # pocketsphinx keeps feature-pipeline state (cepstral mean, delta buffers) from the previous
    # utterance; resetting it makes every call independent of what was decoded before.
    decoder.reinit_feat()
    decoder.start_utt()
    decoder.process_raw(audio.tobytes(), full_utt=True)
    decoder.end_utt()
    hyp = decoder.hyp()
    return hyp.hypstr if hyp is not None else ""

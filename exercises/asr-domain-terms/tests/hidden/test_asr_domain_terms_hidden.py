"""Hidden tests for transcribe(samples, sample_rate) -> str.

Contract checks, a few clear-audio domain clips (other sentences than the WER benchmark's), general
clips that must keep their words, and independence from earlier calls. False alarms on speech are the
benchmark's to judge (one rule, at the rate the prompt states); on pure noise any term is wrong. Audio lives in
clips/ next to this file; expected values are computed here, in the harness.
"""

import json
import re
import wave
from pathlib import Path

import numpy as np
import pytest

from solution import transcribe

HERE = Path(__file__).resolve().parent / "clips"
CLIPS = {c["id"]: c for c in json.loads((HERE / "clips.json").read_text())}
TERMS = ["kubernetes", "pytorch", "tensorflow", "conformer", "diarization", "grafana", "kibana",
         "jupyter", "postgres", "terraform", "tokenizer", "spectrogram", "kaldi", "numpy"]
DOMAIN = [c for c in CLIPS if CLIPS[c]["slice"] == "domain"]
GENERAL = [c for c in CLIPS if CLIPS[c]["slice"] == "general"]


def load(clip_id: str) -> np.ndarray:
    with wave.open(str(HERE / f"{clip_id}.wav"), "rb") as wav:
        assert wav.getframerate() == 16000 and wav.getnchannels() == 1 and wav.getsampwidth() == 2
        return np.frombuffer(wav.readframes(wav.getnframes()), dtype="<i2").astype(np.int16)


def words(text: str) -> list[str]:
    text = re.sub(r"(?<![a-z])'|'(?![a-z])", " ", text.lower())
    return re.sub(r"[^a-z' ]+", " ", text).split()


def terms_in(text: str) -> list[str]:
    return [w for w in words(text) if w in TERMS]


def word_errors(ref: list[str], hyp: list[str]) -> int:
    prev = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, 1):
        cur = [i]
        for j, h in enumerate(hyp, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (r != h)))
        prev = cur
    return prev[-1]


def noise(seconds: float, amplitude: float, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return np.clip(np.round(rng.standard_normal(int(seconds * 16000)) * amplitude), -32768, 32767).astype(np.int16)


# ----------------------------------------------------------------------------------- contract


def test_returns_plain_str_for_speech():
    out = transcribe(load("h2"), 16000)
    assert type(out) is str
    assert words(out), "no words for a clear utterance"


@pytest.mark.parametrize("n", [0, 1, 2, 100, 400, 1601])
def test_empty_and_very_short_inputs_return_str(n):
    out = transcribe(np.zeros(n, dtype=np.int16), 16000)
    assert type(out) is str
    assert len(words(out)) <= 2


def test_odd_length_long_input():
    clip = np.concatenate([load("h2"), load("n2"), np.zeros(7, dtype=np.int16)])
    out = transcribe(clip, 16000)
    assert type(out) is str and len(words(out)) >= 4


def test_silence_gives_empty_or_short_transcript():
    out = transcribe(np.zeros(32000, dtype=np.int16), 16000)
    assert type(out) is str
    assert len(words(out)) <= 2, out
    assert not terms_in(out), out


@pytest.mark.parametrize("amplitude", [30.0, 3000.0])
def test_noise_only_gives_no_domain_terms(amplitude):
    out = transcribe(noise(2.0, amplitude, seed=int(amplitude)), 16000)
    assert type(out) is str
    assert not terms_in(out), out


@pytest.mark.parametrize("rate", [8000, 22050, 44100])
def test_rejects_other_sample_rates(rate):
    with pytest.raises(ValueError):
        transcribe(load("n1"), rate)


def _bursts() -> dict[str, np.ndarray]:
    t = np.arange(16000) / 16000
    return {
        "nothing before": np.zeros(0, dtype=np.int16),
        "loud noise": noise(1.0, 6000.0, seed=7),
        "100 Hz hum": np.round(np.sin(2 * np.pi * 100 * t) * 20000).astype(np.int16),
    }


@pytest.mark.parametrize("cid", ["h2"])
def test_transcript_does_not_depend_on_earlier_calls(cid):
    clip = load(cid)
    seen = {}
    for name, burst in _bursts().items():
        transcribe(burst, 16000)  # whatever came before must not leak into the next call
        seen[name] = transcribe(clip, 16000)
    assert len(set(seen.values())) == 1, seen


# ----------------------------------------------------------------------------------- accuracy


def test_domain_terms_in_clear_clips():
    expected = found = 0
    report = []
    for cid in DOMAIN:
        hyp = transcribe(load(cid), 16000)
        want = terms_in(CLIPS[cid]["text"])
        expected += len(want)
        found += sum(min(want.count(t), words(hyp).count(t)) for t in set(want))
        report.append(f"{CLIPS[cid]['text']!r} -> {hyp!r}")
    assert expected == 6
    assert found >= 4, f"{found}/{expected} terms:\n" + "\n".join(report)


@pytest.mark.parametrize("cid", GENERAL)
def test_general_clips_keep_their_words(cid):
    # False alarms (a term where the speaker said none) are judged once, by the WER benchmark, at the rate the
    # prompt states: here an ordinary sentence must only still be transcribed as one.
    text = transcribe(load(cid), 16000)
    ref, hyp = words(CLIPS[cid]["text"]), words(text)
    assert word_errors(ref, hyp) / len(ref) <= 0.4, f"{' '.join(ref)!r} -> {' '.join(hyp)!r}"

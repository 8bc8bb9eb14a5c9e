#!/usr/bin/env python3
"""Generate the audio for the `asr-domain-terms` exercise (run offline; the output is committed).

    .venv/bin/python scripts/make_asr_domain_terms.py

Needs espeak-ng and sox on PATH. Everything is deterministic: espeak-ng and sox are run with fixed
arguments (sox without dither) and the noise comes from numpy's PCG64 seeded per utterance, so a
re-run with the same tool versions reproduces the files byte for byte (sha256 in the manifest).

Writes
  exercises/asr-domain-terms/bench/wer/{manifest.json, terms.txt, <id>.wav}   graded set (private)
  exercises/asr-domain-terms/tests/visible/examples/{examples.json, <id>.wav} candidate may listen
  exercises/asr-domain-terms/tests/hidden/clips/{clips.json, <id>.wav}        hidden-test clips

Audio: 16 kHz, mono, 16-bit PCM WAV. Each utterance is padded with 0.25 s of silence on both sides
and always gets white Gaussian noise: snr_db 30 is the "near-clean" floor (pocketsphinx's noise
tracking and CMN misbehave on digitally silent input), 20 and 15 are the noisy conditions. The SNR
is measured against the power of the synthesised speech (before padding).

Domain terms are spoken with natural pronunciations: where espeak-ng's letter-to-sound rules get a
product name wrong ("Kubernetes" as "kyoo-ber-neets") the word is synthesised from an explicit
espeak phoneme string instead (PHONEMES below); the reference text keeps the normal spelling.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import shutil
import subprocess
import sys
import wave
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
EXERCISE = ROOT / "exercises" / "asr-domain-terms"
BENCH = EXERCISE / "bench" / "wer"
VISIBLE = EXERCISE / "tests" / "visible" / "examples"
HIDDEN = EXERCISE / "tests" / "hidden" / "clips"

SAMPLE_RATE = 16000
PAD_SECONDS = 0.25

TERMS = [
    "Kubernetes", "PyTorch", "TensorFlow", "Conformer", "diarization", "Grafana", "Kibana",
    "Jupyter", "Postgres", "Terraform", "tokenizer", "spectrogram", "Kaldi", "NumPy",
]

# espeak-ng phoneme overrides (Kirshenbaum-like espeak mnemonics) for terms its rules mispronounce.
PHONEMES = {
    "kubernetes": "ku:b3n'Eti:z",
    "jupyter": "dZ'u:pIt3",
    "postgres": "p'oUstgrEs",
}

DOMAIN = [
    ("d01", "The Kubernetes cluster is down again."),
    ("d02", "We trained the model in PyTorch."),
    ("d03", "Please upgrade TensorFlow on the server."),
    ("d04", "The Conformer model is too slow."),
    ("d05", "Speaker diarization failed on this call."),
    ("d06", "Open the Grafana dashboard please."),
    ("d07", "The Kibana logs show an error."),
    ("d08", "My Jupyter notebook will not start."),
    ("d09", "The Postgres database is full."),
    ("d10", "Run Terraform to create the network."),
    ("d11", "The tokenizer drops some words."),
    ("d12", "Look at the spectrogram first."),
    ("d13", "We still use Kaldi for alignment."),
    ("d14", "Install NumPy before you start."),
    ("d15", "Move the PyTorch job to Kubernetes."),
    ("d16", "Grafana reads the metrics from Postgres."),
    ("d17", "Convert the Conformer to TensorFlow."),
    ("d18", "Check the diarization in Jupyter."),
    ("d19", "Kibana and Grafana both crashed."),
    ("d20", "The tokenizer runs on NumPy arrays."),
]

GENERAL = [
    ("g01", "Please check the order status for my account."),
    ("g02", "I would like to cancel my subscription."),
    ("g03", "Can you send me a copy of the invoice?"),
    ("g04", "The package arrived two days late."),
    ("g05", "My password reset link does not work."),
    ("g06", "Thank you for calling customer support."),
    ("g07", "I need to change my billing address."),
    ("g08", "The phone keeps dropping the call."),
    ("g09", "Can I speak to a manager please?"),
    ("g10", "My card was charged twice this month."),
    ("g11", "Please update the phone number on file."),
    ("g12", "The internet has been slow all week."),
    ("g13", "I want to return these shoes."),
    ("g14", "How long will the refund take?"),
    ("g15", "The meeting moved to Friday morning."),
    ("g16", "Could you repeat that last part?"),
]

# The graded set: a subset of the sentences above, small enough that a grading (candidate and
# reference decoding it in the same sandbox) costs well under a minute of CPU. Conditions are
# assigned over the full lists first, so a kept utterance sounds exactly as it did in the full set.
# Every term occurs at least once: 9 domain utterances carry 15 term occurrences.
GRADED = {"d10", "d12", "d13", "d15", "d16", "d17", "d18", "d19", "d20",
          "g01", "g02", "g09", "g10", "g13", "g14"}

# (voice, words per minute, snr_db). Each slice cycles through these in a seeded order.
CONDITIONS = [
    ("en-us", 150, 30), ("en-us+f2", 175, 30), ("en-us+m1", 150, 30), ("en-us+f1", 175, 30),
    ("en-us+m3", 150, 20), ("en-us+f2", 150, 20), ("en-us", 175, 20), ("en-gb-x-rp", 150, 30),
    ("en-us+m1", 175, 15), ("en-us+f2", 150, 15),
]

# Examples the candidate gets in tests/visible (sentences not in the graded set).
VISIBLE_CLIPS = [
    ("ex1", "domain", "Our Kubernetes nodes need more memory.", ("en-us+f2", 150, 30)),
    ("ex2", "domain", "The new tokenizer ships with PyTorch.", ("en-us", 150, 30)),
    ("ex3", "domain", "Grafana alerts fired all night.", ("en-us+m1", 175, 20)),
    ("ex4", "general", "I never received the confirmation email.", ("en-us+f1", 150, 30)),
]

# Clips the hidden tests use (not in the graded set either).
HIDDEN_CLIPS = [
    ("h1", "domain", "The Conformer needs a new tokenizer.", ("en-us", 150, 30)),
    ("h2", "domain", "Restart the Postgres server.", ("en-us+f2", 150, 30)),
    ("h3", "domain", "Our Kibana page is empty.", ("en-us+f2", 150, 30)),
    ("h4", "domain", "We moved the notebook to Jupyter.", ("en-us+m1", 150, 30)),
    ("h5", "domain", "Our Kubernetes bill went up.", ("en-us", 150, 30)),
    ("n1", "general", "Please call me back tomorrow.", ("en-us+f2", 150, 30)),
    ("n2", "general", "I would like a copy of my bill.", ("en-us", 150, 30)),
]


def espeak_text(text: str) -> str:
    """Replace the overridden terms by [[phonemes]] for espeak-ng."""
    for word, phonemes in PHONEMES.items():
        text = re.sub(rf"\b{word}\b", f"[[{phonemes}]]", text, flags=re.IGNORECASE)
    return text


def synthesise(text: str, voice: str, speed: int) -> np.ndarray:
    wav22 = subprocess.run(
        ["espeak-ng", "-v", voice, "-s", str(speed), "--stdout", espeak_text(text)],
        check=True, capture_output=True,
    ).stdout
    raw = subprocess.run(
        ["sox", "-D", "-t", "wav", "-", "-t", "raw", "-r", str(SAMPLE_RATE), "-c", "1", "-b", "16",
         "-e", "signed-integer", "-"],
        input=wav22, check=True, capture_output=True,
    ).stdout
    return np.frombuffer(raw, dtype="<i2").astype(np.float64)


def degrade(speech: np.ndarray, snr_db: float, seed: int) -> np.ndarray:
    pad = np.zeros(int(PAD_SECONDS * SAMPLE_RATE))
    signal = np.concatenate([pad, speech, pad])
    power = float(np.mean(speech ** 2))
    rng = np.random.default_rng(seed)
    noise = rng.standard_normal(len(signal)) * np.sqrt(power / 10 ** (snr_db / 10))
    return np.clip(np.round(signal + noise), -32768, 32767).astype("<i2")


def wav_bytes(samples: np.ndarray) -> bytes:
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(SAMPLE_RATE)
        w.writeframes(samples.astype("<i2").tobytes())
    return buf.getvalue()


def seed_for(utt_id: str) -> int:
    return int.from_bytes(hashlib.sha256(f"asr-domain-terms/{utt_id}".encode()).digest()[:8], "little")


def render(utt_id, text, condition, out_dir: Path, audio_prefix: str, slice_name: str) -> dict:
    voice, speed, snr_db = condition
    samples = degrade(synthesise(text, voice, speed), snr_db, seed_for(utt_id))
    data = wav_bytes(samples)
    (out_dir / f"{utt_id}.wav").write_bytes(data)
    return {
        "id": utt_id, "slice": slice_name, "audio": f"{audio_prefix}{utt_id}.wav", "text": text,
        "voice": voice, "speed": speed, "snr_db": snr_db,
        "duration_s": round(len(samples) / SAMPLE_RATE, 3),
        "sha256": hashlib.sha256(data).hexdigest(),
    }


def assign_conditions(items, seed):
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(CONDITIONS)).tolist()
    return [CONDITIONS[order[i % len(order)]] for i in range(len(items))]


def main() -> int:
    for tool in ("espeak-ng", "sox"):
        if shutil.which(tool) is None:
            print(f"{tool} not found on PATH", file=sys.stderr)
            return 1
    for folder in (BENCH, VISIBLE, HIDDEN):
        if folder.exists():
            shutil.rmtree(folder)
        folder.mkdir(parents=True)

    manifest = []
    for slice_name, items, seed in (("domain", DOMAIN, 1), ("general", GENERAL, 2)):
        for (utt_id, text), cond in zip(items, assign_conditions(items, seed), strict=True):
            if utt_id not in GRADED:
                continue
            manifest.append(render(utt_id, text, cond, BENCH, "bench/wer/", slice_name))
    (BENCH / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n")
    (BENCH / "terms.txt").write_text("\n".join(TERMS) + "\n")

    for folder, clips, name in ((VISIBLE, VISIBLE_CLIPS, "examples.json"), (HIDDEN, HIDDEN_CLIPS, "clips.json")):
        rows = [render(cid, text, cond, folder, "", sl) for cid, sl, text, cond in clips]
        (folder / name).write_text(json.dumps(rows, indent=1) + "\n")

    total = sum((BENCH / f"{m['id']}.wav").stat().st_size for m in manifest)
    seconds = sum(m["duration_s"] for m in manifest)
    print(f"{len(manifest)} utterances, {seconds:.1f} s of audio, {total / 1e6:.2f} MB in {BENCH}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

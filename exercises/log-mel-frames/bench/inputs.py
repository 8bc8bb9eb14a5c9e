"""Latency benchmark inputs for log_mel (harness side, trusted).

Two batches of speech-like audio of about the same cost (~3,200 frames each at the default
n_fft=400, hop=160): one utterance of ~32 s and two of ~16 s, lengths not a multiple of hop. Few
utterances with many frames: a per-frame Python loop pays its overhead once per frame, so the intended
speed-up of vectorising the frames is large (measured 4-16x for the slow variants, about 1x for right
ones). Seeded, float32, amplitude well inside [-1, 1]. Timed calls leave their output in the
candidate's process, so what is timed is compute (the reference: ~5-8 ms on one core).
"""

import math

import torch


def _speechy(batch, n, seed, sample_rate=16000):
    g = torch.Generator().manual_seed(seed)
    t = torch.arange(n, dtype=torch.float64) / sample_rate
    f0 = 100.0 + 120.0 * torch.rand(batch, 1, generator=g, dtype=torch.float64)
    harmonics = sum(torch.sin(2 * math.pi * h * f0 * t) / h for h in range(1, 6))
    phase = 6.0 * torch.rand(batch, 1, generator=g, dtype=torch.float64)
    envelope = 0.5 + 0.5 * torch.sin(2 * math.pi * 3.0 * t + phase)          # syllable-rate loudness
    noise = 0.02 * torch.randn(batch, n, generator=g, dtype=torch.float64)
    return (0.2 * envelope * harmonics + noise).to(torch.float32)


def make_inputs():
    return [
        ((_speechy(1, 512_123, seed=1),), {}),                                             # 1 x 3,198 frames
        ((_speechy(2, 256_077, seed=2),), {"sample_rate": 16000, "n_fft": 400, "hop": 160, "n_mels": 80}),  # 2 x 1,598
    ]

"""Latency benchmark inputs for log_mel (harness side, trusted).

Two batches of speech-like audio of about the same cost (~3,200 frames each at the default
n_fft=400, hop=160): 4 utterances of ~8 s and 8 utterances of ~4 s, lengths not a multiple of hop.
Seeded, float32, amplitude well inside [-1, 1]. Calls are long enough that scheduler noise mostly
averages out (the reference: ~5-8 ms of compute on one core, plus ~10 ms to hand the 1 MB result
back) and short enough that the loop-based starter (~0.6 s per call) finishes the benchmark well
inside the wall-clock budget.
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
        ((_speechy(4, 128_123, seed=1),), {}),                                             # 4 x 799 frames
        ((_speechy(8, 64_077, seed=2),), {"sample_rate": 16000, "n_fft": 400, "hop": 160, "n_mels": 80}),  # 8 x 398
    ]

# Wrong: mel energies from the magnitude |X| instead of the power |X|^2.
import math

import torch


def hz_to_mel(f):
    """HTK mel scale."""
    return 2595.0 * math.log10(1.0 + f / 700.0)


def mel_filterbank(n_fft: int = 400, n_mels: int = 80, sample_rate: int = 16000) -> torch.Tensor:
    """Triangular HTK-mel filterbank, float32, shape [n_fft // 2 + 1, n_mels] (frequency bins x filters).

    n_mels + 2 edge frequencies are equally spaced on the HTK mel scale from 0 Hz to sample_rate / 2;
    filter m rises linearly from edge m to a peak of 1 at edge m + 1 and falls back to 0 at edge
    m + 2 (no area normalisation). Bin k of an n_fft-point rfft sits at k * sample_rate / n_fft Hz.

    mel energies = power @ mel_filterbank(n_fft, n_mels, sample_rate), power of shape [..., n_fft // 2 + 1]
    """
    n_freqs = n_fft // 2 + 1
    freqs = torch.arange(n_freqs, dtype=torch.float64) * sample_rate / n_fft   # centre of each rfft bin
    mels = torch.linspace(0.0, hz_to_mel(sample_rate / 2), n_mels + 2, dtype=torch.float64)
    edges = 700.0 * (10.0 ** (mels / 2595.0) - 1.0)
    lower, centre, upper = edges[:-2], edges[1:-1], edges[2:]
    rising = (freqs[:, None] - lower) / (centre - lower)
    falling = (upper - freqs[:, None]) / (upper - centre)
    return torch.clamp(torch.minimum(rising, falling), min=0.0).to(torch.float32)


def log_mel(waveform, sample_rate=16000, n_fft=400, hop=160, n_mels=80):
    if waveform.shape[-1] < n_fft:
        raise ValueError("waveform shorter than n_fft")
    frames = waveform.unfold(-1, n_fft, hop) * torch.hann_window(n_fft)
    mag = torch.fft.rfft(frames).abs()
    return torch.log(mag @ mel_filterbank(n_fft, n_mels, sample_rate) + 1e-6)

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


def log_mel(waveform: torch.Tensor, sample_rate: int = 16000, n_fft: int = 400, hop: int = 160,
            n_mels: int = 80) -> torch.Tensor:
    """Log-mel features [B, frames, n_mels] for a float32 waveform batch [B, N].

    Correct, but slow: it works one utterance, one frame and one mel filter at a time.
    Make it fast without changing what it returns (see the prompt for the exact contract).
    """
    batch, n = waveform.shape
    if n < n_fft:
        raise ValueError(f"waveform has {n} samples, fewer than n_fft={n_fft}")
    n_frames = 1 + (n - n_fft) // hop
    window = torch.hann_window(n_fft, periodic=True, dtype=torch.float32)
    fbank = mel_filterbank(n_fft, n_mels, sample_rate)      # [n_fft // 2 + 1, n_mels]
    filters = [fbank[:, m].contiguous() for m in range(n_mels)]
    utterances = []
    for b in range(batch):
        rows = []
        for t in range(n_frames):
            start = t * hop
            frame = waveform[b, start:start + n_fft] * window    # [n_fft]
            spec = torch.fft.rfft(frame)                         # [n_fft // 2 + 1] complex
            power = spec.real ** 2 + spec.imag ** 2              # |X_k|^2
            energies = [torch.dot(power, f) for f in filters]    # one dot product per mel filter
            rows.append(torch.log(torch.stack(energies) + 1e-6))
        utterances.append(torch.stack(rows))                     # [frames, n_mels]
    return torch.stack(utterances)                               # [B, frames, n_mels]

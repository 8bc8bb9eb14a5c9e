"""Checks you can run while working: pytest tests/visible

The expected values come from a plain float64 implementation of the contract (below), with the
tolerance stated in the prompt. The slow starter passes these; making it fast is the job. To time
your version the way the grader does, see time_it() at the bottom (torch.set_num_threads(1)).
"""

import math

import pytest
import torch

from solution import log_mel

# The tolerance stated in the prompt. A value passes when |candidate - exact| <= ATOL (log units), or,
# in bands far below the loudest band of their frame (where float32 rounding in any FFT dominates),
# when its mel energy exp(value) is within FLOOR_REL x the frame's largest mel energy.
ATOL = 1e-4
FLOOR_REL = 1e-5
EPS = 1e-6


# --- the plain float64 implementation the answers are checked against -----------------------------

def _hz_to_mel(f):
    return 2595.0 * math.log10(1.0 + f / 700.0)


def _mel_to_hz(m):
    return 700.0 * (10.0 ** (m / 2595.0) - 1.0)


def plain_filterbank(n_fft, n_mels, sample_rate):
    n_freqs = n_fft // 2 + 1
    top = _hz_to_mel(sample_rate / 2)
    edges = [_mel_to_hz(top * i / (n_mels + 1)) for i in range(n_mels + 2)]
    fb = torch.zeros(n_freqs, n_mels, dtype=torch.float64)
    for m in range(n_mels):
        lo, mid, hi = edges[m], edges[m + 1], edges[m + 2]
        for k in range(n_freqs):
            f = k * sample_rate / n_fft
            if lo < f <= mid:
                fb[k, m] = (f - lo) / (mid - lo)
            elif mid < f < hi:
                fb[k, m] = (hi - f) / (hi - mid)
    return fb


def plain_log_mel(waveform, sample_rate=16000, n_fft=400, hop=160, n_mels=80):
    x = waveform.to(torch.float64)
    n = x.shape[1]
    n_frames = 1 + (n - n_fft) // hop
    idx = torch.arange(n_fft, dtype=torch.float64)
    window = 0.5 - 0.5 * torch.cos(2 * math.pi * idx / n_fft)            # periodic Hann
    k = torch.arange(n_fft // 2 + 1, dtype=torch.float64)
    angle = 2 * math.pi * idx[:, None] * k[None, :] / n_fft
    cos, sin = torch.cos(angle), torch.sin(angle)
    fb = plain_filterbank(n_fft, n_mels, sample_rate)
    out = torch.empty(x.shape[0], n_frames, n_mels, dtype=torch.float64)
    for b in range(x.shape[0]):
        frames = torch.stack([x[b, t * hop: t * hop + n_fft] for t in range(n_frames)]) * window
        power = (frames @ cos) ** 2 + (frames @ sin) ** 2
        out[b] = torch.log(power @ fb + EPS)
    return out


def assert_close(out, expected):
    assert isinstance(out, torch.Tensor), f"expected a torch.Tensor, got {type(out).__name__}"
    assert out.dtype == torch.float32, f"expected float32, got {out.dtype}"
    assert tuple(out.shape) == tuple(expected.shape), f"shape {tuple(out.shape)}, expected {tuple(expected.shape)}"
    assert torch.isfinite(out).all(), "output has inf or nan"
    got = out.double()
    log_err = (got - expected).abs()
    energy_err = (got.exp() - expected.exp()).abs()
    frame_peak = expected.exp().amax(dim=-1, keepdim=True)
    ok = (log_err <= ATOL) | (energy_err <= FLOOR_REL * frame_peak)
    if not ok.all():
        b, t, m = (int(i) for i in torch.nonzero(~ok)[0])
        raise AssertionError(
            f"{int((~ok).sum())} of {ok.numel()} values out of tolerance; first at [batch {b}, frame {t}, "
            f"mel {m}]: got {got[b, t, m].item():.6f}, expected {expected[b, t, m].item():.6f} "
            f"(max |log error| {log_err.max().item():.3g})")


def check(waveform, **params):
    out = log_mel(waveform, **params)
    assert_close(out, plain_log_mel(waveform, **params))
    return out


def noise(batch, n, seed, scale=0.1):
    g = torch.Generator().manual_seed(seed)
    return (torch.randn(batch, n, generator=g) * scale).float()


def test_shape_and_dtype():
    out = log_mel(noise(2, 16000, seed=0))
    assert isinstance(out, torch.Tensor)
    assert out.dtype == torch.float32
    assert out.shape == (2, 98, 80)          # 1 + (16000 - 400) // 160


def test_matches_plain_implementation():
    check(noise(3, 5000, seed=1))


def test_one_frame_when_n_equals_n_fft():
    out = check(noise(1, 400, seed=2))
    assert out.shape == (1, 1, 80)


def test_shorter_than_n_fft_raises_value_error():
    with pytest.raises(ValueError):
        log_mel(noise(1, 399, seed=3))


def test_silence_is_the_log_floor():
    out = check(torch.zeros(1, 1000))
    assert torch.allclose(out, torch.full_like(out, math.log(EPS)), atol=ATOL)


def test_other_parameters():
    out = check(noise(2, 3000, seed=4), sample_rate=8000, n_fft=256, hop=80, n_mels=40)
    assert out.shape == (2, 35, 40)


def time_it(batch=4, seconds=4.0, repeats=21):
    """Median seconds per call on one thread, e.g. python -c "import test_log_mel_visible as t; print(t.time_it())"."""
    import statistics
    import time
    torch.set_num_threads(1)
    x = noise(batch, int(seconds * 16000) + 123, seed=5)
    for _ in range(3):
        log_mel(x)
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        log_mel(x)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)

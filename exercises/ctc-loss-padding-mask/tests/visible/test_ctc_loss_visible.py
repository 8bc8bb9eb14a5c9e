"""Visible tests: the basic contract on one small batch. The hidden suite is much more thorough."""

import torch
import torch.nn.functional as F

from solution import batch_ctc_loss


def _batch():
    g = torch.Generator().manual_seed(0)
    B, T, V = 3, 14, 5
    log_probs = torch.randn(B, T, V, generator=g, dtype=torch.float64).log_softmax(-1)
    input_lengths = torch.tensor([14, 10, 8])
    targets = torch.tensor([[1, 2, 3, 4], [2, 2, -1, -1], [4, -1, -1, -1]])
    target_lengths = torch.tensor([4, 2, 1])
    return log_probs, targets, input_lengths, target_lengths


def test_returns_scalar_tensor():
    loss = batch_ctc_loss(*_batch())
    assert torch.is_tensor(loss) and loss.dim() == 0
    assert torch.isfinite(loss)


def test_matches_functional_ctc_loss_mean():
    log_probs, targets, input_lengths, target_lengths = _batch()
    want = F.ctc_loss(
        log_probs.transpose(0, 1),
        targets.clamp(min=0),
        input_lengths,
        target_lengths,
        blank=0,
        reduction="mean",
        zero_infinity=False,
    )
    got = batch_ctc_loss(log_probs, targets, input_lengths, target_lengths)
    assert torch.allclose(got, want, rtol=1e-9, atol=1e-9)

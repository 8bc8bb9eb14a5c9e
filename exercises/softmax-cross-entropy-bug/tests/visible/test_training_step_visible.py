"""Simple checks you can run while working: pytest tests/visible"""

import math

import torch
import torch.nn as nn

from solution import training_step


class FixedLogits(nn.Module):
    """A 'model' whose logits are a learnable [B, C] table (the features are ignored)."""

    def __init__(self, logits):
        super().__init__()
        self.logits = nn.Parameter(logits.clone())

    def forward(self, x):
        return self.logits * 1.0


def _batch(B, D, C, seed=0):
    g = torch.Generator().manual_seed(seed)
    return {"features": torch.randn(B, D, generator=g), "labels": torch.randint(0, C, (B,), generator=g)}


def test_returns_attached_scalar_tensor():
    torch.manual_seed(0)
    model = nn.Linear(6, 4)
    loss = training_step(model, _batch(5, 6, 4))
    assert isinstance(loss, torch.Tensor)
    assert loss.dim() == 0, f"expected a 0-dim tensor, got shape {tuple(loss.shape)}"
    assert loss.requires_grad, "the loss must stay attached to the graph"


def test_uniform_logits_give_log_num_classes():
    B, C = 4, 7
    model = FixedLogits(torch.zeros(B, C))
    loss = training_step(model, _batch(B, 3, C))
    assert math.isclose(loss.item(), math.log(C), rel_tol=1e-5)


def test_confident_correct_prediction_has_near_zero_loss():
    B, C = 4, 5
    batch = _batch(B, 3, C)
    logits = torch.zeros(B, C)
    logits[torch.arange(B), batch["labels"]] = 20.0  # the model is (rightly) very sure
    loss = training_step(FixedLogits(logits), batch)
    assert loss.item() < 1e-6, f"a confident, correct model should have ~0 loss, got {loss.item():.4f}"


def test_backward_fills_parameter_grads():
    torch.manual_seed(0)
    model = nn.Linear(6, 4)
    loss = training_step(model, _batch(5, 6, 4))
    loss.backward()
    for name, p in model.named_parameters():
        assert p.grad is not None, f"no gradient reached {name}"
        assert torch.isfinite(p.grad).all()

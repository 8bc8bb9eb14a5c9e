"""Simple checks you can run while working: pytest tests/visible

training_step needs a live model, so these tests go through tests/driver.py: it builds the model
from the weights given here, calls your training_step, runs backward and reports plain values.
Expected values are computed in this file. (Under the grader, the driver runs beside your code in
a separate process; run locally, it is simply imported.)
"""

import math
import sys
from pathlib import Path

import torch
import torch.nn as nn

if "driver" not in sys.modules:  # plain local pytest run: import tests/driver.py directly
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from driver import step_report  # noqa: E402


def _batch(B, D, C, seed=0):
    g = torch.Generator().manual_seed(seed)
    return {"features": torch.randn(B, D, generator=g), "labels": torch.randint(0, C, (B,), generator=g)}


def _linear(D, C, seed=0):
    torch.manual_seed(seed)
    lin = nn.Linear(D, C)
    return {"kind": "sequential", "layers": [{"type": "linear", "weight": lin.weight.detach().clone(),
                                              "bias": lin.bias.detach().clone()}]}


def _fixed_logits(logits):
    """A 'model' whose logits are a learnable [B, C] table (the features are ignored)."""
    return {"kind": "fixed_logits", "logits": logits}


def _run(model_spec, batch, backward=True):
    out = step_report(model_spec, batch["features"], batch["labels"], backward=backward)
    assert isinstance(out["loss"], torch.Tensor), f"training_step must return a torch.Tensor, got {out['loss']!r}"
    return out


def test_returns_attached_scalar_tensor():
    out = _run(_linear(6, 4), _batch(5, 6, 4), backward=False)
    assert out["loss"].dim() == 0, f"expected a 0-dim tensor, got shape {tuple(out['loss'].shape)}"
    assert out["requires_grad"], "the loss must stay attached to the graph"


def test_uniform_logits_give_log_num_classes():
    B, C = 4, 7
    loss = _run(_fixed_logits(torch.zeros(B, C)), _batch(B, 3, C), backward=False)["loss"]
    assert math.isclose(loss.item(), math.log(C), rel_tol=1e-5)


def test_confident_correct_prediction_has_near_zero_loss():
    B, C = 4, 5
    batch = _batch(B, 3, C)
    logits = torch.zeros(B, C)
    logits[torch.arange(B), batch["labels"]] = 20.0  # the model is (rightly) very sure
    loss = _run(_fixed_logits(logits), batch, backward=False)["loss"]
    assert loss.item() < 1e-6, f"a confident, correct model should have ~0 loss, got {loss.item():.4f}"


def test_backward_fills_parameter_grads():
    out = _run(_linear(6, 4), _batch(5, 6, 4))
    assert out["backward_error"] is None, f"loss.backward() failed: {out['backward_error']}"
    assert set(out["grads"]) == {"0.weight", "0.bias"}
    for name, grad in out["grads"].items():
        assert grad is not None, f"no gradient reached {name}"
        assert torch.isfinite(grad).all()

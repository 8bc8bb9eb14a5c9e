"""Hidden tests for training_step (softmax-cross-entropy-bug).

These run in the harness. training_step needs a live model, so tests/driver.py (in the candidate
process) rebuilds each model from the weights sent here, calls training_step, runs backward and
reports plain values. Every expected value is computed HERE, on the harness's own copy of the model.
"""

import math

import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F

from driver import step_report
from hidden_driver import overfit_one_batch


def make_mlp(D, C, seed, dtype=torch.float32):
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(D, 32), nn.Tanh(), nn.Linear(32, C)).to(dtype)


def make_batch(B, D, C, seed, dtype=torch.float32):
    g = torch.Generator().manual_seed(1000 + seed)
    return {
        "features": torch.randn(B, D, generator=g, dtype=dtype),
        "labels": torch.randint(0, C, (B,), generator=g),
    }


class FixedLogits(nn.Module):
    def __init__(self, logits):
        super().__init__()
        self.logits = nn.Parameter(logits.clone())

    def forward(self, x):
        return self.logits * 1.0


def spec_of(model):
    """The plain-data description tests/driver.py rebuilds the same model from."""
    if isinstance(model, FixedLogits):
        return {"kind": "fixed_logits", "logits": model.logits.detach().clone()}
    layers = []
    for layer in model:
        if isinstance(layer, nn.Linear):
            layers.append({"type": "linear", "weight": layer.weight.detach().clone(),
                           "bias": layer.bias.detach().clone()})
        elif isinstance(layer, nn.Tanh):
            layers.append({"type": "tanh"})
        else:
            raise TypeError(type(layer))
    return {"kind": "sequential", "layers": layers}


def run_step(model, batch, backward=True):
    """training_step on a copy of `model` in the candidate process; returns the driver's report."""
    out = step_report(spec_of(model), batch["features"], batch["labels"], backward=backward)
    assert out["is_tensor"] and isinstance(out["loss"], torch.Tensor), (
        f"training_step must return a torch.Tensor, got {out['loss']!r}")
    return out


def reference_loss(model, batch):
    return F.cross_entropy(model(batch["features"]), batch["labels"])


def reference_grads(model, batch):
    model.zero_grad()
    reference_loss(model, batch).backward()
    return {n: p.grad.detach().clone() for n, p in model.named_parameters()}


SHAPES = [(8, 16, 5), (3, 4, 2), (32, 10, 10), (17, 7, 3)]


def test_returns_attached_scalar_tensor():
    model, batch = make_mlp(16, 5, 0), make_batch(8, 16, 5, 0)
    out = run_step(model, batch, backward=False)
    loss = out["loss"]
    assert loss.shape == torch.Size([]), f"expected a 0-dim tensor, got {tuple(loss.shape)}"
    assert loss.dtype == torch.float32
    assert out["requires_grad"] and out["has_grad_fn"], "loss is detached from the graph"


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("B,D,C", SHAPES)
def test_value_matches_cross_entropy_on_logits(seed, B, D, C):
    model, batch = make_mlp(D, C, seed), make_batch(B, D, C, seed)
    expected = reference_loss(model, batch)
    loss = run_step(model, batch, backward=False)["loss"]
    torch.testing.assert_close(loss, expected.detach(), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("seed", range(3))
def test_gradients_match_reference(seed):
    B, D, C = 12, 9, 6
    model = make_mlp(D, C, seed)
    batch = make_batch(B, D, C, seed)
    out = run_step(model, batch)
    assert out["backward_error"] is None, f"loss.backward() failed: {out['backward_error']}"
    expected = reference_grads(model, batch)
    assert set(out["grads"]) == set(expected)
    for name, grad in out["grads"].items():
        assert grad is not None, f"no gradient reached {name}"
        torch.testing.assert_close(grad, expected[name], rtol=1e-4, atol=1e-6, msg=f"gradient of {name}")


def _confident_case(seed, B=16, C=10, scale=1e3):
    """Logits in the thousands; half the labels are the model's least likely class."""
    g = torch.Generator().manual_seed(seed)
    logits = torch.randn(B, C, generator=g) * scale
    labels = logits.argmax(dim=1)
    labels[::2] = logits[::2].argmin(dim=1)
    return FixedLogits(logits), {"features": torch.randn(B, 3, generator=g), "labels": labels}


@pytest.mark.parametrize("seed", range(3))
def test_large_logits_stay_finite_and_correct(seed):
    model, batch = _confident_case(seed)
    expected = reference_loss(model, batch)
    expected.backward()
    out = run_step(model, batch)
    loss = out["loss"]
    assert torch.isfinite(loss).item(), f"loss is {loss.item()} for large logits"
    torch.testing.assert_close(loss, expected.detach(), rtol=1e-5, atol=1e-4)
    assert out["backward_error"] is None, f"loss.backward() failed: {out['backward_error']}"
    grad = out["grads"]["logits"]
    assert grad is not None, "no gradient reached the logits"
    assert torch.isfinite(grad).all(), "non-finite gradient for large logits"
    torch.testing.assert_close(grad, model.logits.grad, rtol=1e-4, atol=1e-6)


def test_confident_correct_prediction_has_near_zero_loss():
    B, C = 6, 4
    batch = make_batch(B, 3, C, 5)
    logits = torch.full((B, C), -3.0)
    logits[torch.arange(B), batch["labels"]] = 30.0
    loss = run_step(FixedLogits(logits), batch, backward=False)["loss"]
    assert 0.0 <= loss.item() < 1e-6


def test_batch_of_one():
    model, batch = make_mlp(8, 4, 3), make_batch(1, 8, 4, 3)
    loss = run_step(model, batch, backward=False)["loss"]
    assert loss.shape == torch.Size([])
    torch.testing.assert_close(loss, reference_loss(model, batch).detach(), rtol=1e-5, atol=1e-6)


def test_many_classes():
    B, D, C = 4, 8, 1000
    model, batch = make_mlp(D, C, 7), make_batch(B, D, C, 7)
    loss = run_step(model, batch, backward=False)["loss"]
    torch.testing.assert_close(loss, reference_loss(model, batch).detach(), rtol=1e-5, atol=1e-6)
    # an untrained model should start near log(C)
    assert abs(loss.item() - math.log(C)) < 1.0


def test_mean_reduction_does_not_depend_on_batch_size():
    model, batch = make_mlp(6, 3, 11), make_batch(5, 6, 3, 11)
    doubled = {k: torch.cat([v, v]) for k, v in batch.items()}
    a = run_step(model, batch, backward=False)["loss"].item()
    b = run_step(model, doubled, backward=False)["loss"].item()
    assert math.isclose(a, b, rel_tol=1e-5), "loss should be the mean over the batch, not the sum"


def test_float64_inputs():
    model, batch = make_mlp(5, 4, 2, dtype=torch.float64), make_batch(6, 5, 4, 2, dtype=torch.float64)
    loss = run_step(model, batch, backward=False)["loss"]
    assert loss.dtype == torch.float64
    torch.testing.assert_close(loss, reference_loss(model, batch).detach(), rtol=1e-12, atol=1e-12)


def test_overfitting_one_batch_drives_loss_towards_zero():
    B, D, C = 8, 16, 5
    model, batch = make_mlp(D, C, 21), make_batch(B, D, C, 21)
    out = overfit_one_batch(spec_of(model), batch["features"], batch["labels"], steps=60, lr=0.5)
    losses, final = out["losses"], out["final_loss"]
    assert len(losses) == 60 and isinstance(final, float)
    first = losses[0]
    assert 0.0 <= final < 0.05 and final < 0.1 * first, (
        f"loss went {first:.3f} -> {final:.3f}; cannot overfit one batch")
    # Judge the trained parameters with the harness's own loss, not the candidate's.
    with torch.no_grad():
        for name, p in model.named_parameters():
            p.copy_(out["params"][name])
        fitted = reference_loss(model, batch).item()
    assert fitted < 0.05, "the model did not actually fit the batch"


def test_does_not_mutate_batch():
    model, batch = make_mlp(7, 3, 4), make_batch(9, 7, 3, 4)
    out = run_step(model, batch, backward=False)
    assert out["batch_keys"] == ["features", "labels"], "batch keys changed"
    for k, original in batch.items():
        assert out["batch_same_objects"][k], f"batch[{k!r}] was replaced"
        after = out["batch_after"][k]
        assert isinstance(after, torch.Tensor) and after.dtype == original.dtype
        assert torch.equal(after, original), f"batch[{k!r}] was modified in place"


def test_calls_the_model_exactly_once_on_the_features():
    model, batch = make_mlp(6, 4, 9), make_batch(5, 6, 4, 9)
    out = run_step(model, batch, backward=False)
    assert out["calls"] == 1 and len(out["call_inputs"]) == 1, f"model was called {out['calls']} times"
    assert torch.equal(out["call_inputs"][0], batch["features"])
    torch.testing.assert_close(out["loss"], reference_loss(model, batch).detach(), rtol=1e-5, atol=1e-6)


def test_emits_no_warnings():
    model, batch = make_mlp(6, 4, 13), make_batch(5, 6, 4, 13)
    out = run_step(model, batch, backward=False)
    assert out["warnings"] == [], f"training_step raised warnings: {out['warnings']}"

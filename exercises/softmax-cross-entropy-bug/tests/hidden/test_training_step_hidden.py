"""Hidden tests for training_step (softmax-cross-entropy-bug)."""

import copy
import math
import warnings

import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F

from solution import training_step


def make_mlp(D, C, seed, dtype=torch.float32):
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(D, 32), nn.Tanh(), nn.Linear(32, C)).to(dtype)


def make_batch(B, D, C, seed, dtype=torch.float32):
    g = torch.Generator().manual_seed(1000 + seed)
    return {
        "features": torch.randn(B, D, generator=g, dtype=dtype),
        "labels": torch.randint(0, C, (B,), generator=g),
    }


def reference_loss(model, batch):
    return F.cross_entropy(model(batch["features"]), batch["labels"])


def grads_of(model):
    return {n: p.grad.detach().clone() for n, p in model.named_parameters()}


class CountingModel(nn.Module):
    def __init__(self, inner):
        super().__init__()
        self.inner = inner
        self.inputs = []

    def forward(self, x):
        self.inputs.append(x)
        return self.inner(x)


class FixedLogits(nn.Module):
    def __init__(self, logits):
        super().__init__()
        self.logits = nn.Parameter(logits.clone())

    def forward(self, x):
        return self.logits * 1.0


SHAPES = [(8, 16, 5), (3, 4, 2), (32, 10, 10), (17, 7, 3)]


def test_returns_attached_scalar_tensor():
    model, batch = make_mlp(16, 5, 0), make_batch(8, 16, 5, 0)
    loss = training_step(model, batch)
    assert isinstance(loss, torch.Tensor)
    assert loss.shape == torch.Size([]), f"expected a 0-dim tensor, got {tuple(loss.shape)}"
    assert loss.dtype == torch.float32
    assert loss.requires_grad and loss.grad_fn is not None, "loss is detached from the graph"


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("B,D,C", SHAPES)
def test_value_matches_cross_entropy_on_logits(seed, B, D, C):
    model, batch = make_mlp(D, C, seed), make_batch(B, D, C, seed)
    expected = reference_loss(model, batch)
    loss = training_step(model, batch)
    torch.testing.assert_close(loss.detach(), expected.detach(), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("seed", range(3))
def test_gradients_match_reference(seed):
    B, D, C = 12, 9, 6
    model = make_mlp(D, C, seed)
    ref_model = copy.deepcopy(model)
    batch = make_batch(B, D, C, seed)
    reference_loss(ref_model, batch).backward()
    training_step(model, batch).backward()
    expected = grads_of(ref_model)
    for name, p in model.named_parameters():
        assert p.grad is not None, f"no gradient reached {name}"
        torch.testing.assert_close(p.grad, expected[name], rtol=1e-4, atol=1e-6, msg=f"gradient of {name}")


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
    ref_model = copy.deepcopy(model)
    expected = reference_loss(ref_model, batch)
    expected.backward()
    loss = training_step(model, batch)
    assert torch.isfinite(loss).item(), f"loss is {loss.item()} for large logits"
    torch.testing.assert_close(loss.detach(), expected.detach(), rtol=1e-5, atol=1e-4)
    loss.backward()
    assert torch.isfinite(model.logits.grad).all(), "non-finite gradient for large logits"
    torch.testing.assert_close(model.logits.grad, ref_model.logits.grad, rtol=1e-4, atol=1e-6)


def test_confident_correct_prediction_has_near_zero_loss():
    B, C = 6, 4
    batch = make_batch(B, 3, C, 5)
    logits = torch.full((B, C), -3.0)
    logits[torch.arange(B), batch["labels"]] = 30.0
    loss = training_step(FixedLogits(logits), batch)
    assert 0.0 <= loss.item() < 1e-6


def test_batch_of_one():
    model, batch = make_mlp(8, 4, 3), make_batch(1, 8, 4, 3)
    loss = training_step(model, batch)
    assert loss.shape == torch.Size([])
    torch.testing.assert_close(loss.detach(), reference_loss(model, batch).detach(), rtol=1e-5, atol=1e-6)


def test_many_classes():
    B, D, C = 4, 8, 1000
    model, batch = make_mlp(D, C, 7), make_batch(B, D, C, 7)
    loss = training_step(model, batch)
    torch.testing.assert_close(loss.detach(), reference_loss(model, batch).detach(), rtol=1e-5, atol=1e-6)
    # an untrained model should start near log(C)
    assert abs(loss.item() - math.log(C)) < 1.0


def test_mean_reduction_does_not_depend_on_batch_size():
    model, batch = make_mlp(6, 3, 11), make_batch(5, 6, 3, 11)
    doubled = {k: torch.cat([v, v]) for k, v in batch.items()}
    a = training_step(model, batch).item()
    b = training_step(model, doubled).item()
    assert math.isclose(a, b, rel_tol=1e-5), "loss should be the mean over the batch, not the sum"


def test_float64_inputs():
    model, batch = make_mlp(5, 4, 2, dtype=torch.float64), make_batch(6, 5, 4, 2, dtype=torch.float64)
    loss = training_step(model, batch)
    assert loss.dtype == torch.float64
    torch.testing.assert_close(loss.detach(), reference_loss(model, batch).detach(), rtol=1e-12, atol=1e-12)


def test_overfitting_one_batch_drives_loss_towards_zero():
    B, D, C = 8, 16, 5
    model, batch = make_mlp(D, C, 21), make_batch(B, D, C, 21)
    opt = torch.optim.SGD(model.parameters(), lr=0.5)
    first = None
    for _ in range(60):
        opt.zero_grad()
        loss = training_step(model, batch)
        loss.backward()
        opt.step()
        first = loss.item() if first is None else first
    final = training_step(model, batch).item()
    assert 0.0 <= final < 0.05 and final < 0.1 * first, f"loss went {first:.3f} -> {final:.3f}; cannot overfit one batch"
    assert reference_loss(model, batch).item() < 0.05, "the model did not actually fit the batch"


def test_does_not_mutate_batch():
    model, batch = make_mlp(7, 3, 4), make_batch(9, 7, 3, 4)
    snapshot = {k: v.clone() for k, v in batch.items()}
    objects = dict(batch)
    training_step(model, batch)
    assert set(batch) == {"features", "labels"}, "batch keys changed"
    for k in snapshot:
        assert batch[k] is objects[k], f"batch[{k!r}] was replaced"
        assert batch[k].dtype == snapshot[k].dtype
        assert torch.equal(batch[k], snapshot[k]), f"batch[{k!r}] was modified in place"


def test_calls_the_model_exactly_once_on_the_features():
    inner = make_mlp(6, 4, 9)
    model = CountingModel(inner)
    batch = make_batch(5, 6, 4, 9)
    loss = training_step(model, batch)
    assert len(model.inputs) == 1, f"model was called {len(model.inputs)} times"
    assert torch.equal(model.inputs[0], batch["features"])
    torch.testing.assert_close(loss.detach(), reference_loss(inner, batch).detach(), rtol=1e-5, atol=1e-6)


def test_emits_no_warnings():
    model, batch = make_mlp(6, 4, 13), make_batch(5, 6, 4, 13)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        training_step(model, batch)

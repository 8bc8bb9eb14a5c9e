"""Driver for the softmax-cross-entropy-bug tests. Runs in the CANDIDATE process, beside solution.py.

training_step takes a live nn.Module, so the tests cannot call it across the sandbox boundary. The
tests send plain data instead (a model description made of weight tensors, the batch tensors, a few
settings); this module rebuilds the model here, calls the candidate's training_step, runs backward
and reports what happened as plain values: the loss, the gradients, what the model was called with,
the batch as it looks afterwards, the warnings raised. It decides nothing: every expected value and
every pass/fail decision is made by the tests, in the harness.

Model descriptions (plain data):
  {"kind": "sequential", "layers": [{"type": "linear", "weight": W, "bias": b}, {"type": "tanh"}, ...]}
      an nn.Sequential of nn.Linear / nn.Tanh with exactly these parameters (dtype of W);
      parameter names are "0.weight", "0.bias", "2.weight", ... as in the tests' own copy.
  {"kind": "fixed_logits", "logits": L}
      a model whose output is the learnable [B, C] table L (the features are ignored);
      its one parameter is named "logits".
Both record every call (the input they were called with), however the model is invoked.
"""

import warnings

import torch
from torch import nn

import solution


class _RecordingSequential(nn.Sequential):
    def __init__(self, *layers):
        super().__init__(*layers)
        self.recorded_inputs = []

    def forward(self, x):
        self.recorded_inputs.append(x.detach().clone())
        return super().forward(x)


class _FixedLogits(nn.Module):
    def __init__(self, logits):
        super().__init__()
        self.logits = nn.Parameter(logits.clone())
        self.recorded_inputs = []

    def forward(self, x):
        self.recorded_inputs.append(x.detach().clone())
        return self.logits * 1.0


def build_model(spec):
    if spec["kind"] == "fixed_logits":
        return _FixedLogits(spec["logits"])
    if spec["kind"] == "sequential":
        layers = []
        for layer in spec["layers"]:
            if layer["type"] == "linear":
                w, b = layer["weight"], layer["bias"]
                lin = nn.Linear(w.shape[1], w.shape[0], dtype=w.dtype)
                with torch.no_grad():
                    lin.weight.copy_(w)
                    lin.bias.copy_(b)
                layers.append(lin)
            elif layer["type"] == "tanh":
                layers.append(nn.Tanh())
            else:
                raise ValueError(f"unknown layer type {layer['type']!r}")
        return _RecordingSequential(*layers)
    raise ValueError(f"unknown model kind {spec['kind']!r}")


def _plain(value):
    """The loss as the tests should see it: a detached tensor, a plain number, or a description."""
    if isinstance(value, torch.Tensor):
        return value.detach().clone()
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return f"<{type(value).__module__}.{type(value).__qualname__}>"


def step_report(model_spec, features, labels, backward=True):
    """Call solution.training_step once on a freshly built model and report what happened."""
    model = build_model(model_spec)
    batch = {"features": features, "labels": labels}
    originals = dict(batch)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        loss = solution.training_step(model, batch)
    is_tensor = isinstance(loss, torch.Tensor)
    report = {
        "loss": _plain(loss),
        "is_tensor": is_tensor,
        "requires_grad": bool(is_tensor and loss.requires_grad),
        "has_grad_fn": bool(is_tensor and loss.grad_fn is not None),
        "warnings": [f"{w.category.__name__}: {w.message}" for w in caught],
        "calls": len(model.recorded_inputs),
        "call_inputs": list(model.recorded_inputs),
        "batch_keys": sorted(str(k) for k in batch),
        "batch_same_objects": {k: batch.get(k) is v for k, v in originals.items()},
        "batch_after": {str(k): _plain(v) for k, v in batch.items()},
        "backward_error": None,
        "grads": {},
    }
    if backward:
        try:
            loss.backward()
        except Exception as exc:  # reported, not judged: the tests decide what it means
            report["backward_error"] = f"{type(exc).__name__}: {exc}"
        report["grads"] = {name: (None if p.grad is None else p.grad.detach().clone())
                           for name, p in model.named_parameters()}
    return report

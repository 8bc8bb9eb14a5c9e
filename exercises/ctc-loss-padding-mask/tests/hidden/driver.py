"""Driver for the ctc-loss-padding-mask tests. Runs in the CANDIDATE process, beside solution.py.

Tensors cross the sandbox boundary by value, without requires_grad, and a change the candidate
makes to an argument is not visible to the tests. So gradient and no-mutation checks go through
here: this module calls the candidate's batch_ctc_loss on log-probs that require grad, runs
backward, and reports plain values (the loss, the gradient, every input as it looks afterwards).
It decides nothing: expected values and pass/fail are computed by the tests, in the harness.
"""

import torch

import solution


def _plain(value):
    if isinstance(value, torch.Tensor):
        return value.detach().clone()
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return f"<{type(value).__module__}.{type(value).__qualname__}>"


def loss_and_grad(log_probs, targets, input_lengths, target_lengths, blank=None):
    """batch_ctc_loss(...).backward() with log_probs as a leaf that requires grad.

    blank=None calls the candidate without a blank argument (its default)."""
    x = log_probs.clone().requires_grad_(True)
    kwargs = {} if blank is None else {"blank": blank}
    loss = solution.batch_ctc_loss(x, targets, input_lengths, target_lengths, **kwargs)
    is_tensor = isinstance(loss, torch.Tensor)
    report = {
        "loss": _plain(loss),
        "requires_grad": bool(is_tensor and loss.requires_grad),
        "backward_error": None,
        "grad": None,
    }
    try:
        loss.backward()
    except Exception as exc:  # reported, not judged: the tests decide what it means
        report["backward_error"] = f"{type(exc).__name__}: {exc}"
    report["grad"] = _plain(x.grad)
    report["inputs_after"] = {
        "log_probs": x.detach().clone(),
        "targets": targets.clone(),
        "input_lengths": input_lengths.clone(),
        "target_lengths": target_lengths.clone(),
    }
    return report

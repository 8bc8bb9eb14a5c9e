"""Hidden-only driver (module hidden_driver) for softmax-cross-entropy-bug: shipped to hidden runs only, so
candidate code never reads it while the candidate can still change their answer. Runs in the CANDIDATE
process, beside solution.py and the shared driver; like it, it reports and decides nothing."""

import torch
from driver import _plain, build_model

import solution


def overfit_one_batch(model_spec, features, labels, steps=60, lr=0.5):
    """Plain SGD on one batch with the candidate's loss: the per-step losses, the loss after the last
    step (again from training_step) and the final parameters."""
    model = build_model(model_spec)
    batch = {"features": features, "labels": labels}
    opt = torch.optim.SGD(model.parameters(), lr=lr)
    losses = []
    for _ in range(steps):
        opt.zero_grad()
        loss = solution.training_step(model, batch)
        loss.backward()
        opt.step()
        losses.append(float(loss.item()))
    final = solution.training_step(model, batch)
    return {
        "losses": losses,
        "final_loss": float(final.item()) if isinstance(final, torch.Tensor) else _plain(final),
        "params": {name: p.detach().clone() for name, p in model.named_parameters()},
    }

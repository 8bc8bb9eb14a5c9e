# Wrong: sums the per-example losses instead of averaging them (loss and gradients scale with batch size).
import torch
import torch.nn.functional as F


def training_step(model, batch):
    x, y = batch["features"], batch["labels"]
    logits = model(x)
    return F.cross_entropy(logits, y, reduction="sum")

import torch
import torch.nn.functional as F


def training_step(model, batch):
    """Mean cross-entropy of the model's logits against the integer labels.

    F.cross_entropy takes raw logits: it applies log_softmax over dim 1 itself, in a numerically
    stable way. Applying softmax first would normalise twice.
    """
    x, y = batch["features"], batch["labels"]
    logits = model(x)  # [B, C]
    return F.cross_entropy(logits, y)  # reduction="mean", 0-dim, attached to the graph

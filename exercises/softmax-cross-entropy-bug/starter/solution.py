# Exercise: find the bug before this ships.
import torch
import torch.nn.functional as F


def training_step(model, batch):
    x, y = batch["features"], batch["labels"]
    logits = model(x)  # [batch, classes]
    probs = F.softmax(logits)
    loss = F.cross_entropy(probs, y)
    return loss

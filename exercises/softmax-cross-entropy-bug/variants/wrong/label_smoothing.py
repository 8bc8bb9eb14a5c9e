# Wrong: silently adds label smoothing, which changes the loss the contract asks for (and its minimum).
import torch
import torch.nn.functional as F


def training_step(model, batch):
    x, y = batch["features"], batch["labels"]
    logits = model(x)
    return F.cross_entropy(logits, y, label_smoothing=0.1)

# Right: nn.CrossEntropyLoss with reduction="none", averaged explicitly.
import torch
from torch import nn

_criterion = nn.CrossEntropyLoss(reduction="none")


def training_step(model, batch):
    logits = model(batch["features"])
    losses = _criterion(logits, batch["labels"])
    return losses.sum() / losses.numel()

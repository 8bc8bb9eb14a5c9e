# Wrong: treats the task as multi-label -- per-class sigmoid BCE on one-hot targets is not softmax cross-entropy.
import torch
import torch.nn.functional as F


def training_step(model, batch):
    x, y = batch["features"], batch["labels"]
    logits = model(x)
    targets = F.one_hot(y, num_classes=logits.shape[1]).to(logits.dtype)
    return F.binary_cross_entropy_with_logits(logits, targets)

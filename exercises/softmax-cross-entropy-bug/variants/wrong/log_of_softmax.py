# Wrong: log(softmax(x)) is numerically unstable; probabilities underflow to 0 for large logits, giving inf/nan.
import torch
import torch.nn.functional as F


def training_step(model, batch):
    x, y = batch["features"], batch["labels"]
    logits = model(x)
    log_probs = torch.log(F.softmax(logits, dim=-1))
    return F.nll_loss(log_probs, y)

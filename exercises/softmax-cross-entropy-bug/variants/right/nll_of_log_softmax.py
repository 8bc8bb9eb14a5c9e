# Right: explicit log_softmax over the class dim, then negative log-likelihood (mean).
import torch.nn.functional as F


def training_step(model, batch):
    features, labels = batch["features"], batch["labels"]
    log_probs = F.log_softmax(model(features), dim=-1)
    return F.nll_loss(log_probs, labels, reduction="mean")

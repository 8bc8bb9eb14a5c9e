# Right: cross-entropy written out as logsumexp(logits) - logit[label], which is stable for large logits.
import torch


def training_step(model, batch):
    logits = model(batch["features"])
    labels = batch["labels"]
    target_logit = logits.gather(1, labels.unsqueeze(1)).squeeze(1)
    per_example = torch.logsumexp(logits, dim=1) - target_logit
    return per_example.mean()

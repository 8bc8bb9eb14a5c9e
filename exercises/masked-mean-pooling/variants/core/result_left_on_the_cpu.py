# Core mistake, invisible on a CPU-only machine: computes on the CPU and returns the result there, so a GPU
# caller gets a CPU tensor back (and pays two copies and a sync per batch).
import torch


def masked_mean(hidden, lengths):
    h, n = hidden.float().cpu(), lengths.cpu()
    valid = torch.arange(h.shape[1])[None, :] < n[:, None]
    summed = torch.where(valid[..., None], h, 0.0).sum(1)
    return (summed / n.clamp(min=1)[:, None].float()).to(hidden.dtype)

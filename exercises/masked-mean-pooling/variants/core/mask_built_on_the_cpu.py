# Core mistake, invisible on a CPU-only machine: the frame index comes from torch.arange(T) on the CPU, so on a
# GPU the comparison with `lengths` raises a device-mismatch error.
import torch


def masked_mean(hidden, lengths):
    valid = torch.arange(hidden.shape[1])[None, :] < lengths[:, None]
    summed = torch.where(valid[..., None], hidden.float(), 0.0).sum(1)
    return (summed / lengths.clamp(min=1)[:, None].float()).to(hidden.dtype)

# Wrong: 0/0 for zero-length utterances gives NaN.
import torch


def masked_mean(hidden, lengths):
    mask = torch.arange(hidden.shape[1], device=hidden.device)[None, :] < lengths[:, None]
    summed = torch.where(mask[..., None], hidden, torch.zeros_like(hidden)).sum(1)
    return summed / lengths[:, None].to(hidden.dtype)

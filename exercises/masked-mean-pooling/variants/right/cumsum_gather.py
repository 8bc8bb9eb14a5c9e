# Right: prefix sums, then pick the sum at each length.
import torch


def masked_mean(hidden, lengths):
    acc = hidden.float()
    valid = torch.arange(hidden.shape[1], device=hidden.device)[None, :] < lengths[:, None]
    acc = acc.masked_fill(~valid[..., None], 0.0)
    prefix = torch.cat([torch.zeros_like(acc[:, :1]), acc.cumsum(1)], dim=1)
    summed = prefix[torch.arange(hidden.shape[0], device=hidden.device), lengths]
    return (summed / lengths.clamp(min=1)[:, None].float()).to(hidden.dtype)

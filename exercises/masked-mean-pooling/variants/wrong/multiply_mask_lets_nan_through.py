# Wrong: multiplying by the mask keeps NaN/inf from padding (nan * 0 = nan).
import torch


def masked_mean(hidden, lengths):
    mask = (torch.arange(hidden.shape[1], device=hidden.device)[None, :] < lengths[:, None]).to(hidden.dtype)
    return (hidden * mask[..., None]).sum(1) / lengths.clamp(min=1)[:, None].to(hidden.dtype)

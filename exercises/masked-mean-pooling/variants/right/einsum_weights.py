# Right: per-frame weights 1/length on valid frames, then one einsum.
import torch


def masked_mean(hidden, lengths):
    frames = torch.arange(hidden.shape[1], device=hidden.device)
    weights = (frames[None, :] < lengths[:, None]).float() / lengths.clamp(min=1)[:, None].float()
    clean = torch.where(weights[..., None] > 0, hidden.float(), torch.zeros((), device=hidden.device))
    return torch.einsum("btd,bt->bd", clean, weights).to(hidden.dtype)

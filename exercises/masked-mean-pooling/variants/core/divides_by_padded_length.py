# Wrong: zeroes the padding but divides by T instead of each utterance's length.
import torch


def masked_mean(hidden, lengths):
    mask = torch.arange(hidden.shape[1], device=hidden.device)[None, :] < lengths[:, None]
    return (hidden * mask[..., None]).sum(1) / hidden.shape[1]

import torch


def ctc_greedy_decode(log_probs: torch.Tensor, lengths: torch.Tensor, blank: int = 0) -> list[list[int]]:
    """Greedy (best-path) CTC decoding.

    log_probs: [T, B, V] float tensor (time-major).
    lengths:   [B] long tensor of valid frame counts.
    blank:     index of the blank token.

    Returns B lists of token ids (Python ints).
    """
    raise NotImplementedError("implement ctc_greedy_decode")

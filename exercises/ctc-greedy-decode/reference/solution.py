import torch


def ctc_greedy_decode(log_probs: torch.Tensor, lengths: torch.Tensor, blank: int = 0) -> list[list[int]]:
    """Greedy (best-path) CTC decoding.

    log_probs: [T, B, V] float tensor (time-major).
    lengths:   [B] long tensor of valid frame counts.
    blank:     index of the blank token.

    Returns B lists of token ids (Python ints): per utterance, the argmax token of every valid
    frame, with consecutive repeats collapsed and then blanks removed.
    """
    best = log_probs.argmax(dim=-1)  # [T, B]
    decoded = []
    for b, length in enumerate(lengths.tolist()):
        path = best[:length, b].tolist()
        tokens = []
        prev = None
        for tok in path:
            if tok != prev and tok != blank:
                tokens.append(tok)
            prev = tok  # a blank also resets prev, so "a _ a" keeps both a's
        decoded.append(tokens)
    return decoded

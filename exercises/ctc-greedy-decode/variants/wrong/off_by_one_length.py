# Wrong: treats lengths[b] as the index of the last valid frame and slices one frame past it.
import torch


def ctc_greedy_decode(log_probs, lengths, blank=0):
    best = log_probs.argmax(dim=-1)
    out = []
    for b in range(best.shape[1]):
        last = int(lengths[b])
        tokens, prev = [], None
        for tok in best[: last + 1, b].tolist():
            if tok != prev and tok != blank:
                tokens.append(tok)
            prev = tok
        out.append(tokens)
    return out

# Wrong: loops t from 1 and compares with path[t-1], so the first valid frame is never emitted.
import torch


def ctc_greedy_decode(log_probs, lengths, blank=0):
    best = log_probs.argmax(dim=-1)
    out = []
    for b in range(best.shape[1]):
        path = best[: int(lengths[b]), b].tolist()
        tokens = []
        for t in range(1, len(path)):
            if path[t] != path[t - 1] and path[t] != blank:
                tokens.append(path[t])
        out.append(tokens)
    return out

# Wrong: dedupes tokens across the whole utterance (dict.fromkeys) instead of collapsing consecutive runs.
import torch


def ctc_greedy_decode(log_probs, lengths, blank=0):
    best = log_probs.argmax(dim=-1)
    out = []
    for b in range(best.shape[1]):
        path = best[: int(lengths[b]), b].tolist()
        out.append([t for t in dict.fromkeys(path) if t != blank])
    return out

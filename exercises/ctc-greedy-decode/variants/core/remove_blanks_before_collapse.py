# Wrong: drops blanks before collapsing repeats, so "a _ a" merges into a single "a".
import torch


def ctc_greedy_decode(log_probs, lengths, blank=0):
    best = log_probs.argmax(dim=-1)
    out = []
    for b in range(best.shape[1]):
        path = [t for t in best[: int(lengths[b]), b].tolist() if t != blank]
        tokens = []
        for tok in path:
            if not tokens or tokens[-1] != tok:
                tokens.append(tok)
        out.append(tokens)
    return out

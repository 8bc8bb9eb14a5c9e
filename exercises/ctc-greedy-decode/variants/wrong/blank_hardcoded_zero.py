# Wrong: ignores the blank argument and always treats index 0 as the blank.
import torch


def ctc_greedy_decode(log_probs, lengths, blank=0):
    best = log_probs.argmax(dim=-1)
    out = []
    for b in range(best.shape[1]):
        tokens, prev = [], None
        for tok in best[: int(lengths[b]), b].tolist():
            if tok != prev and tok != 0:
                tokens.append(tok)
            prev = tok
        out.append(tokens)
    return out

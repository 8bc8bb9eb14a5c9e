# Wrong: returns 0-dim tensors instead of Python ints (breaks json, tokenizers and equality-based callers).
import torch


def ctc_greedy_decode(log_probs, lengths, blank=0):
    best = log_probs.argmax(dim=-1)
    out = []
    for b in range(best.shape[1]):
        path = best[: int(lengths[b]), b]
        tokens, prev = [], None
        for tok in path:
            if prev is None or tok != prev:
                if tok != blank:
                    tokens.append(tok)
            prev = tok
        out.append(tokens)
    return out

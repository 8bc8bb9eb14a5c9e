# Wrong: decodes all T frames, including the padding beyond lengths[b].
import torch


def ctc_greedy_decode(log_probs, lengths, blank=0):
    best = log_probs.argmax(dim=-1)
    out = []
    for b in range(best.shape[1]):
        tokens, prev = [], None
        for tok in best[:, b].tolist():
            if tok != prev and tok != blank:
                tokens.append(tok)
            prev = tok
        out.append(tokens)
    return out

# Wrong: "prev" is only updated when a token is emitted, so a blank does not split a run ("a _ a" -> [a]).
import torch


def ctc_greedy_decode(log_probs, lengths, blank=0):
    best = log_probs.argmax(dim=-1)
    out = []
    for b in range(best.shape[1]):
        tokens, prev = [], None
        for tok in best[: int(lengths[b]), b].tolist():
            if tok == blank:
                continue
            if tok != prev:
                tokens.append(tok)
                prev = tok
        out.append(tokens)
    return out

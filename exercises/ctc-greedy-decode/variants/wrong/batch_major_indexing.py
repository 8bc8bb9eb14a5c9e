# Wrong: indexes log_probs[b] as if it were batch-major [B, T, V]; the input is time-major [T, B, V].
import torch


def ctc_greedy_decode(log_probs, lengths, blank=0):
    out = []
    for b in range(len(lengths)):
        frames = log_probs[b][: int(lengths[b])]  # actually frame b of every utterance
        tokens, prev = [], None
        for tok in frames.argmax(dim=-1).tolist():
            if tok != prev and tok != blank:
                tokens.append(tok)
            prev = tok
        out.append(tokens)
    return out

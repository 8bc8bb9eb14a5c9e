# Right: numpy version -- run starts via np.diff on the valid slice, then a blank filter.
import numpy as np


def ctc_greedy_decode(log_probs, lengths, blank=0):
    best = log_probs.detach().cpu().numpy().argmax(axis=-1)  # [T, B]
    result = []
    for b, n in enumerate(lengths.tolist()):
        path = best[:n, b]
        if n == 0:
            result.append([])
            continue
        starts = np.concatenate(([True], np.diff(path) != 0))
        tokens = path[starts]
        result.append([int(t) for t in tokens[tokens != blank]])
    return result

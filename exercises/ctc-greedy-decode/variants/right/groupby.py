# Right: itertools.groupby collapses runs; blanks are dropped from the run keys.
from itertools import groupby

import torch


def ctc_greedy_decode(log_probs, lengths, blank=0):
    best_path = log_probs.argmax(dim=2).t().tolist()  # [B][T]
    return [
        [token for token, _ in groupby(path[:n]) if token != blank]
        for path, n in zip(best_path, lengths.tolist())
    ]

"""Simple checks you can run while working: pytest tests/visible"""

import torch

from solution import ctc_greedy_decode


def scores_for(paths, V, T=None):
    """Build [T, B, V] log-probs whose per-frame argmax is the given token path (ties impossible)."""
    B = len(paths)
    T = T if T is not None else max(len(p) for p in paths)
    logits = torch.zeros(T, B, V)
    for b, path in enumerate(paths):
        for t, tok in enumerate(path):
            logits[t, b, tok] = 5.0
    return torch.log_softmax(logits, dim=-1)


def test_consecutive_repeats_are_collapsed():
    # blank = 0, tokens a=1, b=2
    out = ctc_greedy_decode(scores_for([[1, 1, 2, 2, 2]], V=4), torch.tensor([5]))
    assert out == [[1, 2]]


def test_blank_between_repeats_keeps_both():
    out = ctc_greedy_decode(scores_for([[1, 0, 1]], V=4), torch.tensor([3]))
    assert out == [[1, 1]]


def test_all_blank_gives_empty_list():
    out = ctc_greedy_decode(scores_for([[0, 0, 0]], V=4), torch.tensor([3]))
    assert out == [[]]


def test_hello():
    # _ h e l l _ l o _   with h=1, e=2, l=3, o=4
    out = ctc_greedy_decode(scores_for([[0, 1, 2, 3, 3, 0, 3, 4, 0]], V=5), torch.tensor([9]))
    assert out == [[1, 2, 3, 3, 4]]

"""Hidden tests for ctc_greedy_decode."""

import random

import pytest
import torch

from solution import ctc_greedy_decode


def scores_for(paths, V, T=None, blank=0, seed=0, junk="tokens", normalise=True):
    """[T, B, V] scores whose argmax over the valid frames of utterance b is paths[b].

    Padding frames (t >= len(paths[b])) get a random non-blank argmax ("tokens") so that a decoder
    which reads them emits something. Scores are uniform noise in [0, 1) plus 2 at the chosen
    token, so the argmax is always unique.
    """
    g = torch.Generator().manual_seed(seed)
    B = len(paths)
    T = T if T is not None else max([len(p) for p in paths] + [1])
    scores = torch.rand(T, B, V, generator=g)
    non_blank = [v for v in range(V) if v != blank]
    rng = random.Random(seed)
    for b in range(B):
        for t in range(T):
            if t < len(paths[b]):
                tok = paths[b][t]
            elif junk == "tokens":
                tok = rng.choice(non_blank)
            else:
                tok = junk[(t - len(paths[b])) % len(junk)]
            scores[t, b, tok] += 2.0
    return torch.log_softmax(scores, dim=-1) if normalise else scores


def collapse(path, blank):
    out, prev = [], None
    for tok in path:
        if tok != prev and tok != blank:
            out.append(tok)
        prev = tok
    return out


def decode(paths, V, blank=0, T=None, **kw):
    lp = scores_for(paths, V, T=T, blank=blank, **kw)
    lengths = torch.tensor([len(p) for p in paths], dtype=torch.long)
    return ctc_greedy_decode(lp, lengths, blank=blank)


# --- collapse rules -------------------------------------------------------------------------------

@pytest.mark.parametrize(
    "path,expected",
    [
        ([1, 1, 2, 2, 2], [1, 2]),                      # a a b b b -> a b
        ([1, 0, 1], [1, 1]),                            # a _ a -> a a
        ([0, 1, 2, 3, 3, 0, 3, 4, 0], [1, 2, 3, 3, 4]),  # _ h e l l _ l o _ -> hello
        ([0, 0, 0], []),
        ([1], [1]),
        ([0], []),
        ([1, 1, 0, 0, 1, 1], [1, 1]),
        ([1, 2, 1, 2], [1, 2, 1, 2]),                   # non-adjacent repeats are kept
        ([0, 1, 1, 1, 0, 0, 2, 0, 2, 2, 0], [1, 2, 2]),
        ([3, 0, 3, 0, 3], [3, 3, 3]),
    ],
)
def test_collapse_then_remove_blanks(path, expected):
    assert decode([path], V=5) == [expected]


def test_blank_resets_the_previous_token():
    # a a _ a : the blank splits the run, so the second a is a new token
    assert decode([[2, 2, 0, 2]], V=4) == [[2, 2]]


def test_tokens_repeated_non_adjacently_are_not_deduplicated():
    assert decode([[1, 2, 3, 1, 2, 3, 3, 1]], V=5) == [[1, 2, 3, 1, 2, 3, 1]]


def test_default_blank_is_zero():
    lp = scores_for([[1, 0, 1, 2]], V=3)
    assert ctc_greedy_decode(lp, torch.tensor([4])) == [[1, 1, 2]]


# --- blank index ---------------------------------------------------------------------------------

@pytest.mark.parametrize("blank", [4, 2])
def test_non_zero_blank_index(blank):
    V = 5
    # token 0 is a real token here
    path = [blank, 0, 0, blank, 0, 1, blank, blank, 3, 3]
    expected = collapse(path, blank)
    assert 0 in expected
    assert decode([path], V=V, blank=blank) == [expected]


def test_non_zero_blank_all_blank_is_empty():
    assert decode([[3, 3, 3, 3]], V=4, blank=3) == [[]]


# --- lengths and padding -------------------------------------------------------------------------

def test_padding_frames_are_ignored():
    paths = [[1, 0, 2], [3, 3, 0, 1, 0], [2]]
    out = decode(paths, V=5, T=12)
    assert out == [[1, 2], [3, 1], [2]]


def test_padding_that_would_continue_the_text_is_ignored():
    # valid frames end in a blank; padding starts with the same token as before the blank
    paths = [[1, 2, 0], [4, 0]]
    out = decode(paths, V=5, T=6, junk=[2, 1])
    assert out == [[1, 2], [4]]


def test_last_valid_frame_is_decoded():
    paths = [[1, 0, 2, 3], [2, 4]]
    out = decode(paths, V=5, T=8, junk=[0])
    assert out == [[1, 2, 3], [2, 4]]


def test_first_padding_frame_is_not_decoded():
    paths = [[1, 0], [2, 3, 0]]
    out = decode(paths, V=5, T=5, junk=[4, 0])
    assert out == [[1], [2, 3]]


def test_zero_length_gives_empty_list():
    paths = [[], [1, 2], []]
    out = decode(paths, V=4, T=5)
    assert out == [[], [1, 2], []]


def test_full_length_utterances():
    paths = [[1, 2, 2, 0, 3], [0, 0, 1, 1, 1]]
    assert decode(paths, V=4, T=5) == [[1, 2, 3], [1]]


def test_single_frame_batch():
    lp = scores_for([[2], [0], [1]], V=3)
    assert ctc_greedy_decode(lp, torch.tensor([1, 1, 1]), blank=0) == [[2], [], [1]]


# --- batches against a simple reference ----------------------------------------------------------

@pytest.mark.parametrize("seed", range(8))
@pytest.mark.parametrize("T,B,V,blank", [(20, 3, 6, 0), (4, 9, 5, 0), (50, 5, 30, 29), (7, 7, 3, 1), (33, 2, 8, 5)])
def test_random_batches_match_simple_decoder(seed, T, B, V, blank):
    rng = random.Random(seed * 100 + T)
    tokens = list(range(V))
    paths = []
    for _ in range(B):
        n = rng.randint(0, T)
        # bias towards blanks and repeats, like real CTC outputs
        path = []
        for _ in range(n):
            r = rng.random()
            if r < 0.4:
                path.append(blank)
            elif r < 0.7 and path:
                path.append(path[-1])
            else:
                path.append(rng.choice(tokens))
        paths.append(path)
    lengths = torch.tensor([len(p) for p in paths], dtype=torch.long)
    lp = scores_for(paths, V, T=T, blank=blank, seed=seed)
    assert ctc_greedy_decode(lp, lengths, blank=blank) == [collapse(p, blank) for p in paths]


def test_large_batch():
    T, B, V, blank = 1200, 16, 64, 0
    g = torch.Generator().manual_seed(123)
    scores = torch.rand(T, B, V, generator=g)
    lengths = torch.randint(0, T + 1, (B,), generator=g)
    lengths[0] = T
    lengths[1] = 0
    best = scores.argmax(-1)
    expected = [collapse(best[: int(lengths[b]), b].tolist(), blank) for b in range(B)]
    assert ctc_greedy_decode(scores, lengths, blank=blank) == expected


def test_unnormalised_scores():
    lp = scores_for([[1, 1, 0, 1, 2]], V=4, normalise=False) * 10 - 50
    assert ctc_greedy_decode(lp, torch.tensor([5]), blank=0) == [[1, 1, 2]]


# --- return types and inputs ---------------------------------------------------------------------

def test_returns_list_of_lists_of_python_ints():
    paths = [[1, 0, 2, 2], [], [3]]
    out = decode(paths, V=4, T=6)
    assert type(out) is list and len(out) == 3
    for seq in out:
        assert type(seq) is list
        for tok in seq:
            assert type(tok) is int, f"expected Python int, got {type(tok).__name__}"


def test_does_not_modify_inputs():
    lp = scores_for([[1, 0, 2], [2, 2]], V=4, T=5)
    lengths = torch.tensor([3, 2])
    lp_copy, len_copy = lp.clone(), lengths.clone()
    ctc_greedy_decode(lp, lengths, blank=0)
    assert torch.equal(lp, lp_copy) and torch.equal(lengths, len_copy)

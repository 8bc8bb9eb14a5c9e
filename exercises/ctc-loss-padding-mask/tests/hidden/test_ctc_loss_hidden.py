"""Hidden tests for batch_ctc_loss.

These run in the harness; batch_ctc_loss runs in the candidate process and tensors cross by value.
Gradient and no-mutation checks go through tests/hidden/driver.py, which runs backward beside the
candidate's code and reports plain values. Every expected value is computed HERE.
"""

import itertools
import math

import pytest
import torch
import torch.nn.functional as F

from hidden_driver import loss_and_grad
from solution import batch_ctc_loss

PAD = -1


def _make_batch(seed, B, T, V, S, blank=0, dtype=torch.float64, input_lengths=None, target_lengths=None):
    """Batch-major log-probs with junk (not log-softmaxed) padding frames, -1-padded targets."""
    g = torch.Generator().manual_seed(seed)
    if input_lengths is None:
        input_lengths = torch.randint(max(2 * S, T // 2), T + 1, (B,), generator=g)
        input_lengths[0] = T  # at least one full-length utterance, the rest shorter
        if B > 1:
            input_lengths[1] = max(2 * S, T // 2)
    input_lengths = torch.as_tensor(input_lengths, dtype=torch.long)
    if target_lengths is None:
        target_lengths = torch.randint(1, S + 1, (B,), generator=g)
        target_lengths[0] = S
        if B > 1:
            target_lengths[-1] = 1
    target_lengths = torch.as_tensor(target_lengths, dtype=torch.long)
    labels = [c for c in range(V) if c != blank]
    idx = torch.randint(0, len(labels), (B, S), generator=g)
    targets = torch.tensor(labels)[idx]
    for b in range(B):
        targets[b, target_lengths[b]:] = PAD
    log_probs = (torch.randn(B, T, V, generator=g, dtype=torch.float64) * 2).log_softmax(-1)
    for b in range(B):
        log_probs[b, input_lengths[b]:] = torch.randn(T - int(input_lengths[b]), V, generator=g, dtype=torch.float64) * 5
    return log_probs.to(dtype), targets, input_lengths, target_lengths


def _expected(log_probs, targets, input_lengths, target_lengths, blank=0):
    return F.ctc_loss(
        log_probs.transpose(0, 1),
        torch.where(targets == PAD, torch.full_like(targets, blank), targets),
        input_lengths,
        target_lengths,
        blank=blank,
        reduction="mean",
        zero_infinity=False,
    )


def _brute_force_nll(frames, label_seq, blank):
    """-log p(label_seq | frames) by summing over every frame-level path (tiny inputs only)."""
    T, V = frames.shape
    total = 0.0
    for path in itertools.product(range(V), repeat=T):
        collapsed = [k for i, k in enumerate(path) if (i == 0 or k != path[i - 1]) and k != blank]
        if collapsed == list(label_seq):
            total += math.exp(sum(float(frames[t, k]) for t, k in enumerate(path)))
    return -math.log(total)


@pytest.mark.parametrize(
    "seed, B, T, V, S",
    [(0, 4, 30, 6, 5), (1, 3, 17, 4, 3), (2, 6, 40, 10, 8), (3, 2, 12, 5, 4), (4, 5, 25, 3, 6)],
)
def test_matches_contract_on_random_batches(seed, B, T, V, S):
    lp, tg, il, tl = _make_batch(seed, B, T, V, S)
    got = batch_ctc_loss(lp, tg, il, tl)
    want = _expected(lp, tg, il, tl)
    assert torch.is_tensor(got)
    assert got.dim() == 0
    assert torch.allclose(got, want, rtol=1e-9, atol=1e-9), (got, want)


def test_float32_batch():
    lp, tg, il, tl = _make_batch(10, 4, 20, 7, 4, dtype=torch.float32)
    got = batch_ctc_loss(lp, tg, il, tl)
    assert got.dtype == torch.float32
    assert torch.allclose(got, _expected(lp, tg, il, tl), rtol=1e-5, atol=1e-5)


def test_brute_force_per_target_length_normalisation():
    # Independent of torch's ctc_loss: enumerate every alignment of two tiny utterances.
    torch.manual_seed(0)
    T, V = 5, 3
    lp = torch.randn(2, T, V, dtype=torch.float64).log_softmax(-1)
    il = torch.tensor([5, 4])
    tl = torch.tensor([2, 1])
    tg = torch.tensor([[1, 2], [2, PAD]])
    lp[1, 4] = 7.0  # junk padding frame
    nll0 = _brute_force_nll(lp[0, :5], [1, 2], blank=0)
    nll1 = _brute_force_nll(lp[1, :4], [2], blank=0)
    want = (nll0 / 2 + nll1 / 1) / 2
    got = batch_ctc_loss(lp, tg, il, tl)
    assert got.item() == pytest.approx(want, rel=1e-9)


def test_junk_in_padding_frames_does_not_change_loss():
    lp, tg, il, tl = _make_batch(20, 5, 32, 8, 6)
    base = batch_ctc_loss(lp, tg, il, tl)
    g = torch.Generator().manual_seed(21)
    lp2 = lp.clone()
    for b in range(lp.shape[0]):
        n = lp.shape[1] - int(il[b])
        lp2[b, il[b]:] = torch.randn(n, lp.shape[2], generator=g, dtype=lp.dtype) * 50 + 10
    other = batch_ctc_loss(lp2, tg, il, tl)
    assert torch.allclose(base, other, rtol=1e-12, atol=1e-12)


def test_loss_is_differentiable_with_respect_to_log_probs():
    lp, tg, il, tl = _make_batch(31, 3, 20, 6, 4)
    out = loss_and_grad(lp, tg, il, tl)  # backward runs in the candidate process (tests/hidden/driver.py)
    assert out["requires_grad"], "the loss does not require grad: it is cut from the graph and cannot train"
    assert out["backward_error"] is None, f"loss.backward() failed: {out['backward_error']}"
    assert out["grad"] is not None and out["grad"].abs().sum() > 0, "backward gives log_probs no gradient"


def test_gradient_is_zero_on_padding_frames_and_correct_on_valid_frames():
    lp, tg, il, tl = _make_batch(30, 4, 24, 6, 5)
    out = loss_and_grad(lp, tg, il, tl)  # backward runs in the candidate process (tests/hidden/driver.py)
    assert out["requires_grad"], "the loss is not differentiable with respect to log_probs"
    assert out["backward_error"] is None, f"loss.backward() failed: {out['backward_error']}"
    grad = out["grad"]
    x_ref = lp.clone().requires_grad_(True)
    _expected(x_ref, tg, il, tl).backward()
    assert grad is not None
    assert grad.shape == lp.shape and grad.dtype == lp.dtype
    for b in range(lp.shape[0]):
        n = int(il[b])
        assert torch.count_nonzero(grad[b, n:]) == 0, f"utterance {b} has gradient on padding frames"
        assert grad[b, :n].abs().sum() > 0, f"utterance {b} has no gradient on its valid frames"
    assert torch.allclose(grad, x_ref.grad, rtol=1e-7, atol=1e-10)


def test_padded_targets_with_minus_one():
    lp, _, il, _ = _make_batch(40, 3, 16, 5, 4, input_lengths=[16, 11, 9])
    tg = torch.tensor([[1, 2, 2, 3], [4, 1, PAD, PAD], [3, PAD, PAD, PAD]])
    tl = torch.tensor([4, 2, 1])
    got = batch_ctc_loss(lp, tg, il, tl)
    assert torch.isfinite(got)
    assert torch.allclose(got, _expected(lp, tg, il, tl), rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize("blank", [3, 5])
def test_blank_index_other_than_zero(blank):
    V = 6
    lp, tg, il, tl = _make_batch(50 + blank, 4, 26, V, 5, blank=blank)
    assert (tg == 0).any()  # label 0 is a real token here
    got = batch_ctc_loss(lp, tg, il, tl, blank=blank)
    assert torch.allclose(got, _expected(lp, tg, il, tl, blank=blank), rtol=1e-9, atol=1e-9)


def test_blank_keyword_default_is_zero():
    lp, tg, il, tl = _make_batch(60, 3, 20, 5, 4)
    assert torch.allclose(batch_ctc_loss(lp, tg, il, tl), batch_ctc_loss(lp, tg, il, tl, blank=0))


def test_batch_of_one_with_padding():
    lp, tg, il, tl = _make_batch(70, 1, 20, 5, 3, input_lengths=[13], target_lengths=[2])
    got = batch_ctc_loss(lp, tg, il, tl)
    assert got.dim() == 0
    assert torch.allclose(got, _expected(lp, tg, il, tl), rtol=1e-9, atol=1e-9)


def test_batch_of_one_full_length():
    lp, tg, il, tl = _make_batch(71, 1, 15, 4, 3, input_lengths=[15], target_lengths=[3])
    assert torch.allclose(batch_ctc_loss(lp, tg, il, tl), _expected(lp, tg, il, tl), rtol=1e-9, atol=1e-9)


def test_batch_size_equal_to_frames():
    # B == T: a reshape to [T, B, V] does not even change the shape here.
    lp, tg, il, tl = _make_batch(75, 8, 8, 4, 2, input_lengths=[8, 7, 6, 5, 8, 4, 6, 5])
    assert torch.allclose(batch_ctc_loss(lp, tg, il, tl), _expected(lp, tg, il, tl), rtol=1e-9, atol=1e-9)


def test_unsorted_lengths_order_invariant():
    lp, tg, il, tl = _make_batch(80, 5, 30, 7, 6)
    perm = torch.tensor([3, 0, 4, 1, 2])
    a = batch_ctc_loss(lp, tg, il, tl)
    b = batch_ctc_loss(lp[perm], tg[perm], il[perm], tl[perm])
    assert torch.allclose(a, b, rtol=1e-9, atol=1e-12)


def test_unalignable_utterance_gives_inf():
    lp, _, _, _ = _make_batch(90, 2, 10, 5, 3, input_lengths=[10, 10])
    tg = torch.tensor([[1, 1, 2], [3, PAD, PAD]])  # "1 1 2" needs at least 4 frames
    il = torch.tensor([3, 10])
    tl = torch.tensor([3, 1])
    got = batch_ctc_loss(lp, tg, il, tl)
    assert torch.isinf(got) and got > 0


def test_does_not_mutate_inputs():
    lp, tg, il, tl = _make_batch(100, 4, 20, 6, 5, blank=2)
    # The call and backward run in the candidate process (tests/hidden/driver.py), which sends back every
    # input as it looks afterwards; they are compared with this process's untouched originals.
    out = loss_and_grad(lp, tg, il, tl, blank=2)
    after = out["inputs_after"]  # whether backward worked is test_loss_is_differentiable_...'s concern
    assert torch.equal(after["log_probs"], lp), "log_probs was modified in place"
    for name, original in (("targets", tg), ("input_lengths", il), ("target_lengths", tl)):
        assert after[name].dtype == original.dtype, f"{name} changed dtype"
        assert torch.equal(after[name], original), f"{name} was modified in place"
    assert (after["targets"] == PAD).any()  # the caller's padding is still there

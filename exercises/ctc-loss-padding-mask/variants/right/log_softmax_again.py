# RIGHT: defensively re-applies log_softmax before the loss. On inputs that are already
# log-probabilities this is a no-op up to rounding (log_softmax is idempotent), and junk in
# padding frames stays confined to frames that ctc_loss never reads. Builds a fresh padded
# target tensor instead of masking.
import torch
import torch.nn.functional as F


def batch_ctc_loss(log_probs, targets, input_lengths, target_lengths, blank=0):
    normalised = F.log_softmax(log_probs, dim=-1).transpose(0, 1).contiguous()
    padded = torch.full_like(targets, blank)
    for b, n in enumerate(target_lengths.tolist()):
        padded[b, :n] = targets[b, :n]
    return F.ctc_loss(normalised, padded, input_lengths, target_lengths, blank=blank, reduction="mean")

# WRONG: sets zero_infinity=True "for stability". An unalignable utterance (fewer frames than its
# labels need) then contributes 0 instead of inf, so the batch loss looks fine and the data or
# frame-rate bug that produced it is hidden. The contract requires zero_infinity=False.
import torch.nn.functional as F


def batch_ctc_loss(log_probs, targets, input_lengths, target_lengths, blank=0):
    safe_targets = targets.masked_fill(targets == -1, blank)
    return F.ctc_loss(
        log_probs.transpose(0, 1), safe_targets, input_lengths, target_lengths,
        blank=blank, reduction="mean", zero_infinity=True,
    )

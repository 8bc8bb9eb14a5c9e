"""Central mistake: the right value, cut from the graph (computed on a detached copy "to save memory"):
the loss cannot train anything."""

import torch.nn.functional as F

PAD = -1


def batch_ctc_loss(log_probs, targets, input_lengths, target_lengths, blank=0):
    # [B, T, V] -> [T, B, V]. A transpose, not a reshape: reshape keeps the memory order and
    # silently mixes frames of different utterances.
    time_major = log_probs.detach().transpose(0, 1)
    # Out-of-place: the caller's targets stay untouched. Positions past target_lengths are never
    # read by ctc_loss; replacing the pad just keeps every id in range.
    safe_targets = targets.masked_fill(targets == PAD, blank)
    # Real per-utterance frame counts, so padding frames are neither scored nor given gradient.
    # reduction="mean" divides each utterance's loss by its target length, then averages.
    return F.ctc_loss(
        time_major,
        safe_targets,
        input_lengths,
        target_lengths,
        blank=blank,
        reduction="mean",
        zero_infinity=False,
    )

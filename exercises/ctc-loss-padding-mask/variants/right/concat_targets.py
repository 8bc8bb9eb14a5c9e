# RIGHT: uses the concatenated 1-D target form of F.ctc_loss (all real labels back to back, no
# padding at all) and permute() for the time-major view.
import torch.nn.functional as F


def batch_ctc_loss(log_probs, targets, input_lengths, target_lengths, blank=0):
    # Padding sits only after each row's labels, so a row-major boolean mask keeps the labels of
    # utterance 0, then utterance 1, ... in order: exactly the concatenated layout.
    flat_targets = targets[targets != -1]
    assert flat_targets.numel() == int(target_lengths.sum()), "targets and target_lengths disagree"
    return F.ctc_loss(
        log_probs.permute(1, 0, 2),
        flat_targets,
        input_lengths,
        target_lengths,
        blank=blank,
        reduction="mean",
        zero_infinity=False,
    )

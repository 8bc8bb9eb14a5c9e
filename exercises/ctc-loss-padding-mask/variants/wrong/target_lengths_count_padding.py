# WRONG: recomputes target lengths from the padded targets as "labels that are not blank". The
# pad value is -1, not the blank, so padding is counted and every utterance gets length S; the
# padded positions (now filled with the blank id) are then scored as part of the transcript.
import torch.nn.functional as F


def batch_ctc_loss(log_probs, targets, input_lengths, target_lengths, blank=0):
    lengths = (targets != blank).sum(dim=1)  # counts the -1 padding too
    safe_targets = targets.masked_fill(targets == -1, blank)
    return F.ctc_loss(log_probs.transpose(0, 1), safe_targets, input_lengths, lengths, blank=blank, reduction="mean")

# WRONG: reduction="sum" divided by the batch size, i.e. the mean of the raw per-utterance
# losses. The contract divides each utterance's loss by its own target length before averaging
# (reduction="mean"), so this over-weights long transcripts and is off by roughly the average
# target length.
import torch.nn.functional as F


def batch_ctc_loss(log_probs, targets, input_lengths, target_lengths, blank=0):
    safe_targets = targets.masked_fill(targets == -1, blank)
    total = F.ctc_loss(
        log_probs.transpose(0, 1), safe_targets, input_lengths, target_lengths, blank=blank, reduction="sum"
    )
    return total / log_probs.shape[0]

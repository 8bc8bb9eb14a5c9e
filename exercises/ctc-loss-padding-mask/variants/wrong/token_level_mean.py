# WRONG: normalises by the total number of target tokens in the batch (sum of losses / sum of
# target lengths), a "token-level mean". The contract is the mean over utterances of
# loss_b / target_length_b; the two only agree when every target has the same length.
import torch.nn.functional as F


def batch_ctc_loss(log_probs, targets, input_lengths, target_lengths, blank=0):
    safe_targets = targets.masked_fill(targets == -1, blank)
    per_utt = F.ctc_loss(
        log_probs.transpose(0, 1), safe_targets, input_lengths, target_lengths, blank=blank, reduction="none"
    )
    return per_utt.sum() / target_lengths.sum()

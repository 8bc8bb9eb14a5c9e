# WRONG: ignores the blank argument and always calls ctc_loss with blank=0. Correct whenever the
# blank is index 0 (the common case), but with the blank at another index the model is trained to
# treat label 0 as the blank and the real blank as an ordinary token.
import torch.nn.functional as F


def batch_ctc_loss(log_probs, targets, input_lengths, target_lengths, blank=0):
    safe_targets = targets.clamp(min=0)
    return F.ctc_loss(log_probs.transpose(0, 1), safe_targets, input_lengths, target_lengths, reduction="mean")

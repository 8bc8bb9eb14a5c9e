# WRONG: passes the padded length T as every utterance's input length ("after padding they are
# all T frames"). Padding frames are scored as audio (short utterances are forced to explain
# junk frames), junk in the padding changes the loss, and padding frames receive gradient.
import torch
import torch.nn.functional as F


def batch_ctc_loss(log_probs, targets, input_lengths, target_lengths, blank=0):
    B, T, _ = log_probs.shape
    frames = torch.full((B,), T, dtype=torch.long)
    safe_targets = targets.masked_fill(targets == -1, blank)
    return F.ctc_loss(log_probs.transpose(0, 1), safe_targets, frames, target_lengths, blank=blank, reduction="mean")

# WRONG: converts [B, T, V] to time-major with reshape(T, B, V) instead of transpose(0, 1).
# The shape is right but the memory order is not, so "frame t of utterance b" is really some
# other utterance's frame: the loss is finite and plausible but scores the wrong audio, and
# gradient lands on padding frames. Everything else (lengths, pad handling, reduction) is correct.
import torch.nn.functional as F


def batch_ctc_loss(log_probs, targets, input_lengths, target_lengths, blank=0):
    B, T, V = log_probs.shape
    time_major = log_probs.reshape(T, B, V)
    safe_targets = targets.masked_fill(targets == -1, blank)
    return F.ctc_loss(time_major, safe_targets, input_lengths, target_lengths, blank=blank, reduction="mean")

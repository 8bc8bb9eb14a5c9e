"""Batched CTC loss used by the ASR fine-tuning loop. See the prompt for the contract."""

import torch
import torch.nn.functional as F

PAD = -1


def batch_ctc_loss(log_probs, targets, input_lengths, target_lengths, blank=0):
    """log_probs [B, T, V] (after log_softmax), targets [B, S] padded with -1,
    input_lengths [B], target_lengths [B]. Returns the mean per-token CTC loss."""
    B, T, V = log_probs.shape
    # F.ctc_loss wants time-major [T, B, V]
    log_probs = log_probs.reshape(T, B, V)
    # ctc_loss can't take negative ids
    targets[targets == PAD] = blank
    # after padding every utterance in the batch is T frames long
    frame_lengths = torch.full((B,), T, dtype=torch.long)
    loss = F.ctc_loss(log_probs, targets, frame_lengths, target_lengths, blank=blank, reduction="sum")
    return loss / B

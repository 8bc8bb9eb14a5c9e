# RIGHT: one ctc_loss call per utterance on its valid frames and labels only (reduction="none"),
# divided by its target length, then averaged. Slower, but obviously correct, and padding can
# never be read or receive gradient because it is sliced away.
import torch
import torch.nn.functional as F


def batch_ctc_loss(log_probs, targets, input_lengths, target_lengths, blank=0):
    losses = []
    for b in range(log_probs.shape[0]):
        n_frames, n_labels = int(input_lengths[b]), int(target_lengths[b])
        frames = log_probs[b, :n_frames].unsqueeze(1)  # [T_b, 1, V]
        labels = targets[b, :n_labels].unsqueeze(0)  # [1, S_b]
        nll = F.ctc_loss(
            frames,
            labels,
            torch.tensor([n_frames]),
            torch.tensor([n_labels]),
            blank=blank,
            reduction="none",
            zero_infinity=False,
        )[0]
        losses.append(nll / n_labels)
    return torch.stack(losses).mean()

# Right: vectorised masks in torch (valid frame, run start, not blank), then one gather per utterance.
import torch


def ctc_greedy_decode(log_probs, lengths, blank=0):
    T, B, _ = log_probs.shape
    best = log_probs.argmax(dim=-1)  # [T, B]
    valid = torch.arange(T, device=best.device).unsqueeze(1) < lengths.to(best.device).unsqueeze(0)
    run_start = torch.ones_like(best, dtype=torch.bool)
    run_start[1:] = best[1:] != best[:-1]
    keep = valid & run_start & (best != blank)
    best, keep = best.t().cpu(), keep.t().cpu()  # [B, T]
    return [best[b][keep[b]].tolist() for b in range(B)]

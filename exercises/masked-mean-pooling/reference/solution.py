import torch


def masked_mean(hidden: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
    batch, frames, _ = hidden.shape
    mask = torch.arange(frames, device=hidden.device).unsqueeze(0) < lengths.to(hidden.device).unsqueeze(1)
    acc_dtype = torch.float32 if hidden.dtype in (torch.float16, torch.bfloat16) else hidden.dtype
    summed = torch.where(mask.unsqueeze(-1), hidden.to(acc_dtype), torch.zeros((), dtype=acc_dtype,
                                                                               device=hidden.device)).sum(dim=1)
    counts = lengths.to(device=hidden.device, dtype=acc_dtype).clamp(min=1).unsqueeze(1)
    return (summed / counts).to(hidden.dtype)

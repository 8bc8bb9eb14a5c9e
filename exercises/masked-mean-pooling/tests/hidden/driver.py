"""Hidden-only driver for masked-mean-pooling: runs in the CANDIDATE process, beside solution.py."""

import torch

import solution


def on_a_device_without_data(batch, frames, dim):
    """Call on PyTorch's meta device (shapes, no values), which stands in for an accelerator on a CPU-only
    grader: a mask built on the CPU, a result copied to the CPU, or a value read back to Python fails here
    exactly as the first two fail on a GPU."""
    h, n = torch.empty(batch, frames, dim, device="meta"), torch.empty(batch, dtype=torch.int64, device="meta")
    try:
        out = solution.masked_mean(h, n)
    except Exception as exc:  # noqa: BLE001 - the test reports what the solution raised
        return {"error": f"{type(exc).__name__}: {exc}"}
    if not isinstance(out, torch.Tensor):
        return {"error": f"returned {type(out).__name__}, not a tensor"}
    return {"error": None, "device_type": out.device.type, "shape": list(out.shape)}

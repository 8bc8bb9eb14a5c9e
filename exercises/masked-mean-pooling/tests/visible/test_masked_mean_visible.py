import torch
from driver import pooled


def test_pools_only_valid_frames():
    hidden = torch.tensor([[[1.0], [3.0], [100.0]]])
    out = pooled(hidden, torch.tensor([2]))
    assert out["shape"] == [1, 1]
    assert torch.allclose(out["value"], torch.tensor([[2.0]]))

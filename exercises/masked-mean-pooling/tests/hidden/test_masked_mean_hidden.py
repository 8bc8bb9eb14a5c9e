import pytest
import torch
from driver import pooled
from hidden_driver import on_a_device_without_data


def expected(hidden, lengths):
    rows = []
    for b in range(hidden.shape[0]):
        n = int(lengths[b])
        rows.append(hidden[b, :n].double().mean(0) if n else torch.zeros(hidden.shape[2], dtype=torch.float64))
    return torch.stack(rows).float()


@pytest.mark.parametrize("seed", range(4))
def test_random_shapes_with_junk_padding(seed):
    g = torch.Generator().manual_seed(seed)
    batch, frames, dim = 3 + seed, 7 + 3 * seed, 5 + seed
    hidden = torch.randn(batch, frames, dim, generator=g)
    lengths = torch.randint(1, frames + 1, (batch,), generator=g)
    for b in range(batch):
        hidden[b, lengths[b]:] = 1e4  # junk where there is no speech
    out = pooled(hidden, lengths)
    assert out["shape"] == [batch, dim]
    assert torch.allclose(out["value"], expected(hidden, lengths), atol=1e-5)


def test_nan_in_padding_does_not_leak():
    hidden = torch.randn(2, 4, 3)
    hidden[:, 3] = float("nan")
    out = pooled(hidden, torch.tensor([3, 2]))
    assert torch.isfinite(out["value"]).all()
    assert torch.allclose(out["value"], expected(hidden.nan_to_num(), torch.tensor([3, 2])), atol=1e-5)


def test_zero_length_gives_zeros_not_nan():
    hidden = torch.randn(2, 5, 4)
    out = pooled(hidden, torch.tensor([0, 5]))
    assert torch.equal(out["value"][0], torch.zeros(4))
    assert torch.allclose(out["value"][1], hidden[1].mean(0), atol=1e-5)


def test_stays_on_the_input_device_and_dtype():
    out = pooled(torch.randn(2, 3, 4), torch.tensor([1, 3]))
    assert out["device_type"] == out["input_device_type"]
    assert out["dtype"] == "torch.float32"


def test_mask_and_result_stay_on_the_accelerator():
    # The meta device stands in for a GPU: a mask from torch.arange(T) without device=, a .cpu() result or an
    # .item() host round trip fails here as the first two would on a GPU (prompt: "What is graded").
    out = on_a_device_without_data(3, 6, 4)
    assert out["error"] is None, f"on a device other than the CPU the function raised {out['error']}"
    assert out["device_type"] == "meta", f"the result came back on {out['device_type']}, not the input's device"
    assert out["shape"] == [3, 4]


def test_half_precision_keeps_dtype_and_accuracy():
    g = torch.Generator().manual_seed(7)
    hidden = (torch.randn(4, 64, 8, generator=g) * 10).half()
    lengths = torch.tensor([64, 33, 1, 17])
    out = pooled(hidden, lengths)
    assert out["dtype"] == "torch.float16"
    assert torch.allclose(out["value"], expected(hidden.float(), lengths), atol=2e-2)


def test_does_not_modify_inputs():
    out = pooled(torch.randn(2, 3, 4), torch.tensor([2, 3]))
    assert out["inputs_unchanged"]

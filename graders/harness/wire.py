"""Plain-data encoding between the harness and the candidate process. Never pickle.

Frames are an 8-byte big-endian length followed by UTF-8 JSON. Values are tagged so that decoding
only ever builds plain data: dicts, lists, numbers, strings, bytes, tensors and numeric arrays.
"""

from __future__ import annotations

import base64
import json
import math
import os

MAX_FRAME = 256 * 1024 * 1024
MAX_DEPTH = 64
_DTYPES = {"float16", "float32", "float64", "bfloat16", "int8", "int16", "int32", "int64", "uint8", "bool",
           "complex64", "complex128"}


class UnsupportedValue(TypeError):
    pass


class WireError(Exception):
    """The other side sent something that is not a well-formed message."""


def encode(value, depth: int = 0):
    if depth > MAX_DEPTH:
        raise UnsupportedValue("value is nested too deeply")
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if math.isfinite(value):
            return value
        return {"$f": "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf")}
    if isinstance(value, bytes | bytearray):
        return {"$b": base64.b64encode(bytes(value)).decode()}
    if isinstance(value, list):
        return [encode(v, depth + 1) for v in value]
    if isinstance(value, tuple):
        return {"$t": [encode(v, depth + 1) for v in value]}
    if isinstance(value, dict):
        return {"$d": [[encode(k, depth + 1), encode(v, depth + 1)] for k, v in value.items()]}
    kind = type(value).__module__.split(".")[0]
    if kind == "torch":
        import torch

        if isinstance(value, torch.Tensor):
            t = value.detach().to("cpu").contiguous()
            dtype = str(t.dtype).removeprefix("torch.")
            if dtype not in _DTYPES:
                raise UnsupportedValue(f"tensor dtype {dtype} cannot cross the sandbox boundary")
            raw = t.view(torch.int16).numpy().tobytes() if dtype == "bfloat16" else t.numpy().tobytes()
            return {"$tensor": {"dtype": dtype, "shape": list(t.shape), "data": base64.b64encode(raw).decode()}}
        if isinstance(value, torch.dtype):
            return {"$dtype": str(value).removeprefix("torch.")}
    if kind == "numpy":
        import numpy as np

        if isinstance(value, np.ndarray):
            dtype = str(value.dtype)
            if dtype not in _DTYPES:
                raise UnsupportedValue(f"array dtype {dtype} cannot cross the sandbox boundary")
            arr = np.ascontiguousarray(value)
            return {"$nd": {"dtype": dtype, "shape": list(arr.shape), "data": base64.b64encode(arr.tobytes()).decode()}}
        if isinstance(value, np.generic):
            return encode(value.item(), depth)
    raise UnsupportedValue(f"values of type {type(value).__name__} cannot cross the sandbox boundary")


def _numel(shape) -> int:
    if not isinstance(shape, list) or not all(isinstance(d, int) and d >= 0 for d in shape):
        raise WireError("bad shape")
    n = 1
    for d in shape:
        n *= d
    return n


def decode(value, depth: int = 0):
    if depth > MAX_DEPTH:
        raise WireError("message is nested too deeply")
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, list):
        return [decode(v, depth + 1) for v in value]
    if not isinstance(value, dict) or len(value) != 1:
        raise WireError("untagged object")
    (tag, body), = value.items()
    if tag == "$f":
        if body not in ("nan", "inf", "-inf"):
            raise WireError("bad float")
        return float(body)
    if tag == "$b":
        return base64.b64decode(body, validate=True)
    if tag == "$t":
        return tuple(decode(v, depth + 1) for v in body)
    if tag == "$d":
        out = {}
        for pair in body:
            if not isinstance(pair, list) or len(pair) != 2:
                raise WireError("bad dict entry")
            key = decode(pair[0], depth + 1)
            try:
                out[key] = decode(pair[1], depth + 1)
            except TypeError as exc:  # unhashable key such as a list
                raise WireError("unhashable dict key") from exc
        return out
    if tag in ("$tensor", "$nd"):
        if not isinstance(body, dict) or body.get("dtype") not in _DTYPES:
            raise WireError("bad array dtype")
        raw = base64.b64decode(body["data"], validate=True)
        shape = body["shape"]
        numel = _numel(shape)
        import numpy as np

        if tag == "$nd":
            if body["dtype"] == "bfloat16":
                raise WireError("bad array dtype")
            dt = np.dtype(body["dtype"])
            if len(raw) != numel * dt.itemsize:
                raise WireError("array data does not match its shape")
            return np.frombuffer(raw, dtype=dt).reshape(shape).copy()
        import torch

        if body["dtype"] == "bfloat16":
            if len(raw) != numel * 2:
                raise WireError("tensor data does not match its shape")
            return torch.from_numpy(np.frombuffer(raw, dtype=np.int16).reshape(shape).copy()).view(torch.bfloat16)
        dt = np.dtype(body["dtype"])
        if len(raw) != numel * dt.itemsize:
            raise WireError("tensor data does not match its shape")
        return torch.from_numpy(np.frombuffer(raw, dtype=dt).reshape(shape).copy())
    if tag == "$dtype":
        import torch

        if body not in _DTYPES:
            raise WireError("bad dtype")
        return getattr(torch, body)
    raise WireError(f"unknown tag {tag!r}")


def dumps(message) -> bytes:
    return json.dumps(message, allow_nan=False, separators=(",", ":")).encode()


def write_frame(fd: int, message) -> None:
    data = dumps(message)
    payload = len(data).to_bytes(8, "big") + data
    view = memoryview(payload)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def read_exact(fd: int, n: int) -> bytes:
    chunks, remaining = [], n
    while remaining:
        chunk = os.read(fd, min(remaining, 1 << 20))
        if not chunk:
            raise EOFError("the other side closed the channel")
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)


def read_frame(fd: int):
    size = int.from_bytes(read_exact(fd, 8), "big")
    if size > MAX_FRAME:
        raise WireError(f"frame of {size} bytes is over the {MAX_FRAME} byte limit")
    try:
        return json.loads(read_exact(fd, size))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise WireError("frame is not JSON") from exc

"""One GPU per sandbox: which of a worker host's GPUs a GPU lab's container gets.

Without a device list the engine is asked for `count=1`, and the NVIDIA runtime then gives every container the
host's first GPU: two gradings at once share it (memory, and each other's latency), and a host's other GPUs sit
idle. With `SANDBOX_GPU_DEVICES` (indices or UUIDs, as `nvidia-smi -L` lists them) each sandbox leases one device
for its lifetime through an exclusive lock file, so every worker process on the host (Celery's prefork children,
or several worker containers sharing the lock folder) sees the same leases; a sandbox that finds them all taken
waits for one. A crashed process's lock is released by the kernel with its file descriptor: no lease is leaked.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from .base import SandboxUnavailable

_SAFE = re.compile(r"[^A-Za-z0-9_.-]")


def parse_devices(value: str) -> tuple[str, ...]:
    """`SANDBOX_GPU_DEVICES`: "0,1,3" or GPU UUIDs, commas or spaces between them; duplicates refused."""
    devices = tuple(d for d in re.split(r"[,\s]+", value.strip()) if d)
    if len(set(devices)) != len(devices):
        raise ValueError(f"SANDBOX_GPU_DEVICES names a device twice: {value!r}")
    for device in devices:
        if not re.fullmatch(r"[0-9]+|(GPU|MIG)-[A-Za-z0-9/-]+", device):
            raise ValueError(f"SANDBOX_GPU_DEVICES: {device!r} is neither a GPU index nor a GPU/MIG UUID "
                             f"(nvidia-smi -L lists both)")
    return devices


def default_lock_dir() -> Path:
    return Path(tempfile.gettempdir()) / "interview-track-gpu-leases"


class GpuLeases:
    def __init__(self, devices: tuple[str, ...], lock_dir: Path | None = None, poll_s: float = 0.2):
        if not devices:
            raise ValueError("GpuLeases needs at least one device")
        self.devices = devices
        self.lock_dir = lock_dir or default_lock_dir()
        self.poll_s = poll_s
        self._next = os.getpid() % len(devices)  # processes start their search at different devices

    def _path(self, device: str) -> Path:
        return self.lock_dir / f"gpu-{_SAFE.sub('_', device)}.lock"

    def _try(self, device: str) -> int | None:
        fd = os.open(self._path(device), os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return None
        return fd

    @contextlib.contextmanager
    def lease(self, timeout: float) -> Iterator[str]:
        """Hold one free device for the block; SandboxUnavailable (retryable) if none frees up within `timeout`."""
        self.lock_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        deadline = time.monotonic() + timeout
        while True:
            n = len(self.devices)
            for i in range(n):
                device = self.devices[(self._next + i) % n]
                fd = self._try(device)
                if fd is not None:
                    self._next = (self._next + i + 1) % n
                    try:
                        yield device
                    finally:
                        with contextlib.suppress(OSError):
                            fcntl.flock(fd, fcntl.LOCK_UN)
                        os.close(fd)
                    return
            if time.monotonic() >= deadline:
                raise SandboxUnavailable(f"every GPU this worker may use is busy ({', '.join(self.devices)}; "
                                         f"waited {timeout:.0f} s)")
            time.sleep(self.poll_s)

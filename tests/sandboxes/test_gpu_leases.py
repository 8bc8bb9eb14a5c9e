"""One GPU per sandbox (SANDBOX_GPU_DEVICES): leases shared by a worker host's processes, released by a crash,
and the device each GPU container asks the engine for."""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading
import time
from pathlib import Path

import pytest

from sandboxes.base import Job, Limits, Result, SandboxUnavailable, Termination
from sandboxes.gpu_leases import GpuLeases, parse_devices

UUID = "GPU-5a1b2c3d-aaaa-bbbb-cccc-0123456789ab"


def test_the_device_list_takes_indices_and_uuids_and_refuses_the_rest():
    assert parse_devices("") == ()
    assert parse_devices("0,1, 3") == ("0", "1", "3")
    assert parse_devices(f"{UUID} MIG-GPU-5a1b2c3d/1/0") == (UUID, "MIG-GPU-5a1b2c3d/1/0")
    with pytest.raises(ValueError, match="twice"):
        parse_devices("0,1,0")
    for bad in ("all", "-1", "0;rm", "../0"):
        with pytest.raises(ValueError, match="neither a GPU index"):
            parse_devices(bad)


def _hold(lock_dir: str, devices: tuple[str, ...], got) -> None:
    with GpuLeases(devices, Path(lock_dir)).lease(timeout=5) as device:
        got.put(device)
        time.sleep(30)  # holds its GPU until the test kills it


def test_processes_on_one_host_never_share_a_gpu_and_a_crash_frees_its_lease(tmp_path):
    ctx = multiprocessing.get_context("fork")
    got = ctx.Queue()
    devices = ("0", "1")
    holders = [ctx.Process(target=_hold, args=(str(tmp_path), devices, got)) for _ in devices]
    for p in holders:
        p.start()
    try:
        taken = {got.get(timeout=10) for _ in holders}
        assert taken == {"0", "1"}  # two processes, two different GPUs
        leases = GpuLeases(devices, tmp_path, poll_s=0.05)
        started = time.monotonic()
        busy = pytest.raises(SandboxUnavailable, match="every GPU this worker may use is busy")
        with busy, leases.lease(timeout=0.3):
            pass
        assert time.monotonic() - started >= 0.3  # it waited for one before giving up
        os.kill(holders[0].pid, signal.SIGKILL)  # a worker process dies holding its GPU
        holders[0].join(5)
        with leases.lease(timeout=5) as device:
            assert device in devices
    finally:
        for p in holders:
            p.kill()
            p.join(5)


def test_a_waiting_sandbox_gets_the_gpu_as_soon_as_it_is_free(tmp_path):
    leases = GpuLeases((UUID,), tmp_path, poll_s=0.02)
    other = GpuLeases((UUID,), tmp_path, poll_s=0.02)
    order = []
    with leases.lease(timeout=1) as first:
        def wait_for_it():
            with other.lease(timeout=5) as device:
                order.append(("second", device))

        waiter = threading.Thread(target=wait_for_it)
        waiter.start()
        time.sleep(0.2)
        order.append(("first", first))
    waiter.join(5)
    assert order == [("first", UUID), ("second", UUID)]


def _backend(tmp_path, **kwargs):
    from sandboxes.docker_backend import DockerBackend

    return DockerBackend(image="sandbox:test", client=object(), gpu_lock_dir=tmp_path, **kwargs)


GPU_JOB = Job(files={}, command=["python3", "x.py"], limits=Limits(wall_seconds=30, gpu=True))


def test_a_gpu_container_asks_for_its_leased_device_else_for_any_one(tmp_path):
    backend = _backend(tmp_path, gpu_devices=("0", "1"))
    leased = backend.container_config(GPU_JOB, "1")["host_config"]["device_requests"][0]
    assert leased["DeviceIDs"] == ["1"] and leased["Capabilities"] == [["gpu"]] and not leased.get("Count")
    unleased = _backend(tmp_path).container_config(GPU_JOB)["host_config"]["device_requests"][0]
    assert unleased["Count"] == 1 and not unleased.get("DeviceIDs")
    cpu = Job(files={}, command=["python3", "x.py"], limits=Limits(wall_seconds=30))
    assert "device_requests" not in backend.container_config(cpu, None)["host_config"]


def test_concurrent_gpu_jobs_of_one_backend_run_on_different_gpus_and_a_third_waits(tmp_path, monkeypatch):
    backend = _backend(tmp_path, gpu_devices=("0", "1"), gpu_wait_s=0.3)
    running, seen, gate = [], [], threading.Event()

    def fake_run_fresh(job, device):  # the engine's part; what matters here is which device each job holds
        running.append(device)
        seen.append(device)
        gate.wait(5)
        running.remove(device)
        return Result(termination=Termination.OK, exit_code=0, stdout=b"", stderr=b"", wall_seconds=0.0,
                      backend="docker")

    monkeypatch.setattr(backend, "_run_fresh", fake_run_fresh)
    results = []
    threads = [threading.Thread(target=lambda: results.append(backend.run(GPU_JOB))) for _ in range(2)]
    for t in threads:
        t.start()
    deadline = time.monotonic() + 5
    while len(seen) < 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert sorted(running) == ["0", "1"]
    with pytest.raises(SandboxUnavailable, match="busy"):  # retryable: the task tries again later
        backend.run(GPU_JOB)
    gate.set()
    for t in threads:
        t.join(5)
    assert len(results) == 2 and all("gpu_wait_s" in r.timings for r in results)
    backend.run(GPU_JOB)  # both leases were given back
    assert len(seen) == 3

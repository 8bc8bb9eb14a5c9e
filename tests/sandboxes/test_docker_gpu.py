"""GPU labs on a real Docker engine without a GPU: graded on the CPU and said so (auto), or refused with an error
that names the fix (require) — never the engine's opaque "could not select device driver"."""

from __future__ import annotations

import subprocess

import pytest

from sandboxes import docker_engine_available
from sandboxes.base import Job, Limits, SandboxUnavailable, Termination
from tests.conftest import require_service

PRINT_DEVICES = Job(files={"x.py": b"import os; print('ran', os.path.exists('/dev/nvidiactl'))"},
                    command=["python3", "{root}/x.py"], limits=Limits(wall_seconds=30, gpu=True),
                    labels={"interview-track.test": "gpu-fallback"})


@pytest.fixture(scope="module")
def image() -> str:
    ok, why = docker_engine_available(timeout=5)
    require_service("Docker engine", ok, why)
    from django.conf import settings

    from graders.backends import default_image_tag

    tag = settings.SANDBOX_IMAGE or default_image_tag()
    present = subprocess.run(["docker", "image", "inspect", tag], capture_output=True).returncode == 0
    require_service("sandbox image", present, f"{tag} is not built (docker/sandbox/build.sh)")
    runtimes = subprocess.run(["docker", "info", "--format", "{{json .Runtimes}}"], capture_output=True, text=True)
    if "nvidia" in runtimes.stdout:
        pytest.skip("this engine has the NVIDIA runtime: the no-GPU paths cannot be shown here")
    return tag


def test_auto_grades_a_gpu_job_on_the_cpu_and_says_so(image):
    from sandboxes.docker_backend import DockerBackend

    backend = DockerBackend(image=image, gpu="auto")
    first = backend.run(PRINT_DEVICES)
    assert first.termination is Termination.OK and first.stdout.strip() == b"ran False"
    assert "ran on the CPU" in first.detail and first.timings["gpu_fallback"] == 1.0
    assert backend.gpu_unavailable and "device driver" in backend.gpu_unavailable
    second = backend.run(PRINT_DEVICES)  # remembered: no second refused request
    assert second.termination is Termination.OK and second.timings["gpu_fallback"] == 1.0


def test_require_refuses_with_the_fix_named(image):
    from sandboxes.docker_backend import DockerBackend

    backend = DockerBackend(image=image, gpu="require")
    with pytest.raises(SandboxUnavailable, match="NVIDIA Container Toolkit") as err:
        backend.run(PRINT_DEVICES)
    assert "nvidia-ctk runtime configure" in str(err.value) and "The engine said:" in str(err.value)
    # A CPU job on the same backend is unaffected.
    cpu = backend.run(Job(files=PRINT_DEVICES.files, command=PRINT_DEVICES.command, limits=Limits(wall_seconds=30)))
    assert cpu.termination is Termination.OK


def test_an_unknown_mode_is_refused_at_start():
    from sandboxes.docker_backend import DockerBackend

    with pytest.raises(ValueError, match="SANDBOX_GPU must be one of auto, require, off"):
        DockerBackend(image="x", client=object(), gpu="maybe")


def test_leased_gpus_on_an_engine_without_one_fall_back_and_give_the_lease_back(image, tmp_path):
    """SANDBOX_GPU_DEVICES set on an engine with no GPU: the device-id request is refused as `count=1` is, the job
    runs on the CPU (auto) or names the fix (require), and no lease stays taken."""
    from sandboxes.docker_backend import DockerBackend
    from sandboxes.gpu_leases import GpuLeases

    auto = DockerBackend(image=image, gpu="auto", gpu_devices=("0",), gpu_lock_dir=tmp_path, gpu_wait_s=1)
    result = auto.run(PRINT_DEVICES)
    assert result.termination is Termination.OK and result.timings["gpu_fallback"] == 1.0
    strict = DockerBackend(image=image, gpu="require", gpu_devices=("0",), gpu_lock_dir=tmp_path, gpu_wait_s=1)
    with pytest.raises(SandboxUnavailable, match="NVIDIA Container Toolkit"):
        strict.run(PRINT_DEVICES)
    with GpuLeases(("0",), tmp_path).lease(timeout=0.5) as device:  # free again after both
        assert device == "0"

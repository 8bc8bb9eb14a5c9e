"""The configured sandbox backend, built once per process."""

from __future__ import annotations

import functools
import hashlib
from pathlib import Path

from django.conf import settings

from sandboxes import resolve_backend
from sandboxes.base import Backend

SANDBOX_DIR = Path(settings.BASE_DIR) / "docker" / "sandbox"


def default_image_tag() -> str:
    """The tag docker/sandbox/build.sh gives the CPU image: a hash of its definition."""
    digest = hashlib.sha256((SANDBOX_DIR / "build.sh").read_bytes() + (SANDBOX_DIR / "requirements.txt").read_bytes())
    return f"interview-track-sandbox:cpu-{digest.hexdigest()[:12]}"


@functools.lru_cache(maxsize=1)
def get_backend() -> Backend:
    choice = resolve_backend(settings.SANDBOX_BACKEND)
    if choice.name == "docker":
        from sandboxes.docker_backend import DockerBackend

        return DockerBackend(image=settings.SANDBOX_IMAGE or default_image_tag(),
                             gpu_image=settings.SANDBOX_GPU_IMAGE or None,
                             runtime=settings.SANDBOX_DOCKER_RUNTIME or None,
                             pool_size=settings.SANDBOX_POOL_SIZE, async_remove=settings.SANDBOX_ASYNC_REMOVE)
    from sandboxes.local_backend import LocalBackend

    return LocalBackend()

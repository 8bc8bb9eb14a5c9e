"""The configured sandbox backend, built once per process."""

from __future__ import annotations

import functools
import hashlib
from pathlib import Path

from django.conf import settings
from django.db import connection

from sandboxes import resolve_backend
from sandboxes.base import Backend
from sandboxes.gpu_leases import parse_devices

SANDBOX_DIR = Path(settings.BASE_DIR) / "docker" / "sandbox"
DEPLOYMENT_LABEL = "interview-track.deployment"
RUN_LABEL = "interview-track.run"
DELIVERY_LABEL = "interview-track.delivery"


def default_image_tag() -> str:
    """The tag docker/sandbox/build.sh gives the CPU image: a hash of its definition."""
    digest = hashlib.sha256((SANDBOX_DIR / "build.sh").read_bytes() + (SANDBOX_DIR / "requirements.txt").read_bytes())
    return f"interview-track-sandbox:cpu-{digest.hexdigest()[:12]}"


def deployment_id() -> str:
    """Which deployment a sandbox container belongs to, so a sweep takes only its own on a shared engine:
    GRADING_DEPLOYMENT_ID, else a hash of the database it records runs in (one database, one deployment)."""
    if settings.GRADING_DEPLOYMENT_ID:
        return settings.GRADING_DEPLOYMENT_ID
    db = connection.settings_dict
    return hashlib.sha256(f"{db['ENGINE']}|{db.get('HOST')}|{db.get('PORT')}|{db['NAME']}".encode()).hexdigest()[:16]


def sandbox_settings_check() -> None:
    """The sandbox settings the sandboxes parse, refused at start in every process with one line, as
    webapp/settings.py refuses its own (settings may not import the sandboxes)."""
    from sandboxes.docker_backend import gpu_mode_check

    try:
        parse_devices(settings.SANDBOX_GPU_DEVICES)
        gpu_mode_check(settings.SANDBOX_GPU)
    except ValueError as exc:
        raise SystemExit(f"Configuration error: {exc}") from None


@functools.lru_cache(maxsize=1)
def get_backend() -> Backend:
    choice = resolve_backend(settings.SANDBOX_BACKEND)
    if choice.name == "docker":
        from sandboxes.docker_backend import DockerBackend

        return DockerBackend(image=settings.SANDBOX_IMAGE or default_image_tag(),
                             gpu_image=settings.SANDBOX_GPU_IMAGE or None,
                             runtime=settings.SANDBOX_DOCKER_RUNTIME or None,
                             pool_size=settings.SANDBOX_POOL_SIZE, async_remove=settings.SANDBOX_ASYNC_REMOVE,
                             labels={DEPLOYMENT_LABEL: deployment_id()}, gpu=settings.SANDBOX_GPU,
                             gpu_devices=parse_devices(settings.SANDBOX_GPU_DEVICES),
                             gpu_lock_dir=Path(lock_dir) if (lock_dir := settings.SANDBOX_GPU_LOCK_DIR) else None)
    return local_backend()


def local_backend() -> Backend:
    """The local (development) backend on the sandbox environment when one is configured (./dev sandbox-env)."""
    from sandboxes.local_backend import LocalBackend

    return LocalBackend(python=settings.SANDBOX_LOCAL_PYTHON or None)

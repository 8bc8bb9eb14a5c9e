"""Pick the sandbox backend: Docker when an engine answers, else the local process backend."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class BackendChoice:
    name: str  # "docker" or "local"
    configured: str  # what the settings asked for: "auto", "docker" or "local"
    reason: str

    @property
    def is_isolated(self) -> bool:
        # The local backend runs candidate code as a plain subprocess: not an isolation boundary.
        return self.name == "docker"


def docker_engine_available(timeout: float = 2.0) -> tuple[bool, str]:
    """Ping the engine the docker SDK finds from the environment (DOCKER_HOST or the socket)."""
    try:
        import docker
    except ImportError:  # pragma: no cover - docker is a hard dependency
        return False, "the docker SDK is not installed"
    try:
        client = docker.from_env(timeout=timeout)
        try:
            client.ping()
            version = client.version().get("Version", "?")
        finally:
            client.close()
    except Exception as exc:  # the SDK raises several unrelated types for "no engine"
        return False, f"no Docker engine answered ({exc.__class__.__name__})"
    return True, f"Docker engine {version} answered"


def resolve_backend(configured: str, *, timeout: float = 2.0) -> BackendChoice:
    configured = (configured or "auto").lower()
    if configured == "local":
        return BackendChoice("local", configured, "SANDBOX_BACKEND=local")
    if configured == "docker":
        return BackendChoice("docker", configured, "SANDBOX_BACKEND=docker")
    ok, why = docker_engine_available(timeout)
    return BackendChoice("docker" if ok else "local", configured, why)

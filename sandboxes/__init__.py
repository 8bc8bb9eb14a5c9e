"""Run files under limits and say how they ended. Plain Python: nothing here imports Django."""

from .detect import BackendChoice, docker_engine_available, resolve_backend

__all__ = ["BackendChoice", "docker_engine_available", "resolve_backend"]

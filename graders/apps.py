from django.apps import AppConfig


class GradersConfig(AppConfig):
    name = "graders"
    verbose_name = "Grading"

    def ready(self) -> None:
        from celery.signals import worker_process_shutdown, worker_ready

        from assessments.signals import attempt_submitted

        from .registry import benchmark_registry_check

        benchmark_registry_check()  # a benchmark kind missing a part stops every process, loudly
        attempt_submitted.connect(_queue_hidden_grading, weak=False, dispatch_uid="graders.queue_hidden")
        worker_ready.connect(_sweep, weak=False)
        worker_process_shutdown.connect(_close_backend, weak=False)


def _queue_hidden_grading(sender, attempt, submissions, **kwargs) -> None:
    from .services import submission_runs_create

    submission_runs_create(attempt=attempt, submissions=submissions)


def _sweep(**kwargs) -> None:
    """Containers a crashed worker left behind: older than the longest job plus its grace."""
    import logging

    from .backends import get_backend

    backend = get_backend()
    if backend.name == "docker":
        from sandboxes.docker_backend import sweep_leftovers

        removed = sweep_leftovers(backend.client, older_than_s=30 * 60)
        if removed:
            logging.getLogger(__name__).warning("removed %d leftover sandbox container(s)", removed)


def _close_backend(**kwargs) -> None:
    from .backends import get_backend

    close = getattr(get_backend(), "close", None)
    if close:
        close()

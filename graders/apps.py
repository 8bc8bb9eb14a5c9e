from django.apps import AppConfig


class GradersConfig(AppConfig):
    name = "graders"
    verbose_name = "Grading"

    def ready(self) -> None:
        from celery.signals import task_postrun, worker_process_shutdown, worker_ready, worker_shutdown

        from assessments.signals import attempt_submitted

        from .backends import sandbox_settings_check
        from .registry import benchmark_registry_check

        benchmark_registry_check()  # a benchmark kind missing a part stops every process, loudly
        sandbox_settings_check()
        attempt_submitted.connect(_queue_hidden_grading, weak=False, dispatch_uid="graders.queue_hidden")
        worker_ready.connect(_sweep, weak=False)
        worker_process_shutdown.connect(_close_backend, weak=False)
        # Presence (graders.presence): the worker's heartbeat row, and each periodic task's last finish.
        worker_ready.connect(_presence_start, weak=False, dispatch_uid="graders.presence_start")
        worker_shutdown.connect(_presence_stop, weak=False, dispatch_uid="graders.presence_stop")
        task_postrun.connect(_periodic_run_record, weak=False, dispatch_uid="graders.periodic_run_record")


def _queue_hidden_grading(sender, attempt, submissions, **kwargs) -> None:
    from .services import submission_runs_create

    submission_runs_create(attempt=attempt, submissions=submissions)


def _sweep(**kwargs) -> None:
    """At worker start: this deployment's containers a crashed worker left behind (graders.sweep)."""
    from .sweep import sandbox_containers_sweep_now_and_then

    sandbox_containers_sweep_now_and_then(every_s=0)


def _presence_start(sender=None, **kwargs) -> None:
    from .presence import consumer_queues, worker_presence_start

    worker_presence_start(hostname=sender.hostname, queues=consumer_queues(sender))


def _presence_stop(**kwargs) -> None:
    from .presence import worker_presence_stop

    worker_presence_stop()


def _periodic_run_record(**kwargs) -> None:
    from .presence import on_task_postrun

    on_task_postrun(**kwargs)


def _close_backend(**kwargs) -> None:
    from .backends import get_backend

    close = getattr(get_backend(), "close", None)
    if close:
        close()

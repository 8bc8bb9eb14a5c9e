"""The task table: every Celery task of the project, declared with @task where it lives.

Each declaration names the task explicitly (never its module path, which moves), its queue (Celery
routes by `route` below, which reads the table: settings.CELERY_TASK_ROUTES names it), its time limits
and the infrastructure exceptions it retries on; nothing else is retried. TASKS is the table, read by
tests/test_architecture.py, which checks that every queue has a consumer in `./dev run` and that every
beat entry names a registered task.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from celery import shared_task


class Queue(StrEnum):
    DEFAULT = "default"
    GRADING_CPU = "grading-cpu"          # hidden grading of submitted attempts
    GRADING_VISIBLE = "grading-visible"  # candidates' "Run visible tests": apart, so they never hold hidden grading up
    GRADING_GPU = "grading-gpu"          # every run of a GPU lab; consumed only by workers on hosts with a GPU


@dataclass(frozen=True)
class TaskSpec:
    name: str
    queue: Queue
    retry_on: tuple[type[BaseException], ...]
    time_limit: int
    other_queues: tuple[Queue, ...] = ()  # where a caller may send it instead (a GPU lab's grading)


TASKS: dict[str, TaskSpec] = {}


def task(*, name: str, queue: Queue, time_limit: int, retry_on: tuple[type[BaseException], ...] = (),
         other_queues: tuple[Queue, ...] = (), **options) -> Callable:
    """shared_task with the table's fields required. The task sees its retry exceptions as `self.retry_on`."""
    spec = TaskSpec(name=name, queue=queue, retry_on=tuple(retry_on), time_limit=time_limit,
                    other_queues=tuple(other_queues))
    if TASKS.get(name, spec) != spec:
        raise ValueError(f"task {name!r} is declared twice, differently")
    options.setdefault("soft_time_limit", max(1, time_limit - 60) if time_limit > 120 else time_limit * 5 // 6)

    def decorate(fn: Callable):
        TASKS[name] = spec
        return shared_task(name=name, time_limit=time_limit, retry_on=spec.retry_on, **options)(fn)

    return decorate


def route(name: str, args, kwargs, options, task=None, **kw) -> dict | None:
    """Celery's router (settings.CELERY_TASK_ROUTES): a task's queue is the one its table entry names.

    A caller's explicit queue (a GPU lab's grading, sent to one of `other_queues`) wins over this.
    """
    spec = TASKS.get(name)
    return {"queue": str(spec.queue)} if spec else None

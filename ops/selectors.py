"""Reads for operators: the operations page's read-model (queues, workers, overdue runs, periodic tasks)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Count
from django.utils import timezone

from assessments.tasking import Queue
from graders import broker
from graders.models import GradingRun, RunStatus
from graders.presence import periodic_runs, workers_seen
from graders.selectors import runs_overdue

WORKERS_SHOWN_S = 24 * 3600  # a worker gone longer than this is history, not news
OVERDUE_SHOWN = 50


def duration_words(seconds: float | None) -> str:
    """12 s, 4 min, 3 h, 2 d: how long ago, at a glance."""
    if seconds is None:
        return "—"
    seconds = int(seconds)
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= 2 * size:  # "90 min" reads better than "1 h"
            return f"{seconds // size} {unit}"
    return f"{seconds} s"


@dataclass(frozen=True)
class QueueRow:
    name: str
    waiting: int | None  # in the broker; None: the broker could not say
    queued: int          # runs recorded as queued on it (the database's view)
    running: int


@dataclass(frozen=True)
class WorkerRow:
    hostname: str
    queues: list[str]
    sandbox_backend: str
    sandbox_ok: bool
    sandbox_detail: str
    sandbox_image: str
    started_at: datetime
    last_seen: datetime
    seen_ago_s: int
    stale: bool  # no heartbeat for three beats: stopped, stuck, or cut off from the database

    @property
    def seen_ago(self) -> str:
        return duration_words(self.seen_ago_s)


@dataclass(frozen=True)
class OverdueRow:
    run_id: str
    attempt_id: int | None
    question: str
    suite: str
    status: str
    queue: str
    worker: str
    age_s: int

    @property
    def age(self) -> str:
        return duration_words(self.age_s)


@dataclass(frozen=True)
class PeriodicRow:
    entry: str           # the beat schedule's name for it
    task: str
    every_s: float | None  # None: not a plain interval (a crontab): never called stale
    last_finished: datetime | None
    age_s: int | None
    outcome: str
    stale: bool          # never finished, or not for three of its intervals

    @property
    def age(self) -> str:
        return duration_words(self.age_s)

    @property
    def every(self) -> str:
        return duration_words(self.every_s) if self.every_s is not None else "schedule"


@dataclass(frozen=True)
class OperationsOverview:
    now: datetime
    queues: list[QueueRow]
    workers: list[WorkerRow]
    overdue: list[OverdueRow]
    overdue_total: int
    queued_total: int
    running_total: int
    periodic: list[PeriodicRow]
    heartbeat_s: int
    overdue_after_s: int

    @property
    def broker_unknown(self) -> bool:
        return any(q.waiting is None for q in self.queues)


def _interval_s(schedule: object) -> float | None:
    if isinstance(schedule, int | float):
        return float(schedule)
    if isinstance(schedule, timedelta):
        return schedule.total_seconds()
    run_every = getattr(schedule, "run_every", None)  # celery.schedules.schedule
    return run_every.total_seconds() if isinstance(run_every, timedelta) else None


def operations_overview(*, now: datetime | None = None) -> OperationsOverview:
    """What an operator needs at a glance: is work flowing (queue depths, runs queued and running, overdue runs),
    who does it (workers and their sandboxes), and are the periodic sweeps running."""
    now = now or timezone.now()
    heartbeat_s = settings.WORKER_HEARTBEAT_S
    names = [str(q) for q in Queue]
    waiting = broker.queue_lengths(names)
    by_queue: dict[tuple[str, str], int] = {
        (row["queue"], row["status"]): row["n"]
        for row in GradingRun.objects.filter(status__in=[RunStatus.QUEUED, RunStatus.RUNNING])
        .values("queue", "status").annotate(n=Count("pk"))}
    queue_names = names + sorted({q for q, _ in by_queue} - set(names))
    queues = [QueueRow(name=q, waiting=waiting.get(q), queued=by_queue.get((q, RunStatus.QUEUED), 0),
                       running=by_queue.get((q, RunStatus.RUNNING), 0)) for q in queue_names]

    workers = []
    for w in workers_seen(within_s=WORKERS_SHOWN_S, now=now):
        ago = max(0, int((now - w.last_seen).total_seconds()))
        workers.append(WorkerRow(hostname=w.hostname, queues=w.queue_list, sandbox_backend=w.sandbox_backend,
                                 sandbox_ok=w.sandbox_ok, sandbox_detail=w.sandbox_detail,
                                 sandbox_image=w.sandbox_image, started_at=w.started_at, last_seen=w.last_seen,
                                 seen_ago_s=ago, stale=ago > 3 * heartbeat_s))

    late = runs_overdue(now=now).select_related("question").defer("candidate_files").order_by("created_at")
    overdue_total = late.count()
    overdue = [OverdueRow(run_id=str(run.pk), attempt_id=run.attempt_id, question=run.question.slug,
                          suite=run.suite, status=run.status, queue=run.queue, worker=run.worker,
                          age_s=int((now - run.created_at).total_seconds()))
               for run in late[:OVERDUE_SHOWN]]

    last = periodic_runs()
    periodic = []
    for entry, spec in settings.CELERY_BEAT_SCHEDULE.items():
        every = _interval_s(spec.get("schedule"))
        row = last.get(spec["task"])
        age = int((now - row.last_finished).total_seconds()) if row else None
        stale = row is None or (every is not None and age is not None and age > 3 * every)
        periodic.append(PeriodicRow(entry=entry, task=spec["task"], every_s=every,
                                    last_finished=row.last_finished if row else None, age_s=age,
                                    outcome=row.last_outcome if row else "never recorded", stale=stale))

    return OperationsOverview(
        now=now, queues=queues, workers=workers, overdue=overdue, overdue_total=overdue_total,
        queued_total=sum(q.queued for q in queues), running_total=sum(q.running for q in queues),
        periodic=periodic, heartbeat_s=heartbeat_s, overdue_after_s=settings.GRADING_OVERDUE_S)

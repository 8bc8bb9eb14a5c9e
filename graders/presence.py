"""Worker presence and the periodic tasks' last runs: what /readyz and the operations page read.

Each worker's main process upserts its WorkerPresence row every WORKER_HEARTBEAT_S from a daemon thread
(`worker_presence_start`, on Celery's worker_ready): its queues, and whether its sandbox engine answers and has
its image. The pool's processes grade; the main process only vouches that it is alive and able to. A beat never
crashes the worker: with the database away it logs and tries again at the next one.

Every periodic task of the beat schedule records its last finish and outcome (`periodic_run_record`, from
task_postrun), so a sweep that stopped running shows its age.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import close_old_connections, connections
from django.utils import timezone

from sandboxes.base import SandboxUnavailable

from .models import PeriodicRun, WorkerPresence

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SandboxProbe:
    backend: str
    ok: bool
    detail: str
    image: str


def sandbox_probe() -> SandboxProbe:
    """Can this worker's sandbox run a job now: the engine answers and the image is there (Docker), or the local
    backend (always able; not isolated)."""
    from .backends import get_backend

    try:
        backend = get_backend()
    except Exception as exc:  # noqa: BLE001 - the SDK raises several unrelated types for "no engine"
        return SandboxProbe("docker", False, f"docker engine did not answer: {exc}"[:500], settings.SANDBOX_IMAGE)
    if backend.name != "docker":
        return SandboxProbe(backend.name, True, "local (not isolated)", getattr(backend, "python", None) or "")
    image = getattr(backend, "image", "")
    try:
        backend.sandbox_identity()
    except SandboxUnavailable as exc:
        detail = f"image {image} missing" if "image missing" in str(exc) else str(exc)
        return SandboxProbe("docker", False, detail[:500], image)
    runtime = getattr(backend, "runtime", None)
    if runtime:
        # A runtime the engine does not know (gVisor's runsc not installed or not registered) would fail every job.
        try:
            runtimes = sorted((backend.client.info().get("Runtimes") or {}).keys())
        except Exception as exc:  # noqa: BLE001 - the SDK's errors for an engine that stopped answering
            return SandboxProbe("docker", False, f"docker engine did not answer: {exc}"[:500], image)
        if runtime not in runtimes:
            return SandboxProbe("docker", False, f"runtime {runtime} is not registered on the sandbox engine "
                                                 f"(it has: {', '.join(runtimes) or 'none'})", image)
        return SandboxProbe("docker", True, f"image {image} present, runtime {runtime}", image)
    return SandboxProbe("docker", True, f"image {image} present", image)


def worker_presence_beat(*, hostname: str, queues: list[str], started_at: datetime,
                         probe: SandboxProbe | None = None, now: datetime | None = None) -> WorkerPresence:
    """Record that this worker is alive now, with its queues and sandbox state (one upsert)."""
    probe = probe or sandbox_probe()
    now = now or timezone.now()
    row, _ = WorkerPresence.objects.update_or_create(hostname=hostname[:200], defaults={
        "queues": ",".join(sorted(queues))[:500], "sandbox_backend": probe.backend, "sandbox_ok": probe.ok,
        "sandbox_detail": probe.detail[:500], "sandbox_image": probe.image[:300], "started_at": started_at,
        "last_seen": now})
    return row


def worker_presence_beat_safely(*, hostname: str, queues: list[str], started_at: datetime) -> bool:
    """One beat that never raises: the database away (or anything else) is logged, and the next beat tries again."""
    try:
        worker_presence_beat(hostname=hostname, queues=queues, started_at=started_at)
        return True
    except Exception as exc:  # noqa: BLE001 - the heartbeat must never take the worker down
        log.warning("worker presence not recorded (next try in %s s): %s", settings.WORKER_HEARTBEAT_S, exc)
        return False


def _beat_in_thread(*, hostname: str, queues: list[str], started_at: datetime) -> None:
    """The thread has no request cycle to tidy its connection: a dropped one is discarded before the beat, and
    this thread's connection is closed after it (one connect per beat costs nothing; an idle connection per
    worker held open between beats would, and a forked pool process would inherit it)."""
    try:
        close_old_connections()
    except Exception as exc:  # noqa: BLE001 - discarding a connection to a database that is gone
        log.debug("discarding the presence thread's connection: %s", exc)
    worker_presence_beat_safely(hostname=hostname, queues=queues, started_at=started_at)
    try:
        connections.close_all()
    except Exception as exc:  # noqa: BLE001
        log.debug("closing the presence thread's connection: %s", exc)


class _Heartbeat:
    def __init__(self) -> None:
        self.stop = threading.Event()
        self.thread: threading.Thread | None = None


_heartbeat = _Heartbeat()


def worker_presence_start(*, hostname: str, queues: list[str], every_s: float | None = None) -> threading.Thread:
    """Start this process's heartbeat thread (once; a second call returns the running thread)."""
    if _heartbeat.thread is not None and _heartbeat.thread.is_alive():
        return _heartbeat.thread
    every_s = float(every_s or settings.WORKER_HEARTBEAT_S)
    started_at = timezone.now()
    _heartbeat.stop.clear()

    def loop() -> None:
        while True:
            _beat_in_thread(hostname=hostname, queues=queues, started_at=started_at)
            if _heartbeat.stop.wait(every_s):
                return

    _heartbeat.thread = threading.Thread(target=loop, name="worker-presence", daemon=True)
    _heartbeat.thread.start()
    return _heartbeat.thread


def worker_presence_stop() -> None:
    _heartbeat.stop.set()


def consumer_queues(consumer) -> list[str]:
    """The queues a worker consumes: its task consumer's, else the app's selection (-Q)."""
    task_consumer = getattr(consumer, "task_consumer", None)
    names = [q.name for q in getattr(task_consumer, "queues", None) or []]
    if not names:
        names = list(consumer.app.amqp.queues.consume_from or consumer.app.amqp.queues)
    return sorted(set(names))


def workers_seen(*, within_s: float, now: datetime | None = None) -> list[WorkerPresence]:
    """Workers whose last heartbeat is at most `within_s` old, by host name."""
    now = now or timezone.now()
    return list(WorkerPresence.objects.filter(last_seen__gte=now - timedelta(seconds=within_s)).order_by("hostname"))


# --- periodic tasks ----------------------------------------------------------------------------


def beat_task_names() -> dict[str, dict]:
    """Task name -> its beat entry (args and kwargs the beat sends), from settings.CELERY_BEAT_SCHEDULE."""
    return {entry["task"]: entry for entry in settings.CELERY_BEAT_SCHEDULE.values()}


def periodic_run_record(*, name: str, outcome: str, now: datetime | None = None) -> PeriodicRun:
    row, _ = PeriodicRun.objects.update_or_create(name=name[:200], defaults={
        "last_finished": now or timezone.now(), "last_outcome": outcome[:300]})
    return row


def periodic_run_outcome(state: str | None, retval: object) -> str:
    state = (state or "").lower() or "unknown"
    if isinstance(retval, BaseException):
        return f"{state}: {type(retval).__name__}"
    return state


def on_task_postrun(sender=None, task=None, args=None, kwargs=None, state=None, retval=None, **_) -> None:
    """task_postrun: record the finish of a periodic task as the beat sends it (its entry's arguments), so a
    refresh of one attempt's summary is not mistaken for the sweep. Never fails the task."""
    task = task or sender
    entry = beat_task_names().get(getattr(task, "name", ""))
    if entry is None:
        return
    if tuple(args or ()) != tuple(entry.get("args") or ()) or dict(kwargs or {}) != dict(entry.get("kwargs") or {}):
        return
    try:
        periodic_run_record(name=task.name, outcome=periodic_run_outcome(state, retval))
    except Exception as exc:  # noqa: BLE001 - bookkeeping: the task's own outcome stands
        log.warning("could not record the finish of %s: %s", task.name, exc)


def periodic_runs() -> dict[str, PeriodicRun]:
    """The last finish of each periodic task, by task name."""
    return {row.name: row for row in PeriodicRun.objects.all()}

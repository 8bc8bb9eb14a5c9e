"""Sandbox containers nothing else will remove: a dead worker's, and a taken-over delivery's.

Scoped to this deployment (its label on every container), so several deployments can share an engine.
A container is removed when its run is final or was taken over by a later delivery, when it exited over a
minute ago (its worker died before removing it), or when it belongs to no known run and is older than any
job may live. A running container of the run's current delivery is never touched. The worker that stores a
run sweeps that run's containers at once (a dead delivery's, on the same engine); every worker sweeps the
whole deployment at start and at most every 30 s after storing.
"""

from __future__ import annotations

import datetime
import logging
import threading
import time

from .backends import DELIVERY_LABEL, RUN_LABEL, get_backend
from .grading import HOST_MARGIN_S
from .models import GradingRun

log = logging.getLogger(__name__)
EXITED_GRACE_S = 60        # the worker that ran it may still be reading its state
LONGEST_JOB_S = 900 + HOST_MARGIN_S + 60
_last = {"at": 0.0}
_lock = threading.Lock()


def sandbox_containers_sweep(*, run_id: str | None = None) -> int:
    """Remove this deployment's leftover sandbox containers on this worker's engine (only `run_id`'s, when
    given); returns how many."""
    backend = get_backend()
    if backend.name != "docker":
        return 0
    from sandboxes.docker_backend import container_remove, containers_labelled

    infos = containers_labelled(backend.client, {**backend.labels, **({RUN_LABEL: run_id} if run_id else {})})
    run_ids = {i.labels[RUN_LABEL] for i in infos if RUN_LABEL in i.labels}
    runs = {str(r.pk): r for r in GradingRun.objects.filter(pk__in=run_ids).only("status", "deliveries")}
    removed = 0
    for info in infos:
        run = runs.get(info.labels.get(RUN_LABEL, ""))
        delivery = int(info.labels.get(DELIVERY_LABEL) or 0)
        if run is not None and (run.is_final or run.deliveries > delivery):
            stale = True  # nobody will read it: the run's result is stored, or a later delivery took over
        elif info.status in ("exited", "dead"):
            stale = _finished_age(backend.client, info.id) > EXITED_GRACE_S
        else:  # running: a live delivery's (keep), or no known run (pooled, or its row is gone): past any job's life
            stale = run is None and RUN_LABEL in info.labels and info.age_s > LONGEST_JOB_S
        if stale and container_remove(backend.client, info.id):
            removed += 1
    if removed:
        log.warning("removed %d leftover sandbox container(s)", removed)
    return removed


def sandbox_containers_sweep_now_and_then(every_s: float = 30.0) -> int:
    """The sweep at most every `every_s` per process: called after each stored run, it costs one engine
    listing and one query, and a worker that took over a dead worker's run cleans up after it."""
    with _lock:
        if time.monotonic() - _last["at"] < every_s:
            return 0
        _last["at"] = time.monotonic()
    try:
        return sandbox_containers_sweep()
    except Exception as exc:  # noqa: BLE001 - a sweep must never fail a grading
        log.warning("sandbox sweep failed: %s", exc)
        return 0


def sandbox_containers_sweep_safely(*, run_id: str) -> int:
    try:
        return sandbox_containers_sweep(run_id=run_id)
    except Exception as exc:  # noqa: BLE001 - a sweep must never fail a grading
        log.warning("sandbox sweep of run %s failed: %s", run_id, exc)
        return 0


def _finished_age(client, container_id: str) -> float:
    try:
        finished = client.api.inspect_container(container_id)["State"]["FinishedAt"]
    except Exception:  # noqa: BLE001 - gone meanwhile
        return 0.0
    if finished.startswith("0001-"):
        return float("inf")  # created, never ran to an end
    at = datetime.datetime.fromisoformat(finished[:26].rstrip("Z") + "+00:00")
    return (datetime.datetime.now(datetime.UTC) - at).total_seconds()

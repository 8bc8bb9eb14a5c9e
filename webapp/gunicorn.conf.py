"""gunicorn's settings for the web (`gunicorn -c webapp/gunicorn.conf.py webapp.wsgi`), from the environment.

Plain Python read by gunicorn's master before any worker loads Django: nothing here imports the app.
"""

from __future__ import annotations

import os


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))  # the cores this container may use, not the host's
    except AttributeError:
        return os.cpu_count() or 1


bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
workers = int(os.environ.get("WEB_CONCURRENCY") or min(2 * _cores() + 1, 8))
# Threads make keep-alive work at all (the sync worker closes every connection) and let one process wait on the
# database for one request while it answers another; bench/exam_load.py measured the exam at 4 x 4.
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
# A candidate's page autosaves every few seconds on one connection. With gunicorn's default of 2 s the server closed
# idle connections just as the next save (3 s later) was sent on them, and the benchmark saw those saves reset
# (README, "bench/exam_load.py"). 75 s also outlasts the idle timeout of the usual load balancers (60 s), so the
# balancer, not gunicorn, closes first.
keepalive = 75
timeout = 60  # a worker silent this long is killed and replaced (the slowest page, the PDF report, takes seconds)
graceful_timeout = 30  # on restart, requests in flight get this long to finish
# The workers' heartbeat files: on a disk-backed /tmp a slow disk stalls them into timeouts; /dev/shm is memory.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None
# The app logs every request itself (ops.logs.RequestLogMiddleware, with its request id); GUNICORN_ACCESS_LOG=- turns
# gunicorn's own access log on too.
accesslog = os.environ.get("GUNICORN_ACCESS_LOG") or None
errorlog = "-"

# Prometheus' multiprocess mode (ops/metrics.py): each worker writes its metrics to files in this folder and /metrics
# adds them up. The folder must exist before a worker records anything, and hold only this gunicorn's files
# (docker/app/entrypoint.sh empties it at start).
_metrics_dir = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
if _metrics_dir:
    os.makedirs(_metrics_dir, exist_ok=True)


def child_exit(server, worker) -> None:
    """A worker exited: drop its live gauges (requests in progress), or they would be counted forever."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)

"""Prometheus metrics (docs/observability.md): what they are, how each is recorded, and the exposition.

Three kinds:
- counters and histograms recorded where things happen: every request (MetricsMiddleware), every autosave
  (`autosave_observed`), every grading run that ends and every failed webhook try (model signals, below);
- gauges computed when scraped, from the database and the broker (`GradingCollector`, `QueueCollector`), served by
  the web's /metrics only: a worker serving them too would count every queue twice;
- one live gauge (requests in progress).

Under gunicorn and Celery's prefork pool each process counts on its own; with PROMETHEUS_MULTIPROC_DIR set they
write to files there and the exposition adds them up (prometheus_client's multiprocess mode). The web serves
/metrics (webapp/views/metrics.py, never public); a worker host serves its own on WORKER_METRICS_PORT.

This module is imported with the Celery app (webapp/celery.py), so every process connects the receivers before a
worker forks its pool. It reads no setting and imports no model at import time: it is imported while the settings
load. Labels are bounded vocabularies (view names, never paths: an exam URL carries its token), never anything a
candidate typed or is called.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Iterable
from functools import wraps

from django.conf import settings
from django.db import transaction
from django.db.models.signals import post_save
from prometheus_client import (
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    disable_created_metrics,
    start_http_server,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.exposition import choose_encoder
from prometheus_client.multiprocess import MultiProcessCollector, mark_process_dead
from prometheus_client.registry import Collector

log = logging.getLogger(__name__)

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
# The metrics below open their files there as they are defined: a folder that does not exist yet (a one-off
# `manage.py` in a container whose entrypoint did not run, an image build step) must not stop the process.
if os.environ.get(MULTIPROC_ENV):
    os.makedirs(os.environ[MULTIPROC_ENV], exist_ok=True)
# No `*_created` series: multiprocess mode has none, so one process alone looks the same as several, and Prometheus
# does not need them for rate().
disable_created_metrics()

# --- the vocabularies of the labels ------------------------------------------------------------------------------

METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
AUTOSAVE_REASONS = ("stale", "late", "invalid", "rate-limited", "server-error")
WEBHOOK_REASONS = ("timeout", "connection", "tls", "invalid-url", "http-3xx", "http-4xx", "http-5xx", "other")
SUITES = ("visible", "hidden")
RUN_STATUSES = ("queued", "running", "done", "error")
VERDICTS = frozenset({"passed", "failed", "error", "timeout", "memory", "output-limit", "sandbox-error"})
BACKENDS = frozenset({"docker", "local"})

# --- recorded where it happens -----------------------------------------------------------------------------------

HTTP_LATENCY = Histogram(
    "interview_track_http_request_duration_seconds",
    "Time to answer a request, by view (the URL's name, never its path), method and status class.",
    ["view", "method", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0),
)
# livesum: the requests being answered now, by the processes alive now (a dead worker's files are dropped by
# gunicorn.conf.py's child_exit).
HTTP_IN_PROGRESS = Gauge("interview_track_http_requests_in_progress", "Requests being answered now.",
                         multiprocess_mode="livesum")
AUTOSAVE_LATENCY = Histogram(
    "interview_track_autosave_duration_seconds",
    "Time to answer an answer save (autosave or the Save button), whatever the answer.",
    buckets=(0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0),
)
AUTOSAVE_ERRORS = Counter(
    "interview_track_autosave_errors",
    "Answer saves refused or failed, by reason: stale (another tab saved first), late (deadline or closed attempt), "
    "invalid (malformed, too long, unknown question or link), rate-limited, server-error.",
    ["reason"],
)
GRADING_RUNS_FINISHED = Counter(
    "interview_track_grading_runs_finished",
    "Grading runs stored as final, by suite, status (done, or error: the infrastructure gave up) and verdict.",
    ["suite", "status", "verdict"],
)
GRADING_TIME_TO_RESULT = Histogram(
    "interview_track_grading_time_to_result_seconds",
    "From a run's creation to its final result (queue wait, sandbox, storing), by suite.",
    ["suite"],
    buckets=(1, 2, 5, 10, 20, 30, 60, 120, 300, 600, 900, 1800, 3600),
)
SANDBOX_START = Histogram(
    "interview_track_sandbox_start_seconds",
    "Time to have the sandbox ready for a job (Docker: create and start a container, or take a pooled one; local: "
    "spawn the process), by backend.",
    ["backend"],
    buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30),
)
SANDBOX_RUN = Histogram(
    "interview_track_sandbox_run_seconds",
    "Time a grading job ran in the sandbox, by backend.",
    ["backend"],
    buckets=(0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300, 600, 1200),
)
WEBHOOK_FAILURES = Counter(
    "interview_track_webhook_delivery_failures",
    "Webhook delivery tries that failed, by reason (timeout, connection, tls, invalid-url, http-3xx/4xx/5xx, other).",
    ["reason"],
)

# Every reason exists from the start at 0, so rate() and alerts see the first failure.
for _reason in AUTOSAVE_REASONS:
    AUTOSAVE_ERRORS.labels(reason=_reason)
for _reason in WEBHOOK_REASONS:
    WEBHOOK_FAILURES.labels(reason=_reason)


def _status_class(status: int) -> str:
    return f"{status // 100}xx"


def view_label(request) -> str:
    """The resolved view's name (namespace:url_name, or the function's path for an unnamed pattern)."""
    match = getattr(request, "resolver_match", None)
    if match is not None:
        return match.view_name
    if request.path.startswith(settings.STATIC_URL):
        return "static"
    return "unmatched"


class MetricsMiddleware:
    """Time every request, labelled by view, method and status class. First in MIDDLEWARE: the time includes
    everything the other middleware do."""

    def __init__(self, get_response: Callable):
        self.get_response = get_response

    def __call__(self, request):
        started = time.perf_counter()
        HTTP_IN_PROGRESS.inc()
        status = "5xx"
        try:
            response = self.get_response(request)
            status = _status_class(response.status_code)
            return response
        finally:
            HTTP_IN_PROGRESS.dec()
            method = request.method if request.method in METHODS else "other"
            HTTP_LATENCY.labels(view=view_label(request), method=method, status=status).observe(
                time.perf_counter() - started)


# --- autosave ----------------------------------------------------------------------------------------------------

# How answer_save answers (webapp/views/exam.py): 409 another tab saved first (or, in JSON, not started); 403 the
# deadline passed or the attempt is closed; 429 too many saves (or invalid links from the address); 400/404/405/413
# malformed, unknown question or link, too long. The no-JavaScript Save button's refusals are redirects with a
# message: counted in the latency, not here (the autosave is the fetch path, which always answers JSON).
_AUTOSAVE_STATUS_REASONS = {409: "stale", 403: "late", 429: "rate-limited"}


def autosave_refusal(response) -> str | None:
    """The reason an answer-save response refuses the save, or None when it saved (or redirected)."""
    status = response.status_code
    if status < 400:
        return None
    if status >= 500:
        return "server-error"
    if status == 409 and b'"not_started"' in getattr(response, "content", b""):
        return "invalid"
    return _AUTOSAVE_STATUS_REASONS.get(status, "invalid")


def _autosave_exception_reason(exc: Exception) -> str:
    from django.core.exceptions import PermissionDenied, SuspiciousOperation
    from django.http import Http404

    from assessments.errors import NotFound

    return "invalid" if isinstance(exc, Http404 | NotFound | PermissionDenied | SuspiciousOperation) else "server-error"


def autosave_observed(view: Callable) -> Callable:
    """Decorate the answer-save view: its latency, and its refusals and failures by reason."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        started = time.perf_counter()
        try:
            response = view(request, *args, **kwargs)
        except Exception as exc:
            AUTOSAVE_LATENCY.observe(time.perf_counter() - started)
            AUTOSAVE_ERRORS.labels(reason=_autosave_exception_reason(exc)).inc()
            raise
        AUTOSAVE_LATENCY.observe(time.perf_counter() - started)
        if reason := autosave_refusal(response):
            AUTOSAVE_ERRORS.labels(reason=reason).inc()
        return response

    return wrapper


# --- grading runs and webhooks: model signals --------------------------------------------------------------------
# Recorded from the rows the services write, so graders and api need no call into ops (docs/architecture.md: ops
# may import graders, neither graders nor api may import ops). The senders are named lazily ("app.Model"): this
# module loads before the models, and a renamed model fails Django's system checks instead of going silent.


def grading_run_record(*, suite: str, status: str, verdict: str, seconds_to_result: float | None,
                       sandbox: dict | None, backend: str = "") -> None:
    """Count one run that ended, and observe how long its sandbox took to start and to run the job."""
    suite = suite if suite in SUITES else "other"
    verdict = verdict if verdict in VERDICTS else ("none" if not verdict else "other")
    GRADING_RUNS_FINISHED.labels(suite=suite, status=status, verdict=verdict).inc()
    if seconds_to_result is not None and seconds_to_result >= 0:
        GRADING_TIME_TO_RESULT.labels(suite=suite).observe(seconds_to_result)
    if not sandbox:
        return
    backend = str(sandbox.get("backend") or backend)
    backend = backend if backend in BACKENDS else "other"
    timings = sandbox.get("timings") or {}
    if isinstance(timings.get("start_s"), int | float):
        SANDBOX_START.labels(backend=backend).observe(timings["start_s"])
    run_s = timings.get("run_s", sandbox.get("wall_seconds"))
    if isinstance(run_s, int | float):
        SANDBOX_RUN.labels(backend=backend).observe(run_s)


def _grading_run_saved(sender, instance, created: bool, update_fields=None, **kwargs) -> None:
    """A run became final (graders.services._finish saves status with update_fields): count it once its
    transaction commits, so a store that rolled back (and is retried) is not counted twice."""
    try:
        if created or not update_fields or "status" not in update_fields or instance.status not in ("done", "error"):
            return
        result = instance.result if isinstance(instance.result, dict) else {}
        facts = {
            "suite": str(instance.suite), "status": str(instance.status), "verdict": str(instance.verdict or ""),
            "seconds_to_result": ((instance.finished_at - instance.created_at).total_seconds()
                                  if instance.finished_at and instance.created_at else None),
            "sandbox": result.get("sandbox") if instance.status == "done" else None,
            "backend": str(instance.backend or ""),
        }
    except Exception:  # noqa: BLE001 - metrics must never fail a grading run's store
        log.exception("metrics: could not read a finished grading run")
        return
    transaction.on_commit(lambda: grading_run_record(**facts), robust=True)


def webhook_failure_reason(*, status_code: int | None, error: str) -> str:
    """api.webhooks.delivery_send writes "HTTP <code>" for an answer outside 2xx, else "<ExceptionName>: ..."."""
    if status_code is not None:
        return f"http-{status_code // 100}xx" if 3 <= status_code // 100 <= 5 else "other"
    kind = error.split(":", 1)[0]
    if "Timeout" in kind:
        return "timeout"
    if kind == "SSLError":
        return "tls"
    if kind in {"ConnectionError", "ProxyError", "ChunkedEncodingError", "ContentDecodingError"}:
        return "connection"
    if kind in {"InvalidURL", "MissingSchema", "InvalidSchema", "InvalidHeader", "TooManyRedirects"}:
        return "invalid-url"
    return "other"


def _webhook_attempt_saved(sender, instance, created: bool, **kwargs) -> None:
    """Each try of a webhook delivery is one WebhookAttempt row; a failed one has its error."""
    try:
        if created and instance.error:
            WEBHOOK_FAILURES.labels(reason=webhook_failure_reason(status_code=instance.status_code,
                                                                  error=instance.error)).inc()
    except Exception:  # noqa: BLE001 - metrics must never fail a delivery's record
        log.exception("metrics: could not count a webhook failure")


post_save.connect(_grading_run_saved, sender="graders.GradingRun", weak=False, dispatch_uid="ops.metrics.grading_run")
post_save.connect(_webhook_attempt_saved, sender="api.WebhookAttempt", weak=False,
                  dispatch_uid="ops.metrics.webhook_attempt")


# --- computed when scraped (the web's /metrics only) ---------------------------------------------------------------


def _source_up(source: str, ok: bool) -> GaugeMetricFamily:
    up = GaugeMetricFamily("interview_track_metrics_source_up",
                           "1 when this scrape could read the source (database, broker), else 0.", labels=["source"])
    up.add_metric([source], 1.0 if ok else 0.0)
    return up


class QueueCollector:
    """Messages waiting in each queue of the task table, as the broker counts them at scrape time. A queue the
    broker cannot count is left out (no number is better than a wrong one); the scrape goes on."""

    def __init__(self, lengths: Callable[[list[str]], dict[str, int | None] | None] | None = None):
        self._lengths = lengths

    def collect(self) -> Iterable[Metric]:
        from assessments.tasking import Queue
        from graders.broker import queue_lengths

        depth = GaugeMetricFamily("interview_track_queue_depth", "Messages waiting in the broker's queue.",
                                  labels=["queue"])
        queues = [str(q) for q in Queue]
        try:
            lengths = (self._lengths or queue_lengths)(queues) or {}
        except Exception:  # noqa: BLE001 - a broker client's errors vary; the rest of the scrape must go on
            log.exception("metrics: could not count the queues")
            lengths = {}
        for queue in queues:
            if isinstance(lengths.get(queue), int):
                depth.add_metric([queue], float(lengths[queue]))
        yield depth
        yield _source_up("broker", all(isinstance(lengths.get(q), int) for q in queues))


class GradingCollector:
    """Grading runs in the database: how many per status (one GROUP BY over the (status, created_at) index), and
    per queue the unfinished runs that are overdue (graders.selectors.overdue_cutoff, the staff pages' rule) and
    the age of the oldest queued run (what a waiting candidate feels)."""

    def collect(self) -> Iterable[Metric]:
        from django.db.models import Count, Min, Q
        from django.utils import timezone

        from graders.models import GradingRun, RunStatus
        from graders.selectors import overdue_cutoff

        runs = GaugeMetricFamily("interview_track_grading_runs", "Grading runs in the database, by status.",
                                 labels=["status"])
        overdue = GaugeMetricFamily(
            "interview_track_grading_runs_overdue",
            "Runs not final more than GRADING_OVERDUE_S after they were created (flagged overdue on staff pages).",
            labels=["queue"])
        oldest = GaugeMetricFamily("interview_track_grading_oldest_queued_age_seconds",
                                   "Age of the oldest run still queued, by queue.", labels=["queue"])
        now = timezone.now()
        try:
            by_status = dict.fromkeys(RUN_STATUSES, 0)
            for row in GradingRun.objects.order_by().values("status").annotate(n=Count("*")):
                by_status[row["status"]] = row["n"]
            cutoff = overdue_cutoff(now=now)
            unfinished = (GradingRun.objects.filter(status__in=[RunStatus.QUEUED, RunStatus.RUNNING]).order_by()
                          .values("queue").annotate(overdue=Count("pk", filter=Q(created_at__lt=cutoff)),
                                                    oldest=Min("created_at", filter=Q(status=RunStatus.QUEUED))))
            unfinished = list(unfinished)
        except Exception:  # noqa: BLE001 - the database is away: say so, and let the scrape go on
            log.exception("metrics: could not count grading runs")
            yield _source_up("database", False)
            return
        for status, n in by_status.items():
            runs.add_metric([status], float(n))
        for row in unfinished:
            overdue.add_metric([row["queue"]], float(row["overdue"]))
            if row["oldest"] is not None:
                oldest.add_metric([row["queue"]], max(0.0, (now - row["oldest"]).total_seconds()))
        yield from (runs, overdue, oldest, _source_up("database", True))


# --- exposition --------------------------------------------------------------------------------------------------


def multiprocess_dir() -> str | None:
    return os.environ.get(MULTIPROC_ENV) or None


def process_registry() -> CollectorRegistry:
    """What this host's processes recorded: all of them, added up, in multiprocess mode; else this process's own."""
    if multiprocess_dir():
        registry = CollectorRegistry()
        MultiProcessCollector(registry)
        return registry
    return REGISTRY


def exposition(*, accept: str = "", collectors: Iterable[Collector] | None = None) -> tuple[bytes, str]:
    """The web's /metrics: the host's recorded metrics plus the gauges computed now. Returns (body, content type),
    in the format the scraper asked for (Prometheus text, or OpenMetrics)."""
    registry = CollectorRegistry()
    registry.register(process_registry())
    for collector in (QueueCollector(), GradingCollector()) if collectors is None else collectors:
        registry.register(collector)
    encoder, content_type = choose_encoder(accept)
    return encoder(registry), content_type


def worker_metrics_serve(*, port: int | None = None, addr: str | None = None):
    """A worker host's own /metrics (Celery's worker_ready, in the main worker process): workers run on other hosts
    than the web, so Prometheus scrapes each. Off unless WORKER_METRICS_PORT is set. Returns the server, or None."""
    port = settings.WORKER_METRICS_PORT if port is None else port
    if port is None:
        return None
    if not multiprocess_dir():
        log.warning("WORKER_METRICS_PORT is set but %s is not: with the prefork pool the tasks run in child "
                    "processes, whose metrics this server cannot see. Set %s to an empty folder.",
                    MULTIPROC_ENV, MULTIPROC_ENV)
    addr = addr or settings.WORKER_METRICS_ADDR
    try:
        server, _thread = start_http_server(port, addr=addr, registry=process_registry())
    except OSError as exc:  # the port is taken: the worker still works, without metrics
        log.error("worker metrics: could not listen on %s:%s: %s", addr, port, exc)
        return None
    log.info("worker metrics on http://%s:%s/metrics", addr, server.server_port)
    return server


def process_dead(pid: int) -> None:
    """A worker process exited (gunicorn's child_exit, Celery's worker_process_shutdown): its live gauges go."""
    if multiprocess_dir():
        mark_process_dead(pid)

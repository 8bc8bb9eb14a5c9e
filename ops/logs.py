"""Structured logs: one JSON object a line (LOG_FORMAT=json) or today's plain line, both carrying the context of
the request or task they were written in (request_id, attempt_id, run_id, task, task_id).

The context lives in a contextvar: the request middleware below sets it per request, Celery's task_prerun and
task_postrun signals per task (`celery_log_context_connect`), so neither views nor tasks pass it around.

Privacy: a log line is read by people and machines that may not see candidates' data. Nothing here logs answer
text, names, e-mail addresses or exam tokens: the formatter drops `extra` fields whose names say they may hold
such data (and values that are objects, whose repr could), exam URLs are logged by route, never by path, and
an exam token in any message is masked.

Plain Python at import (no Django): settings.LOGGING names these classes, and logging is configured before the
apps are ready.
"""

from __future__ import annotations

import contextvars
import json
import logging
import re
import time
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from types import MappingProxyType
from typing import Any

log = logging.getLogger(__name__)
access_log = logging.getLogger("interview_track.request")

CONTEXT_KEYS = ("request_id", "attempt_id", "run_id", "task", "task_id")
_NONE: Mapping[str, Any] = MappingProxyType({})
# Read-only mappings: a context is replaced, never changed in place, so a reset brings back exactly the one before.
_context: contextvars.ContextVar[Mapping[str, Any]] = contextvars.ContextVar("interview_track_log_context",
                                                                               default=_NONE)

# `extra` names that may carry a candidate's data or a secret: dropped from every line, whatever their value.
DANGEROUS_KEYS = frozenset({
    "answer", "answers", "body", "text", "code", "files", "candidate_files", "notes", "note", "evidence", "summary",
    "prompt", "name", "full_name", "first_name", "last_name", "username", "user", "candidate", "email", "token",
    "password", "secret", "request", "ip", "client_ip", "address", "headers", "cookies", "session", "data", "payload",
})
DANGEROUS_PARTS = ("token", "secret", "password", "passwd", "email", "answer", "cookie", "authorization", "session")
# What a LogRecord holds of its own: not `extra`.
_RECORD_ATTRS = frozenset(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime", "context"}
_EXAM_PATH = re.compile(r"/exam/[^/\s'\"?#<]+")  # a token; not a route's <str:token>
_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")
_PLAIN_FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s%(context)s"


# --- the context -------------------------------------------------------------------------------


def log_context() -> dict[str, Any]:
    """The context of the request or task running here: what every line written now carries."""
    return dict(_context.get())


def log_context_bind(**fields: Any) -> contextvars.Token:
    """Add fields to the context (None removes one); returns the token `log_context_reset` takes back."""
    current = dict(_context.get())
    for key, value in fields.items():
        if key not in CONTEXT_KEYS:
            raise ValueError(f"{key!r} is not a log context field ({', '.join(CONTEXT_KEYS)})")
        if value is None:
            current.pop(key, None)
        else:
            current[key] = value
    return _context.set(MappingProxyType(current))


def log_context_reset(token: contextvars.Token) -> None:
    try:
        _context.reset(token)
    except ValueError:  # set in another context (a signal pair split across threads): start clean instead
        _context.set(_NONE)


@contextmanager
def log_context_scope(**fields: Any) -> Iterator[None]:
    token = log_context_bind(**fields)
    try:
        yield
    finally:
        log_context_reset(token)


# --- filter and formatters ---------------------------------------------------------------------


def _dangerous(key: str) -> bool:
    lowered = key.lower()
    return lowered in DANGEROUS_KEYS or any(part in lowered for part in DANGEROUS_PARTS)


def _clean(value: Any, depth: int = 0) -> tuple[bool, Any]:
    """(kept, value): primitives pass; lists and dicts of primitives pass with dangerous keys dropped; objects
    (whose str() could be anything: a request with its path, a model with a name) do not."""
    if value is None or isinstance(value, bool | int | float):
        return True, value
    if isinstance(value, str):
        return True, _EXAM_PATH.sub("/exam/<token>", value)
    if depth < 3 and isinstance(value, list | tuple):
        items = [_clean(v, depth + 1) for v in value]
        return True, [v for ok, v in items if ok]
    if depth < 3 and isinstance(value, dict):
        out = {}
        for k, v in value.items():
            ok, cleaned = _clean(v, depth + 1)
            if ok and isinstance(k, str) and not _dangerous(k):
                out[k] = cleaned
        return True, out
    return False, None


class ContextFilter(logging.Filter):
    """Put the context on every record (record.request_id, ..., and record.context, the plain line's suffix) and
    mask exam tokens in the message (Django's own lines name a 4xx request by its path)."""

    def filter(self, record: logging.LogRecord) -> bool:
        context = _context.get()
        for key in CONTEXT_KEYS:
            if key in context and not hasattr(record, key):
                setattr(record, key, context[key])
        shown = {key: getattr(record, key) for key in CONTEXT_KEYS if getattr(record, key, None) is not None}
        record.context = "".join(f" {key}={value}" for key, value in shown.items())
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a bad format call: the handler reports it when it formats
            return True
        if "/exam/" in message:
            record.msg, record.args = _EXAM_PATH.sub("/exam/<token>", message), None
        return True


class PlainFormatter(logging.Formatter):
    """Today's line, `time LEVEL logger message`, followed by the context as key=value pairs."""

    def __init__(self, fmt: str | None = None, datefmt: str | None = None, style: str = "%", **kwargs: Any):
        super().__init__(fmt or _PLAIN_FORMAT, datefmt, style, defaults={"context": ""}, **kwargs)


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time (ISO-8601, UTC), level, logger, message, the context, safe `extra` fields,
    and `exc` (the traceback) when there is one. `dropped` names the extra fields left out."""

    def format(self, record: logging.LogRecord) -> str:
        message = record.getMessage()
        if "/exam/" in message:
            message = _EXAM_PATH.sub("/exam/<token>", message)
        out: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds").replace(
                "+00:00", "Z"),
            "level": record.levelname,
            "logger": record.name,
            "message": message,
        }
        context = _context.get()
        for key in CONTEXT_KEYS:
            value = getattr(record, key, None)
            value = context.get(key) if value is None else value
            if value is not None:
                out[key] = value
        dropped = []
        for key, value in vars(record).items():
            if key in _RECORD_ATTRS or key in CONTEXT_KEYS or key in out or key.startswith("_"):
                continue
            ok, cleaned = _clean(value)
            if not ok or _dangerous(key):
                dropped.append(key)
                continue
            out[key] = cleaned
        if dropped:
            out["dropped"] = sorted(dropped)
        if record.exc_info:
            out["exc"] = _EXAM_PATH.sub("/exam/<token>", self.formatException(record.exc_info))
        elif record.exc_text:
            out["exc"] = _EXAM_PATH.sub("/exam/<token>", record.exc_text)
        if record.stack_info:
            out["stack"] = self.formatStack(record.stack_info)
        return json.dumps(out, default=str, ensure_ascii=False)


# --- requests ----------------------------------------------------------------------------------


def request_id_from(header: str | None) -> str:
    """The caller's X-Request-ID when it is one (at most 64 of [A-Za-z0-9._-]: it goes into every line and back
    in a header, so nothing else is believed), else a new one."""
    if header and _REQUEST_ID.fullmatch(header):
        return header
    return uuid.uuid4().hex


# Probes and files: a line each would drown the requests that matter.
_QUIET_PATHS = frozenset({"/healthz", "/readyz", "/metrics", "/favicon.ico"})


class RequestLogMiddleware:
    """Per request: its id (the caller's X-Request-ID or a new one, echoed on the response) in the log context,
    the attempt id where the URL names one, and one access line on `interview_track.request`.

    The access line names the route (`/exam/<str:token>/answers/<slug:slug>/`), never the path: exam paths
    carry the candidate's token.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request_id = request_id_from(request.headers.get("X-Request-ID"))
        request.request_id = request_id
        token = log_context_bind(request_id=request_id)
        started = time.monotonic()
        try:
            response = self.get_response(request)
            response["X-Request-ID"] = request_id
            if not _quiet(request.path):
                _access_line(request, response.status_code, started)
            return response
        finally:
            log_context_reset(token)

    def process_view(self, request, view_func, view_args, view_kwargs):
        attempt_id = view_kwargs.get("attempt_id")
        if isinstance(attempt_id, int):
            log_context_bind(attempt_id=attempt_id)  # undone with the request's token in __call__
        return None


def _quiet(path: str) -> bool:
    from django.conf import settings

    # STATIC_URL as Django hands it out carries the script prefix ("/static/"), as ops.metrics.view_label reads it.
    return path in _QUIET_PATHS or path.startswith(settings.STATIC_URL)


def _access_line(request, status: int, started: float) -> None:
    match = getattr(request, "resolver_match", None)
    route = "/" + match.route if match is not None else "<unresolved>"  # the pattern, from the site's root
    url_name = getattr(match, "view_name", None) or None
    duration_ms = round((time.monotonic() - started) * 1000, 1)
    level = logging.WARNING if status >= 500 else logging.INFO
    access_log.log(level, "%s %s %s %.1fms", request.method, route, status, duration_ms,
                   extra={"method": request.method, "url_name": url_name, "route": route, "status": status,
                          "duration_ms": duration_ms})


# --- Celery tasks ------------------------------------------------------------------------------

_task_tokens: dict[str, contextvars.Token] = {}
_ID_ARGS = ("run_id", "attempt_id")


def _task_ids(task, args, kwargs) -> dict[str, Any]:
    """run_id and attempt_id where the task takes them, by keyword or by position (tasks take ids only)."""
    found = {key: kwargs[key] for key in _ID_ARGS if kwargs and kwargs.get(key) is not None}
    if args and len(found) < len(_ID_ARGS):
        import inspect

        try:
            bound = inspect.signature(task.run).bind_partial(*args, **(kwargs or {}))
        except (TypeError, ValueError):
            return found
        for key in _ID_ARGS:
            if key not in found and bound.arguments.get(key) is not None:
                found[key] = bound.arguments[key]
    return {key: str(value) if key == "run_id" else value for key, value in found.items()}


def task_context_start(sender=None, task_id=None, task=None, args=None, kwargs=None, **_) -> None:
    task = task or sender
    fields = {"task": getattr(task, "name", None), "task_id": task_id,
              **_task_ids(task, args or (), kwargs or {})}
    _task_tokens[task_id] = log_context_bind(**fields)


def task_context_end(sender=None, task_id=None, **_) -> None:
    token = _task_tokens.pop(task_id, None)
    if token is not None:
        log_context_reset(token)


def celery_log_context_connect() -> None:
    """Every task's lines carry its name, id and the run or attempt it works on (webapp/celery.py calls this)."""
    from celery.signals import task_postrun, task_prerun

    task_prerun.connect(task_context_start, weak=False, dispatch_uid="ops.logs.task_context_start")
    task_postrun.connect(task_context_end, weak=False, dispatch_uid="ops.logs.task_context_end")

"""Health checks: each answers whether one dependency works right now.

The database is required (nothing works without it); the cache and the broker are not: without them exams
go on (the rate limiter lets requests through, runs wait in the database to be published), so their
failure makes the site "degraded", which a load balancer should not act on but an operator must see.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.core.cache import cache
from django.db import connection


@dataclass(frozen=True)
class Check:
    ok: bool
    detail: str = ""


@dataclass(frozen=True)
class Health:
    checks: dict[str, Check] = field(default_factory=dict)
    required: tuple[str, ...] = ("database",)

    @property
    def status(self) -> str:
        if not all(self.checks[name].ok for name in self.required if name in self.checks):
            return "down"
        return "ok" if all(c.ok for c in self.checks.values()) else "degraded"


def database_check() -> Check:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception as exc:  # noqa: BLE001 - the driver's errors: the answer is "not ok", with why
        return Check(False, f"{type(exc).__name__}: {exc}"[:300])
    return Check(True, connection.vendor)


def cache_check() -> Check:
    try:
        cache.set("healthz", "1", timeout=10)
        ok = cache.get("healthz") == "1"
    except Exception as exc:  # noqa: BLE001
        return Check(False, f"{type(exc).__name__}: {exc}"[:300])
    return Check(ok, cache.__class__.__name__)


def broker_check() -> Check:
    from celery import current_app

    try:
        with current_app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, interval_start=0, interval_step=0.2, timeout=3)
    except Exception as exc:  # noqa: BLE001
        return Check(False, f"{type(exc).__name__}: {exc}"[:300])
    return Check(True, current_app.conf.broker_url.split("://", 1)[0])


def health_get() -> Health:
    return Health(checks={"database": database_check(), "cache": cache_check(), "broker": broker_check()})


# --- readiness: may this node take traffic (and the exams it brings)? ---------------------------------------


@dataclass(frozen=True)
class Readiness:
    """Ready when every required check is ok. The sandbox check is informational where READYZ_REQUIRE_WORKERS is
    off (a web-only deployment whose workers are watched elsewhere)."""

    checks: dict[str, Check]
    informational: frozenset[str] = frozenset()

    @property
    def failing(self) -> list[str]:
        return [name for name, c in self.checks.items() if not c.ok and name not in self.informational]

    @property
    def status(self) -> str:
        return "not ready" if self.failing else "ready"


def sandbox_check(*, heartbeat_s: int | None = None) -> Check:
    """A worker consuming a grading queue was seen within three heartbeats, and its sandbox can run a job."""
    from django.conf import settings

    from assessments.tasking import Queue
    from graders.presence import workers_seen

    grading_queues = {Queue.GRADING_CPU, Queue.GRADING_VISIBLE, Queue.GRADING_GPU}
    within = 3 * int(heartbeat_s or settings.WORKER_HEARTBEAT_S)
    try:
        seen = workers_seen(within_s=within)
    except Exception as exc:  # noqa: BLE001 - the database check names the cause
        return Check(False, f"could not read worker presence: {type(exc).__name__}"[:300])
    if not seen:
        return Check(False, f"no worker seen in {within} s")
    grading = [w for w in seen if grading_queues & set(w.queue_list)]
    if not grading:
        others = ", ".join(f"{w.hostname} ({w.queues})" for w in seen)
        return Check(False, f"no worker consuming a grading queue seen in {within} s (seen: {others})"[:300])
    able = [w for w in grading if w.sandbox_ok]
    if not able:
        return Check(False, "; ".join(f"worker {w.hostname}: {w.sandbox_detail}" for w in grading)[:300])
    return Check(True, "; ".join(f"worker {w.hostname}: {w.sandbox_detail}" for w in able)[:300])


def content_check() -> Check:
    """A current track is loaded with its questions: each placed coding question with its files (what grading
    reads). Nothing loaded means `manage.py sync_content` has not run against this database."""
    from assessments.models import QuestionKind, SectionQuestion, Track

    try:
        tracks = list(Track.objects.filter(is_current=True).order_by("slug").values_list("slug", flat=True))
        if not tracks:
            return Check(False, "no track loaded: run `manage.py sync_content`")
        placed = SectionQuestion.objects.filter(section__track__is_current=True)
        if not placed.exists():
            return Check(False, f"no track has questions loaded ({', '.join(tracks)})"[:300])
        missing = sorted(set(placed.filter(question__kind=QuestionKind.CODING, question__files__isnull=True)
                             .values_list("question__slug", flat=True)))
        if missing:
            return Check(False, f"coding questions without their files: {', '.join(missing)}"[:300])
    except Exception as exc:  # noqa: BLE001 - the database check names the cause
        return Check(False, f"could not read the content: {type(exc).__name__}"[:300])
    questions = placed.values("question_id").distinct().count()
    return Check(True, f"{len(tracks)} track(s), {questions} question(s)")


def readiness_get(*, require_workers: bool | None = None) -> Readiness:
    """Database, broker, a grading worker able to run the sandbox, and content: each with a detail naming what is
    wrong. Every check is short: a dead broker costs about a second (a few at most, its connect timeout)."""
    from django.conf import settings

    if require_workers is None:
        require_workers = settings.READYZ_REQUIRE_WORKERS
    database = database_check()
    checks = {"database": database, "broker": broker_check()}
    if database.ok:
        checks["sandbox"] = sandbox_check()
        checks["content"] = content_check()
    else:  # each would only repeat the database's failure, after a timeout of its own
        checks["sandbox"] = checks["content"] = Check(False, "database unavailable")
    return Readiness(checks=checks, informational=frozenset() if require_workers else frozenset({"sandbox"}))

"""Liveness and readiness for load balancers, orchestrators and operators."""

from __future__ import annotations

import logging

from django.http import HttpRequest, JsonResponse

from ops.health import health_get, readiness_get

log = logging.getLogger(__name__)


def healthz(request: HttpRequest) -> JsonResponse:
    """200 "ok" or "degraded" (cache or broker away: exams go on), 503 "down" (no database)."""
    health = health_get()
    body = {"status": health.status, **{name: {"ok": c.ok, "detail": c.detail} for name, c in health.checks.items()}}
    response = JsonResponse(body, status=503 if health.status == "down" else 200)
    if health.status == "down":
        # One warning per probe, not Django's ERROR for a 503 (which mails ADMINS every few seconds of an outage).
        log.warning("down: %s", "; ".join(f"{n} ({c.detail})" for n, c in health.checks.items() if not c.ok))
        response._has_been_logged = True
    return response


def readyz(request: HttpRequest) -> JsonResponse:
    """200 "ready" when the database, the broker, a grading worker with a working sandbox and the content all are;
    else 503 "not ready", `failing` naming each check that is not (READYZ_REQUIRE_WORKERS=false: the sandbox check
    is shown, `"required": false`, and fails nothing)."""
    ready = readiness_get()
    body = {"status": ready.status, "failing": ready.failing,
            **{name: {"ok": c.ok, "detail": c.detail, "required": name not in ready.informational}
               for name, c in ready.checks.items()}}
    response = JsonResponse(body, status=200 if ready.status == "ready" else 503)
    if ready.failing:
        # Not ready is an answer, not a server error: one warning naming why, instead of Django's ERROR line for a
        # 503 (which mails ADMINS) on every probe of a load balancer.
        log.warning("not ready: %s", "; ".join(f"{n} ({ready.checks[n].detail})" for n in ready.failing))
        response._has_been_logged = True
    return response

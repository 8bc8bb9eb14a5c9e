"""Liveness and readiness for load balancers, orchestrators and operators."""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse

from ops.health import health_get


def healthz(request: HttpRequest) -> JsonResponse:
    """200 "ok" or "degraded" (cache or broker away: exams go on), 503 "down" (no database)."""
    health = health_get()
    body = {"status": health.status, **{name: {"ok": c.ok, "detail": c.detail} for name, c in health.checks.items()}}
    return JsonResponse(body, status=503 if health.status == "down" else 200)

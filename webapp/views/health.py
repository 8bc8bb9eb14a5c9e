"""Liveness and readiness for load balancers and orchestrators."""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse

from ops import health


def healthz(request: HttpRequest) -> JsonResponse:
    report = health.database_check()
    return JsonResponse({"status": "ok", "database": report.vendor})

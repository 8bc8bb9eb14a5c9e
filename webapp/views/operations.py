"""Operators: queues, workers and their sandboxes, overdue gradings and the periodic sweeps, on one page."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required, permission_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from ops.selectors import operations_overview


@login_required
@permission_required("graders.view_operations", raise_exception=True)
@require_GET
def overview(request: HttpRequest) -> HttpResponse:
    """The whole page, or (htmx, every 10 s) its figures alone."""
    context = {"o": operations_overview()}
    if request.htmx:
        return render(request, "operations/overview.html#figures", context)
    return render(request, "operations/overview.html", context)

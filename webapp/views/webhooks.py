"""Admins: webhook endpoints, their delivery log, and replay."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from api import webhooks
from api.models import EVENT_TYPES
from assessments import selectors
from assessments.errors import AssessmentError


@login_required
@permission_required("api.add_webhookendpoint", raise_exception=True)  # the Admin role
def endpoint_list(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        try:
            endpoint = webhooks.endpoint_create(url=request.POST.get("url", "").strip(),
                                                event_types=request.POST.getlist("events"),
                                                track_slugs=request.POST.getlist("tracks"),
                                                description=request.POST.get("description", ""),
                                                created_by=request.user)
        except (AssessmentError, Exception) as exc:  # a URL the model refuses (ValidationError) too
            messages.error(request, getattr(exc, "messages", [str(exc)])[0])
        else:
            response = render(request, "webhooks/created.html", {"endpoint": endpoint})
            response["Cache-Control"] = "no-store"
            return response
    return render(request, "webhooks/list.html", {"endpoints": webhooks.endpoints_list(), "events": EVENT_TYPES,
                                                  "tracks": selectors.track_list_current()})


@login_required
@permission_required("api.change_webhookendpoint", raise_exception=True)
def endpoint_detail(request: HttpRequest, endpoint_id: int) -> HttpResponse:
    endpoint = webhooks.endpoint_get(endpoint_id=endpoint_id)
    if request.method == "POST" and request.POST.get("action") == "disable":
        webhooks.endpoint_disable(endpoint=endpoint)
        messages.success(request, "Disabled: no new deliveries; pending ones are kept.")
        return redirect("webhook-endpoint", endpoint_id=endpoint.pk)
    return render(request, "webhooks/detail.html", {
        "endpoint": endpoint, "deliveries": webhooks.endpoint_deliveries(endpoint=endpoint)})


@require_POST
@login_required
@permission_required("api.change_webhookdelivery", raise_exception=True)
def delivery_replay(request: HttpRequest, delivery_id: int) -> HttpResponse:
    delivery = webhooks.delivery_replay(delivery=webhooks.delivery_get(delivery_id=delivery_id))
    messages.success(request, f"Delivery {delivery.pk} queued again (same event id: receivers drop duplicates).")
    return redirect("webhook-endpoint", endpoint_id=delivery.endpoint_id)

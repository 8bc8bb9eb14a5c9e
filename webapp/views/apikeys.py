"""Admins: API keys for hiring pipelines. A key is shown once, when created; only its hash is kept."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from api import selectors as api_selectors
from api import services as api_services
from api.models import SCOPES
from assessments import selectors
from assessments.errors import AssessmentError


@login_required
@permission_required("api.add_apikey", raise_exception=True)  # the Admin role
def key_list(request: HttpRequest) -> HttpResponse:
    tracks = selectors.track_list_current()
    if request.method == "POST":
        try:
            key = api_services.api_key_create(name=request.POST.get("name", ""),
                                              scopes=request.POST.getlist("scopes"),
                                              track_slugs=request.POST.getlist("tracks"), created_by=request.user)
        except AssessmentError as exc:
            messages.error(request, str(exc))
        else:
            response = render(request, "apikeys/created.html", {"key": key})
            response["Cache-Control"] = "no-store"  # the key is shown this once
            return response
    return render(request, "apikeys/list.html", {"keys": api_selectors.api_keys_list(), "scopes": SCOPES,
                                                 "tracks": tracks})


@require_POST
@login_required
@permission_required("api.change_apikey", raise_exception=True)
def key_revoke(request: HttpRequest, key_id: int) -> HttpResponse:
    key = api_services.api_key_revoke(key=api_selectors.api_key_get(key_id=key_id))
    messages.success(request, f"Revoked {key.name} ({key.prefix}…): it authenticates nothing from now on.")
    return redirect("api-keys")

"""Writing the trail. Every function here only appends."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.http import HttpRequest
from django.utils import timezone

from accounts.network import client_ip

from .models import AuditEvent


def audit_record(*, action: str, what: str, actor: AbstractBaseUser | AnonymousUser | None = None,
                 request: HttpRequest | None = None, candidate_id: int | None = None, candidate_code: str = "",
                 object_type: str = "", object_id: str | int = "", track_slug: str = "") -> AuditEvent:
    """Append one event. `what` names a page or record, never its content (no personal data)."""
    if actor is None and request is not None:
        actor = getattr(request, "user", None)
    if actor is not None and not actor.is_authenticated:
        actor = None
    return AuditEvent.objects.create(
        at=timezone.now(), actor=actor, actor_label=actor.get_username() if actor else "", action=action,
        what=what[:300], object_type=object_type, object_id=str(object_id), candidate_id=candidate_id,
        candidate_code=candidate_code, track_slug=track_slug, ip=client_ip(request),
        # The path without its query string: a search (?q=<a name>) must not put personal data in the trail.
        path=(request.path[:500] if request is not None else ""))

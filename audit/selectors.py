"""Reading the trail: explicit events and record changes (django-auditlog) as one list, newest first."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from auditlog.models import LogEntry
from django.apps import apps
from django.db.models import Min, Q

from .models import AuditEvent

_ACTIONS = {LogEntry.Action.CREATE: "create", LogEntry.Action.UPDATE: "update", LogEntry.Action.DELETE: "delete",
            LogEntry.Action.ACCESS: "access"}


@dataclass(frozen=True)
class TrailRow:
    at: datetime
    actor: str
    action: str
    what: str
    changes: str
    candidate_code: str
    ip: str


def audit_trail(*, candidate_code: str = "", actor: str = "", since: datetime | None = None,
                limit: int = 2000) -> list[TrailRow]:
    """Who read or changed what, optionally for one candidate (by code) or one actor (username)."""
    events = AuditEvent.objects.all()
    entries = LogEntry.objects.select_related("actor", "content_type")
    if candidate_code:
        # Their own records, plus the pages that listed every candidate of their track (a comparison, an export)
        # while they were on it.
        tracks = _candidate_tracks(candidate_code)
        own = Q(candidate_code=candidate_code)
        for slug, first_seen in tracks.items():
            own |= Q(candidate_code="", track_slug=slug, at__gte=first_seen)
        events = events.filter(own)
        entries = entries.filter(additional_data__candidate_code=candidate_code)
    if actor:
        events = events.filter(actor_label=actor)
        entries = entries.filter(actor__username=actor)
    if since:
        events, entries = events.filter(at__gte=since), entries.filter(timestamp__gte=since)
    rows = [TrailRow(at=e.at, actor=e.actor_label or "-", action=e.action, what=e.what, changes="",
                     candidate_code=e.candidate_code, ip=e.ip or "") for e in events[:limit]]
    for e in entries.order_by("-timestamp")[:limit]:
        changes = "; ".join(f"{k}: {v[0]} -> {v[1]}" if isinstance(v, list) and len(v) == 2 else f"{k}: {v}"
                            for k, v in (e.changes_dict or {}).items())
        rows.append(TrailRow(at=e.timestamp, actor=e.actor.get_username() if e.actor else "-",
                             action=_ACTIONS.get(e.action, str(e.action)),
                             what=f"{e.content_type.app_label}.{e.content_type.model} #{e.object_pk} "
                                  f"({e.object_repr})",
                             changes=changes[:1000], candidate_code=(e.additional_data or {}).get("candidate_code", ""),
                             ip=e.remote_addr or ""))
    rows.sort(key=lambda r: r.at, reverse=True)
    return rows[:limit]


def _candidate_tracks(candidate_code: str) -> dict[str, datetime]:
    """The tracks this candidate was invited to, each with when they were first invited to it."""
    Invitation = apps.get_model("assessments", "Invitation")
    rows = (Invitation.objects.filter(candidate__code=candidate_code).values("track__slug")
            .annotate(first=Min("created_at")))
    return {r["track__slug"]: r["first"] for r in rows}

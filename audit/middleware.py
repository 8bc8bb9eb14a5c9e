"""Record who read candidate data, and give django-auditlog the actor and the trusted client address."""

from __future__ import annotations

import logging

from auditlog.middleware import AuditlogMiddleware
from django.apps import apps
from django.http import HttpRequest, HttpResponse

from .services import audit_record, client_ip

log = logging.getLogger(__name__)

# Pages that show one candidate's data: url name -> (action, label). The attempt comes from `attempt_id`.
ATTEMPT_PAGES = {
    "report-attempt": ("read", "report"),
    "report-attempt-pdf": ("export", "report PDF"),
    "scoring-attempt": ("read", "scoring page"),
    "attempt-playback": ("read", "code playback"),
    "attempt-panel": ("read", "interview panel"),
}
# Pages that show many candidates of one track (`slug`): recorded once, with the track.
TRACK_PAGES = {
    "report-track": ("read", "track comparison"),
    "report-track-csv": ("export", "track comparison CSV"),
    "report-calibration": ("read", "calibration"),
    "report-items": ("read", "item analysis"),
    "report-similarity": ("read", "code similarity"),
    "report-similarity-pair": ("read", "code similarity, side by side"),
    "report-similarity-known": ("read", "code similarity against a known solution"),
}
OTHER_PAGES = {"invitation-list": ("read", "invitations list")}
# Pages about one candidate (`candidate_id`).
CANDIDATE_PAGES = {"privacy-candidate": ("read", "data rights page")}
ADMIN_APPS = {"assessments", "graders"}


class AuditMiddleware(AuditlogMiddleware):
    """django-auditlog's middleware (actor and address on every change), with our client address rule, plus a read
    event for every successful staff GET of a page that shows candidate data."""

    @staticmethod
    def _get_remote_addr(request):
        return client_ip(request)

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = super().__call__(request)
        user = getattr(request, "user", None)
        if (request.method == "GET" and response.status_code == 200 and user is not None
                and user.is_authenticated and request.resolver_match is not None):
            try:
                self._record_read(request)
            except Exception:  # noqa: BLE001 - the trail must not take a page down; the failure is logged
                log.exception("could not record a read in the audit trail: %s", request.path)
        return response

    def _record_read(self, request: HttpRequest) -> None:
        match = request.resolver_match
        name, kwargs = match.url_name, match.kwargs
        if name in ATTEMPT_PAGES:
            action, label = ATTEMPT_PAGES[name]
            self._attempt_event(request, action, label, kwargs["attempt_id"])
        elif name in TRACK_PAGES:
            action, label = TRACK_PAGES[name]
            audit_record(request=request, action=action, what=f"{label} of {kwargs['slug']}",
                         track_slug=kwargs["slug"])
        elif name in CANDIDATE_PAGES:
            action, label = CANDIDATE_PAGES[name]
            cand = apps.get_model("assessments", "Candidate").objects.filter(pk=kwargs["candidate_id"]).first()
            audit_record(request=request, action=action, what=f"{label} of candidate #{kwargs['candidate_id']}",
                         object_type="assessments.candidate", object_id=kwargs["candidate_id"],
                         candidate_id=cand.pk if cand else None, candidate_code=cand.code if cand else "")
        elif name in OTHER_PAGES:
            action, label = OTHER_PAGES[name]
            audit_record(request=request, action=action, what=label)
        elif match.namespace == "admin" and match.url_name:
            self._admin_event(request, match)

    @staticmethod
    def _attempt_event(request, action: str, label: str, attempt_id: int, prefix: str = "") -> None:
        Attempt = apps.get_model("assessments", "Attempt")
        attempt = Attempt.objects.select_related("invitation__candidate", "track").filter(pk=attempt_id).first()
        cand = attempt.invitation.candidate if attempt else None
        audit_record(request=request, action=action, what=f"{prefix}{label} of attempt #{attempt_id}",
                     object_type="assessments.attempt", object_id=attempt_id,
                     candidate_id=cand.pk if cand else None, candidate_code=cand.code if cand else "",
                     track_slug=attempt.track.slug if attempt else "")

    def _admin_event(self, request, match) -> None:
        # admin URL names: <app>_<model>_changelist | _change | _history ...
        parts = match.url_name.split("_")
        if len(parts) < 3 or parts[0] not in ADMIN_APPS:
            return
        app_label, view = parts[0], parts[-1]
        model_name = "_".join(parts[1:-1])
        if view == "changelist":
            audit_record(request=request, action="read", what=f"admin list {app_label}.{model_name}",
                         object_type=f"{app_label}.{model_name}")
            return
        object_id = match.kwargs.get("object_id")
        if not object_id:
            return
        model = apps.get_model(app_label, model_name)
        obj = model.objects.filter(pk=object_id).first()
        cand = _candidate_of(obj)
        audit_record(request=request, action="read", what=f"admin {view} {app_label}.{model_name} #{object_id}",
                     object_type=f"{app_label}.{model_name}", object_id=object_id,
                     candidate_id=cand.pk if cand else None, candidate_code=cand.code if cand else "")


def _candidate_of(obj):
    """The candidate a record belongs to, by the usual roads (itself, its candidate, its attempt)."""
    if obj is None:
        return None
    if obj._meta.label_lower == "assessments.candidate":
        return obj
    for road in ("candidate", "invitation", "attempt", "submission", "scorecard"):
        nxt = getattr(obj, road, None)
        if nxt is not None and nxt is not obj:
            return _candidate_of(nxt)
    return None

"""Admins: the audit trail, per candidate or per person, on screen or as CSV."""

from __future__ import annotations

import csv

from django.contrib.auth.decorators import login_required, permission_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from audit.selectors import audit_trail


@login_required
@permission_required("audit.view_auditevent", raise_exception=True)
def trail(request: HttpRequest) -> HttpResponse:
    candidate = request.GET.get("candidate", "").strip().upper()[:12]
    actor = request.GET.get("actor", "").strip()[:150]
    rows = audit_trail(candidate_code=candidate, actor=actor)
    if request.GET.get("format") == "csv":
        response = HttpResponse(content_type="text/csv")
        name = candidate or actor or "all"
        response["Content-Disposition"] = f'attachment; filename="audit-{name}.csv"'
        writer = csv.writer(response)
        writer.writerow(["at", "actor", "action", "what", "changes", "candidate_code", "ip"])
        for r in rows:
            writer.writerow([r.at.isoformat(), r.actor, r.action, r.what, r.changes, r.candidate_code, r.ip])
        return response
    return render(request, "audit/trail.html", {"rows": rows, "candidate": candidate, "actor": actor})

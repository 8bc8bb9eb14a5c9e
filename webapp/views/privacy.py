"""Admins: a candidate's data rights. A copy of their data (one ZIP) and its erasure on request, both recorded in
the audit trail (ops.privacy). The Admin role only: `assessments.delete_candidate`."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from assessments.errors import AssessmentError
from ops import privacy


@login_required
@permission_required("assessments.delete_candidate", raise_exception=True)
@require_GET
def candidate(request: HttpRequest, candidate_id: int) -> HttpResponse:
    page = privacy.candidate_privacy_get(candidate_id=candidate_id)
    return render(request, "privacy/candidate.html", {"page": page, "candidate": page.candidate})


@login_required
@permission_required("assessments.delete_candidate", raise_exception=True)
@require_POST
def candidate_export(request: HttpRequest, candidate_id: int) -> HttpResponse:
    person = privacy.candidate_for_privacy(candidate_id=candidate_id)
    data = privacy.candidate_export(candidate=person, actor=request.user, request=request)
    response = HttpResponse(data, content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="candidate-{person.code}.zip"'
    response["Cache-Control"] = "no-store"
    return response


@login_required
@permission_required("assessments.delete_candidate", raise_exception=True)
@require_POST
def candidate_erase(request: HttpRequest, candidate_id: int) -> HttpResponse:
    person = privacy.candidate_for_privacy(candidate_id=candidate_id)
    try:
        report = privacy.candidate_erase(candidate=person, actor=request.user, request=request,
                                         confirm_code=request.POST.get("confirm_code", ""))
    except AssessmentError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"The personal data of {report.code} was erased: {report.summary()}.")
    return redirect("privacy-candidate", candidate_id=person.pk)

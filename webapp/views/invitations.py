"""Staff: list invitations, invite a candidate (and email the link)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse

from assessments import selectors, services

from ..forms import InvitationForm


def _link(request: HttpRequest, invitation) -> str:
    return request.build_absolute_uri(reverse("exam-landing", kwargs={"token": invitation.token}))


@login_required
@permission_required("assessments.view_invitation", raise_exception=True)
def invitation_list(request: HttpRequest) -> HttpResponse:
    rows = [(inv, _link(request, inv)) for inv in selectors.invitation_list_recent(user=request.user)]
    return render(request, "invitations/list.html", {"rows": rows})


@login_required
@permission_required("assessments.add_invitation", raise_exception=True)
def invitation_new(request: HttpRequest) -> HttpResponse:
    form = InvitationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            invitation = services.invitation_issue(
                full_name=data["full_name"], email=data["email"], track=data["track"], created_by=request.user,
                expires_in_days=data["expires_in_days"], window_opens_at=data["window_opens_at"],
                window_closes_at=data["window_closes_at"], extra_time_minutes=data["extra_time_minutes"])
        except services.AssessmentError as exc:
            form.add_error(None, str(exc))
        else:
            link = _link(request, invitation)
            if data["send_email"]:
                services.invitation_email_send(invitation=invitation, link=link)
                messages.success(request, f"Invitation created and emailed to {invitation.candidate.email}.")
            else:
                messages.success(request, "Invitation created. Send the candidate the link below.")
            return render(request, "invitations/created.html", {"invitation": invitation, "link": link})
    return render(request, "invitations/new.html", {"form": form})

"""Staff: list the invitations of the tracks they manage, invite a candidate (and email the link), withdraw one
or give it a new link. A link is shown once, when issued: only its hash is kept."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from assessments import access, selectors, services

from ..forms import InvitationForm


def _link(request: HttpRequest, invitation) -> str:
    return request.build_absolute_uri(reverse("exam-landing", kwargs={"token": invitation.token}))


@login_required
@permission_required("assessments.view_invitation", raise_exception=True)
def invitation_list(request: HttpRequest) -> HttpResponse:
    return render(request, "invitations/list.html", {
        "invitations": selectors.invitation_list_recent(user=request.user),
        "can_invite": bool(access.invitation_track_slugs(user=request.user))})


@login_required
@permission_required("assessments.add_invitation", raise_exception=True)
def invitation_new(request: HttpRequest) -> HttpResponse:
    form = InvitationForm(request.POST or None, user=request.user)
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
            return _issued(request, invitation, send_email=data["send_email"])
    return render(request, "invitations/new.html", {"form": form})


def _issued(request: HttpRequest, invitation, *, send_email: bool) -> HttpResponse:
    link = _link(request, invitation)
    if send_email:
        services.invitation_email_send(invitation=invitation, link=link)
        messages.success(request, f"Link emailed to {invitation.candidate.email}.")
    else:
        messages.success(request, "Send the candidate the link below.")
    response = render(request, "invitations/created.html", {"invitation": invitation, "link": link})
    response["Cache-Control"] = "no-store"  # the link is the candidate's only key
    return response


@require_POST
@login_required
@permission_required("assessments.change_invitation", raise_exception=True)
def invitation_action(request: HttpRequest, invitation_id: int) -> HttpResponse:
    """Withdraw an invitation, or give it a new link (the old one stops working) while it is not started."""
    invitation = access.invitation_for_staff(user=request.user, invitation_id=invitation_id)
    action = request.POST.get("action")
    if action == "withdraw":
        services.invitations_withdraw(invitations=[invitation])
        messages.success(request, f"Withdrew the invitation of {invitation.candidate.full_name}: its link stops "
                                  "working; an attempt already started stays as it is.")
    elif action in ("renew", "renew-email"):
        try:
            invitation = services.invitation_link_renew(invitation=invitation)
        except services.AssessmentError as exc:
            messages.error(request, str(exc))
        else:
            return _issued(request, invitation, send_email=action == "renew-email")
    else:
        messages.error(request, "Unknown action.")
    return redirect("invitation-list")


@require_POST
@login_required
@permission_required("assessments.change_invitation", raise_exception=True)
def accommodation_decide(request: HttpRequest, accommodation_id: int) -> HttpResponse:
    """Approve a candidate's request with a preset (+25/50/100 % of the exam's time) or custom minutes, or decline
    it; the reply is shown to the candidate on their landing page."""
    accommodation = selectors.accommodation_for_staff(user=request.user, accommodation_id=accommodation_id)
    decision = request.POST.get("decision", "")
    percent = minutes = None
    if decision.startswith("percent-"):
        try:
            percent = int(decision.removeprefix("percent-"))
        except ValueError:
            percent = None
        if percent not in services.ACCOMMODATION_PRESETS:
            messages.error(request, "Unknown preset.")
            return redirect("invitation-list")
    elif decision == "minutes":
        try:
            minutes = int(request.POST.get("minutes", ""))
        except ValueError:
            messages.error(request, "Give the extra time in whole minutes.")
            return redirect("invitation-list")
    elif decision != "decline":
        messages.error(request, "Unknown decision.")
        return redirect("invitation-list")
    try:
        decided = services.accommodation_decide(accommodation=accommodation, decided_by=request.user,
                                                approve=decision != "decline", percent=percent, minutes=minutes,
                                                reply=request.POST.get("reply", ""))
    except services.AssessmentError as exc:
        messages.error(request, str(exc))
    else:
        who = accommodation.invitation.candidate.full_name
        messages.success(request, f"Granted {who} {decided.granted_minutes} extra minutes." if decided.granted_minutes
                         or decision != "decline" else f"Declined {who}'s request.")
    return redirect("invitation-list")

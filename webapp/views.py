"""HTML views for staff. Thin: permissions here, data from selectors."""

from __future__ import annotations

from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.mail import send_mail
from django.db import connection, transaction
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone

from assessments import selectors, services
from assessments.models import Question, Rubric, Track

from .forms import InvitationForm


@login_required
def home(request: HttpRequest) -> HttpResponse:
    roles = sorted(g.name for g in request.user.groups.all())
    return render(request, "home.html", {"tracks": selectors.track_list_current(), "roles": roles,
                                         "managed": selectors.managed_track_slugs(user=request.user)})


@login_required
@permission_required("assessments.view_track", raise_exception=True)
def track_detail(request: HttpRequest, slug: str, version: int | None = None) -> HttpResponse:
    try:
        track = selectors.track_get(slug=slug, version=version)
    except Track.DoesNotExist:
        raise Http404("No such track") from None
    return render(request, "tracks/detail.html", {"track": track})


@login_required
@permission_required("assessments.view_question", raise_exception=True)
def question_detail(request: HttpRequest, slug: str, version: int | None = None) -> HttpResponse:
    try:
        question = selectors.question_get(slug=slug, version=version)
    except Question.DoesNotExist:
        raise Http404("No such question") from None
    can_see_guidance = request.user.has_perm("assessments.view_guidance")
    context = {
        "question": question,
        "can_see_guidance": can_see_guidance,
        "versions": selectors.question_versions(slug=slug),
        "rubric": selectors.rubric_get_detail(rubric_id=question.rubric_id) if question.rubric_id else None,
    }
    if question.is_coding:
        files = question.files.files
        context["visible_tests"] = sorted(n for n in files if n.startswith("tests/visible/"))
        # Hidden test *names* help interviewers read results; their bodies stay out of every page.
        context["hidden_tests"] = sorted(n for n in files if n.startswith("tests/hidden/")) if can_see_guidance else []
    return render(request, "questions/detail.html", context)


@login_required
@permission_required("assessments.view_rubric", raise_exception=True)
def rubric_detail(request: HttpRequest, slug: str) -> HttpResponse:
    rubric = Rubric.objects.filter(slug=slug, is_current=True).first()
    if rubric is None:
        raise Http404("No such rubric")
    return render(request, "rubrics/detail.html", {"rubric": selectors.rubric_get_detail(rubric_id=rubric.pk)})


def healthz(request: HttpRequest) -> JsonResponse:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok", "database": connection.vendor})


@login_required
@permission_required("assessments.view_invitation", raise_exception=True)
def invitation_list(request: HttpRequest) -> HttpResponse:
    rows = [(inv, request.build_absolute_uri(reverse("exam-landing", kwargs={"token": inv.token})))
            for inv in selectors.invitation_list_recent()]
    return render(request, "invitations/list.html", {"rows": rows})


@login_required
@permission_required("assessments.add_invitation", raise_exception=True)
def invitation_new(request: HttpRequest) -> HttpResponse:
    form = InvitationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            with transaction.atomic():
                candidate = services.candidate_create(full_name=data["full_name"], email=data["email"],
                                                      created_by=request.user)
                invitation = services.invitation_create(
                    candidate=candidate, track=data["track"], created_by=request.user,
                    expires_at=timezone.now() + timedelta(days=data["expires_in_days"]),
                    window_opens_at=data["window_opens_at"], window_closes_at=data["window_closes_at"],
                    extra_time_minutes=data["extra_time_minutes"])
        except services.AssessmentError as exc:
            form.add_error(None, str(exc))
        else:
            link = request.build_absolute_uri(reverse("exam-landing", kwargs={"token": invitation.token}))
            if data["send_email"]:
                send_mail(
                    subject=f"Your invitation: {invitation.track.title}",
                    message=(f"Hello {candidate.full_name},\n\nYou are invited to take the exam "
                             f"\"{invitation.track.title}\". Open this link to read what it involves and start "
                             f"when you are ready (it is valid until {invitation.expires_at:%Y-%m-%d %H:%M %Z}):"
                             f"\n\n{link}\n"),
                    from_email=None, recipient_list=[candidate.email])
                messages.success(request, f"Invitation created and emailed to {candidate.email}.")
            else:
                messages.success(request, "Invitation created. Send the candidate the link below.")
            return render(request, "invitations/created.html", {"invitation": invitation, "link": link})
    return render(request, "invitations/new.html", {"form": form})

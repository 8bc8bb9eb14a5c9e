"""HTML views for staff. Thin: permissions here, data from selectors."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required, permission_required
from django.db import connection
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

from assessments import selectors
from assessments.models import Question, Rubric, Track


@login_required
def home(request: HttpRequest) -> HttpResponse:
    roles = sorted(g.name for g in request.user.groups.all())
    return render(request, "home.html", {"tracks": selectors.track_list_current(), "roles": roles})


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

"""Staff pages over the content: home, tracks, questions, rubrics. Thin: one selector each."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required, permission_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from assessments import selectors


@login_required
def home(request: HttpRequest) -> HttpResponse:
    page = selectors.home_get(user=request.user)
    return render(request, "home.html", {"tracks": page.tracks, "roles": page.roles, "managed": page.managed})


@login_required
@permission_required("assessments.view_track", raise_exception=True)
def track_detail(request: HttpRequest, slug: str, version: int | None = None) -> HttpResponse:
    return render(request, "tracks/detail.html", {"track": selectors.track_get(slug=slug, version=version)})


@login_required
@permission_required("assessments.view_question", raise_exception=True)
def question_detail(request: HttpRequest, slug: str, version: int | None = None) -> HttpResponse:
    page = selectors.question_page_get(slug=slug, version=version, user=request.user)
    return render(request, "questions/detail.html", {
        "question": page.question, "can_see_guidance": page.can_see_guidance, "versions": page.versions,
        "rubric": page.rubric, "visible_tests": page.visible_tests, "hidden_tests": page.hidden_tests})


@login_required
@permission_required("assessments.view_rubric", raise_exception=True)
def rubric_detail(request: HttpRequest, slug: str) -> HttpResponse:
    return render(request, "rubrics/detail.html", {"rubric": selectors.rubric_current_get(slug=slug)})

"""Hiring managers (of the track) and admins: the assignment panel, reports, comparison, calibration,
CSV and PDF exports. Anyone else gets 404 for another track's objects, so ids cannot be probed."""

from __future__ import annotations

import csv

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.views.decorators.http import require_http_methods

from assessments import report, reporting, roles, selectors, services
from assessments.models import Assignment, Attempt, Question, Section, Track

from . import charts


def _managed_attempt(request: HttpRequest, attempt_id: int) -> Attempt:
    attempt = Attempt.objects.select_related("track", "invitation__candidate").filter(pk=attempt_id).first()
    if attempt is None or not selectors.can_manage_attempt(user=request.user, attempt=attempt):
        raise Http404("No such attempt")
    return attempt


def _managed_track(request: HttpRequest, slug: str) -> Track:
    if slug not in selectors.managed_track_slugs(user=request.user):
        raise Http404("No such track")
    track = Track.objects.filter(slug=slug, is_current=True).first()
    if track is None:
        raise Http404("No such track")
    return track


@login_required
@require_http_methods(["GET", "POST"])
def panel(request: HttpRequest, attempt_id: int) -> HttpResponse:
    """Assign interviewers to the attempt, to a section or to a question (live rounds included)."""
    attempt = _managed_attempt(request, attempt_id)
    interviewers = (get_user_model().objects.filter(groups__name=roles.INTERVIEWER, is_active=True)
                    .order_by("username").distinct())
    sections = list(Section.objects.filter(track_id=attempt.track_id).order_by("order"))
    questions = list(Question.objects.filter(placements__section__track_id=attempt.track_id)
                     .order_by("placements__section__order", "placements__order"))
    if request.method == "POST":
        scope = request.POST.get("scope", "")
        try:
            interviewer = interviewers.get(pk=int(request.POST.get("interviewer", "0")))
            section = question = None
            if scope.startswith("section-"):
                section = next(s for s in sections if s.pk == int(scope.removeprefix("section-")))
            elif scope.startswith("question-"):
                question = next(q for q in questions if q.pk == int(scope.removeprefix("question-")))
            elif scope != "all":
                raise ValueError(scope)
            services.assignment_create(attempt=attempt, interviewer=interviewer, section=section, question=question,
                                       assigned_by=request.user)
        except (ValueError, StopIteration, get_user_model().DoesNotExist):
            messages.error(request, "Pick an interviewer and what they should score.")
        except services.AssessmentError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, f"{interviewer.get_full_name() or interviewer.username} is assigned.")
        return redirect("attempt-panel", attempt_id=attempt.pk)
    assignments = Assignment.objects.filter(attempt=attempt).select_related("interviewer", "section", "question")
    return render(request, "reports/panel.html", {
        "attempt": attempt, "label": selectors.candidate_label(attempt=attempt, user=request.user),
        "interviewers": interviewers, "sections": sections, "questions": questions, "assignments": assignments})


def _report_context(request: HttpRequest, attempt: Attempt) -> dict:
    data = report.attempt_report(attempt=attempt, user=request.user)
    s = data.summary
    peers = [r.combined for r in report.comparison(track_slug=attempt.track.slug, user=request.user,
                                                   bootstrap_n=0) if r.combined is not None]
    dim_rows = [(f"{d.question[:28]} · {d.dimension}", d.mean_normalised, None, None,
                 [reporting.normalise(v, d.lo, d.hi) for v in d.levels.values()])
                for d in data.dimensions]
    return {
        "attempt": attempt, "data": data, "s": s,
        "interval_svg": charts.interval_bar_svg(s.combined, *(s.interval or (None, None)), width=320),
        "distribution_svg": charts.distribution_svg(peers, s.combined,
                                                    label=f"Combined signal on {attempt.track.title}"),
        "dimension_svg": charts.dimension_chart_svg(dim_rows, lo=0.0, hi=1.0, label="Rubric dimensions (0 = lowest "
                                                    "level, 1 = highest)"),
        "weights": (attempt.track.automated_weight, attempt.track.human_weight),
    }


@login_required
def attempt_report(request: HttpRequest, attempt_id: int) -> HttpResponse:
    attempt = _managed_attempt(request, attempt_id)
    return render(request, "reports/attempt.html", _report_context(request, attempt))


@login_required
def attempt_report_pdf(request: HttpRequest, attempt_id: int) -> HttpResponse:
    attempt = _managed_attempt(request, attempt_id)
    try:
        from weasyprint import HTML
    except (ImportError, OSError) as exc:  # OSError: WeasyPrint installed but Pango missing
        return HttpResponse(f"PDF export needs WeasyPrint and its system libraries (Pango): {exc}",
                            status=503, content_type="text/plain")
    html = render_to_string("reports/attempt.html", {**_report_context(request, attempt), "printing": True},
                            request=request)
    pdf = HTML(string=html, base_url=request.build_absolute_uri("/")).write_pdf()
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="report-{attempt.invitation.candidate.code}.pdf"'
    return response


SORTS = {"combined", "automated", "human", "candidate", "submitted", "flags"}


@login_required
def track_compare(request: HttpRequest, slug: str) -> HttpResponse:
    track = _managed_track(request, slug)
    sort = request.GET.get("sort", "-combined")
    if sort.lstrip("-") not in SORTS:
        sort = "-combined"
    rows = report.comparison(track_slug=slug, user=request.user, sort=sort)
    values = [r.combined for r in rows if r.combined is not None]
    for r in rows:
        r.bar_svg = charts.interval_bar_svg(r.combined, *(r.interval or (None, None)), width=200)
    return render(request, "reports/track.html", {
        "track": track, "rows": rows, "sort": sort,
        "distribution_svg": charts.distribution_svg(values, None, label=f"Combined signal on {track.title}")})


@login_required
def track_compare_csv(request: HttpRequest, slug: str) -> HttpResponse:
    _managed_track(request, slug)
    rows = report.comparison(track_slug=slug, user=request.user, sort=request.GET.get("sort", "-combined"))
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{slug}-comparison.csv"'
    writer = csv.writer(response)
    writer.writerow(["attempt", "candidate", "submitted_at", "automated", "human", "combined", "interval_low",
                     "interval_high", "level_signal", "raters", "missing_scorecards", "flags"])

    def cell(value):
        text = "" if value is None else (f"{value:.4f}" if isinstance(value, float) else str(value))
        # A cell starting with = + - @ is a formula to a spreadsheet: neutralise it (CSV injection).
        return "'" + text if text[:1] in ("=", "+", "-", "@") else text

    for r in rows:
        lo, hi = r.interval or (None, None)
        writer.writerow([cell(v) for v in (r.attempt.pk, r.label, r.attempt.submitted_at.isoformat(), r.automated,
                                           r.human, r.combined, lo, hi, r.level, r.raters, r.missing,
                                           "; ".join(r.flags))])
    return response


@login_required
def calibration(request: HttpRequest, slug: str) -> HttpResponse:
    track = _managed_track(request, slug)
    return render(request, "reports/calibration.html", {"track": track, "c": report.calibration(track_slug=slug)})

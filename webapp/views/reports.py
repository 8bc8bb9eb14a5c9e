"""Hiring managers (of the track) and admins: the assignment panel, reports, comparison, calibration,
CSV and PDF exports. Anyone else gets 404 for another track's objects (assessments.access), so ids
cannot be probed."""

from __future__ import annotations

import csv
from typing import TYPE_CHECKING

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.views.decorators.http import require_http_methods

from assessments import access, reporting, selectors, services
from graders import selectors as run_selectors

from .. import charts
from ..pdf import html_to_pdf

if TYPE_CHECKING:
    from assessments.models import Attempt


@login_required
@require_http_methods(["GET", "POST"])
def panel(request: HttpRequest, attempt_id: int) -> HttpResponse:
    """Assign interviewers to the attempt, to a section or to a question (live rounds included)."""
    attempt = access.attempt_for_manager(user=request.user, attempt_id=attempt_id)
    page = selectors.panel_get(attempt=attempt, user=request.user)
    if request.method == "POST":
        scope = request.POST.get("scope", "")
        try:
            interviewer_id = int(request.POST.get("interviewer", "0"))
            interviewer = next(u for u in page.interviewers if u.pk == interviewer_id)
            section = question = None
            if scope.startswith("section-"):
                section = next(s for s in page.sections if s.pk == int(scope.removeprefix("section-")))
            elif scope.startswith("question-"):
                question = next(q for q in page.questions if q.pk == int(scope.removeprefix("question-")))
            elif scope != "all":
                raise ValueError(scope)
            services.assignment_create(attempt=attempt, interviewer=interviewer, section=section, question=question,
                                       assigned_by=request.user)
        except (ValueError, StopIteration):
            messages.error(request, "Pick an interviewer and what they should score.")
        except services.AssessmentError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, f"{interviewer.get_full_name() or interviewer.username} is assigned.")
        return redirect("attempt-panel", attempt_id=attempt.pk)
    return render(request, "reports/panel.html", {
        "attempt": attempt, "label": page.label, "interviewers": page.interviewers, "sections": page.sections,
        "questions": page.questions, "assignments": page.assignments})


def _report_context(request: HttpRequest, attempt: Attempt) -> dict:
    data = selectors.attempt_report_get(attempt=attempt, user=request.user)
    runs = run_selectors.attempt_hidden_runs(attempt=attempt)
    for q in data.questions:
        q["runs"] = runs.get(q["question"].pk, [])
    s = data.summary
    labelled = [(f"{data.titles.get(d.question, d.question)} · {data.titles.get(d.dimension, d.dimension)}", d)
                for d in data.dimensions]
    dim_rows = [(label if len(label) <= 60 else label[:59] + "…", d.mean_normalised, None, None,
                 [reporting.normalise(v, d.lo, d.hi) for v in d.levels.values()])
                for label, d in labelled]
    labs = [q for q in data.questions if q["question"].is_coding]
    return {
        "attempt": attempt, "data": data, "s": s, "dimension_rows": labelled,
        "labs": len(labs), "graded": sum(1 for q in labs if q["automated"]),
        "interval_svg": charts.interval_bar_svg(s.combined, *(s.interval or (None, None)), width=320),
        "distribution_svg": charts.distribution_svg(data.distribution, s.combined,
                                                    label=f"Combined signal on {attempt.track.title}"),
        "dimension_svg": charts.dimension_chart_svg(dim_rows, lo=0.0, hi=1.0, label="Rubric dimensions (0 = lowest "
                                                    "level, 1 = highest)"),
        "weights": (attempt.track.automated_weight, attempt.track.human_weight),
    }


@login_required
def attempt_report(request: HttpRequest, attempt_id: int) -> HttpResponse:
    attempt = access.attempt_for_manager(user=request.user, attempt_id=attempt_id)
    return render(request, "reports/attempt.html", _report_context(request, attempt))


@login_required
def attempt_report_pdf(request: HttpRequest, attempt_id: int) -> HttpResponse:
    attempt = access.attempt_for_manager(user=request.user, attempt_id=attempt_id)
    try:
        import weasyprint  # noqa: F401
    except (ImportError, OSError) as exc:  # OSError: WeasyPrint installed but Pango missing
        return HttpResponse(f"PDF export needs WeasyPrint and its system libraries (Pango): {exc}",
                            status=503, content_type="text/plain")
    # Rendered without the request (no context processors: no user menu, no CSRF token) on a print layout, and
    # its stylesheets read from disk (webapp/pdf.py): the PDF holds the report and nothing of the session.
    html = render_to_string("reports/attempt.html", {**_report_context(request, attempt), "printing": True,
                                                     "base_template": "reports/_print.html"})
    pdf = html_to_pdf(html, base_url=request.build_absolute_uri("/"))
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="report-{attempt.invitation.candidate.code}.pdf"'
    return response


SORTS = {"combined", "automated", "human", "candidate", "submitted", "flags"}
COMPARISON_PAGE_SIZE = 100


@login_required
def track_compare(request: HttpRequest, slug: str) -> HttpResponse:
    track = access.track_for_manager(user=request.user, slug=slug)
    sort = request.GET.get("sort", "-combined")
    if sort.lstrip("-") not in SORTS:
        sort = "-combined"
    rows = selectors.comparison(track_slug=slug, user=request.user, sort=sort)
    values = [r.combined for r in rows if r.combined is not None]
    # Ranked over every candidate, shown a page at a time: a hiring event's thousands of rows (and their interval
    # bars) cost more to render than to rank. The CSV and the API export hold every row.
    page = Paginator(rows, COMPARISON_PAGE_SIZE).get_page(request.GET.get("page"))
    for r in page.object_list:
        r.bar_svg = charts.interval_bar_svg(r.combined, *(r.interval or (None, None)), width=200)
    return render(request, "reports/track.html", {
        "track": track, "rows": page.object_list, "page": page, "sort": sort, "total": len(rows),
        "distribution_svg": charts.distribution_svg(values, None, label=f"Combined signal on {track.title}")})


@login_required
def track_compare_csv(request: HttpRequest, slug: str) -> HttpResponse:
    access.track_for_manager(user=request.user, slug=slug)
    rows = selectors.comparison(track_slug=slug, user=request.user, sort=request.GET.get("sort", "-combined"))
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{slug}-comparison.csv"'
    writer = csv.writer(response)
    writer.writerow(["attempt", "candidate", "submitted_at", "status", "automated", "human", "combined",
                     "interval_low", "interval_high", "level_signal", "raters", "missing_scorecards",
                     "recommendations", "incomplete_reasons", "flags"])

    def cell(value):
        text = "" if value is None else (f"{value:.4f}" if isinstance(value, float) else str(value))
        # A cell starting with = + - @ is a formula to a spreadsheet: neutralise it (CSV injection).
        return "'" + text if text[:1] in ("=", "+", "-", "@") else text

    for r in rows:
        lo, hi = r.interval or (None, None)
        recs = "; ".join(f"{who}: {rec}" if who != "—" else rec for who, rec in r.recommendations)
        writer.writerow([cell(v) for v in (r.attempt.pk, r.label, r.attempt.submitted_at.isoformat(),
                                           "complete" if r.complete else "incomplete", r.automated, r.human,
                                           r.combined, lo, hi, r.level, r.raters, r.missing, recs,
                                           "; ".join(r.incomplete), "; ".join(r.flags))])
    return response


@login_required
def calibration(request: HttpRequest, slug: str) -> HttpResponse:
    track = access.track_for_manager(user=request.user, slug=slug)
    return render(request, "reports/calibration.html", {"track": track, "c": selectors.calibration(track_slug=slug)})


@login_required
def similarity(request: HttpRequest, slug: str) -> HttpResponse:
    """Code similarity per coding lab of the track: pairs at or above the lab's threshold, as evidence."""
    track = access.track_for_manager(user=request.user, slug=slug)
    return render(request, "reports/similarity.html", {
        "track": track, "labs": selectors.track_similarity(track_slug=slug, user=request.user)})


@login_required
def similarity_pair(request: HttpRequest, slug: str, a: int, b: int) -> HttpResponse:
    track = access.track_for_manager(user=request.user, slug=slug)
    return render(request, "reports/similarity_pair.html", {
        "track": track, "p": selectors.pair_side_by_side(track_slug=slug, a_id=a, b_id=b, user=request.user)})


@login_required
def similarity_known(request: HttpRequest, slug: str, a: int, source: str) -> HttpResponse:
    """A submission next to the lab's reference or a known (leaked) solution an admin uploaded."""
    track = access.track_for_manager(user=request.user, slug=slug)
    return render(request, "reports/similarity_pair.html", {
        "track": track, "p": selectors.known_side_by_side(track_slug=slug, a_id=a, source=source, user=request.user)})

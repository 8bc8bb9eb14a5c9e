"""Interviewers: the queue, the scoring page with the rubric form, submit and amend.

An attempt is reachable here only through an assignment (assessments.access.attempt_for_scorer):
anyone else gets 404, so attempt ids cannot be probed. Blind scoring and anonymised review are
decided in assessments.access, the page's read-model in assessments.selectors.scoring.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from assessments import access, selectors, services
from assessments.selectors.scoring import SheetItem

if TYPE_CHECKING:
    from assessments.models import Attempt


@login_required
@permission_required("assessments.score_attempt", raise_exception=True)
def queue(request: HttpRequest) -> HttpResponse:
    return render(request, "scoring/queue.html", {"rows": selectors.interviewer_queue(user=request.user)})


def _posted_scores(request: HttpRequest, items: list[SheetItem]) -> tuple[list[services.ScoreInput], dict[int, str]]:
    scores, notes = [], {}
    for item in items:
        q = item.question
        if q.kind == "live" and f"notes-{q.pk}" in request.POST:
            notes[q.pk] = request.POST[f"notes-{q.pk}"]
        for row in item.dimensions:
            key = row.key(q)
            raw = request.POST.get(f"level-{key}", "")
            if raw == "":
                continue
            try:
                level = int(raw)
            except ValueError:
                level = -1  # reported as "not on this rubric" by the service
            scores.append(services.ScoreInput(question_id=q.pk, dimension_slug=row.dimension.slug, level=level,
                                              evidence=request.POST.get(f"evidence-{key}", "")))
    return scores, notes


def _page(request: HttpRequest, attempt: Attempt, assigned: set[int], *, errors: dict | None = None,
          status: int = 200) -> HttpResponse:
    sheet = selectors.scoring_sheet_get(attempt=attempt, assigned=assigned, user=request.user)
    recommendation = sheet.scorecard.recommendation if sheet.scorecard else ""
    summary = sheet.scorecard.summary if sheet.scorecard else ""
    if errors is not None:  # re-show what was posted, not what is stored
        posted: dict[str, dict] = {}
        for key in request.POST:
            if key.startswith(("level-", "evidence-")):
                kind, _, rest = key.partition("-")
                posted.setdefault(rest, {})[kind] = request.POST[key]
        for item in sheet.items:
            for row in item.dimensions:
                row.value = {**row.value, **posted.get(row.key(item.question), {})}
                row.error = errors.get(f"q{item.question.pk}-{row.dimension.slug}")
            item.notes = request.POST.get(f"notes-{item.question.pk}")
        recommendation, summary = request.POST.get("recommendation"), request.POST.get("summary")
    context = {
        "attempt": attempt, "label": sheet.label, "items": sheet.items, "scorecard": sheet.scorecard,
        "others": sheet.others, "errors": errors or {}, "locked": sheet.locked, "blind": sheet.blind,
        "recommendations": sheet.recommendations, "recommendation": recommendation, "summary": summary,
        "history": sheet.history, "integrity_total": sheet.integrity_total,
    }
    return render(request, "scoring/attempt.html", context, status=status)


@login_required
@permission_required("assessments.score_attempt", raise_exception=True)
def attempt_page(request: HttpRequest, attempt_id: int) -> HttpResponse:
    attempt, assigned = access.attempt_for_scorer(user=request.user, attempt_id=attempt_id)
    if attempt.status != "submitted":
        messages.info(request, "This attempt is still in progress; its answers appear once it is submitted.")
    return _page(request, attempt, assigned)


def _save(request: HttpRequest, attempt: Attempt, assigned: set[int]):
    form = selectors.scoring_form_get(attempt=attempt, assigned=assigned)  # what may be posted, not the page
    scores, notes = _posted_scores(request, form.items)
    scorecard = services.scorecard_open(attempt=attempt, interviewer=request.user)
    return services.scorecard_save(scorecard=scorecard, by=request.user, scores=scores, notes=notes,
                                   recommendation=request.POST.get("recommendation") or None,
                                   summary=request.POST.get("summary"))


@login_required
@permission_required("assessments.score_attempt", raise_exception=True)
@require_POST
def attempt_save(request: HttpRequest, attempt_id: int) -> HttpResponse:
    """Partial save: htmx gets a status fragment, a plain post the page again."""
    attempt, assigned = access.attempt_for_scorer(user=request.user, attempt_id=attempt_id)
    try:
        _save(request, attempt, assigned)
    except services.ScorecardInvalid as exc:
        if request.htmx:  # 200: htmx does not swap error statuses, and this fragment is the answer
            return render(request, "scoring/attempt.html#save-status", {"errors": exc.errors})
        return _page(request, attempt, assigned, errors=exc.errors, status=422)
    except services.ScoringError as exc:
        if request.htmx:
            return render(request, "scoring/attempt.html#save-status", {"errors": {"scorecard": str(exc)}})
        messages.error(request, str(exc))
        return redirect("scoring-attempt", attempt_id=attempt.pk)
    if request.htmx:
        return render(request, "scoring/attempt.html#save-status", {"saved_at": timezone.now()})
    messages.success(request, "Draft saved.")
    return redirect("scoring-attempt", attempt_id=attempt.pk)


@login_required
@permission_required("assessments.score_attempt", raise_exception=True)
@require_POST
def attempt_submit(request: HttpRequest, attempt_id: int) -> HttpResponse:
    attempt, assigned = access.attempt_for_scorer(user=request.user, attempt_id=attempt_id)
    try:
        scorecard = _save(request, attempt, assigned)
        services.scorecard_submit(scorecard=scorecard, by=request.user)
    except services.ScorecardInvalid as exc:
        return _page(request, attempt, assigned, errors=exc.errors, status=422)
    except services.ScoringError as exc:
        messages.error(request, str(exc))
        return redirect("scoring-attempt", attempt_id=attempt.pk)
    messages.success(request, "Scorecard submitted and locked. The other interviewers' scorecards are now visible.")
    return redirect(reverse("scoring-attempt", kwargs={"attempt_id": attempt.pk}) + "#others")


@login_required
@permission_required("assessments.score_attempt", raise_exception=True)
@require_POST
def attempt_amend(request: HttpRequest, attempt_id: int) -> HttpResponse:
    attempt, _ = access.attempt_for_scorer(user=request.user, attempt_id=attempt_id)
    own = selectors.own_scorecard(attempt=attempt, user=request.user)
    if own is None:
        raise Http404("No scorecard to amend")
    try:
        services.scorecard_amend(scorecard=own, by=request.user, reason=request.POST.get("reason", ""))
    except services.ScoringError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, "A new draft replaces your submitted scorecard; the submitted one stays on record.")
    return redirect("scoring-attempt", attempt_id=attempt.pk)

"""Interviewers: the queue, the scoring page with the rubric form, submit and amend.

An attempt is reachable here only through an assignment (assessments.access.attempt_for_scorer):
anyone else gets 404, so attempt ids cannot be probed. Blind scoring and anonymised review are
decided in assessments.access, the page's read-model in assessments.selectors.scoring.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from assessments import access, selectors, services
from assessments.selectors.scoring import SheetItem
from graders import selectors as run_selectors

if TYPE_CHECKING:
    from assessments.models import Attempt


@login_required
@permission_required("assessments.score_attempt", raise_exception=True)
def queue(request: HttpRequest) -> HttpResponse:
    return render(request, "scoring/queue.html", {"rows": selectors.interviewer_queue(user=request.user)})


@dataclass(frozen=True)
class PostedScores:
    scores: list[services.ScoreInput]
    notes: dict[int, str]
    not_answered: set[int]   # "Not answered" clicked: question ids


def _posted_scores(request: HttpRequest, items: list[SheetItem]) -> PostedScores:
    scores, notes, not_answered = [], {}, set()
    for item in items:
        q = item.question
        if q.kind == "live" and f"notes-{q.pk}" in request.POST:
            notes[q.pk] = request.POST[f"notes-{q.pk}"]
        if request.POST.get(f"not-answered-{q.pk}"):
            not_answered.add(q.pk)
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
    return PostedScores(scores, notes, not_answered)


@dataclass(frozen=True)
class ErrorLine:
    """One problem, pointing at where it is: `anchor` is the element's id, `where` says "Q3 · Dimension"."""

    key: str
    message: str
    anchor: str = ""
    where: str = ""
    question_id: int | None = None


_KEY = re.compile(r"^(?P<kind>q|not-answered-|notes-)(?P<qid>\d+)(?:-[\w-]+)?$")


def _error_lines(errors: dict[str, str], items: list[SheetItem] | None = None) -> list[ErrorLine]:
    """The service's errors (assessments.services.scoring.scorecard_save documents the keys), each linked to the
    dimension, question or field it is about, in the order of the sheet."""
    where: dict[str, tuple[str, str, int]] = {}   # key -> (anchor, label, question id)
    for item in items or []:
        q = item.question
        head = f"Q{item.number} {q.title}"
        where[f"not-answered-{q.pk}"] = (f"item-{q.pk}", head, q.pk)
        where[f"notes-{q.pk}"] = (f"notes-{q.pk}", f"{head} · notes", q.pk)
        for row in item.dimensions:
            where[f"q{q.pk}-{row.dimension.slug}"] = (f"f-q{q.pk}-{row.dimension.slug}",
                                                      f"{head} · {row.dimension.title}", q.pk)
    order = {key: i for i, key in enumerate(where)}
    lines = []
    for key, message in errors.items():
        anchor, label, qid = where.get(key, ("", "", None))
        if key == "recommendation":
            anchor, label = "f-recommendation", "Overall recommendation"
        elif not anchor and (m := _KEY.match(key)):  # the save-status fragment has no sheet: the ids still hold
            qid = int(m["qid"])
            anchor = {"q": f"f-{key}", "not-answered-": f"item-{qid}", "notes-": key}[m["kind"]]
        lines.append(ErrorLine(key=key, message=message, anchor=anchor, where=label, question_id=qid))
    return sorted(lines, key=lambda e: order.get(e.key, len(order)))


def _playback_url(attempt: Attempt, item: SheetItem) -> str | None:
    # The playback page may not be routed in every build: no link rather than a broken page.
    try:
        return reverse("attempt-playback", args=[attempt.pk, item.question.slug])
    except NoReverseMatch:
        return None


def _page(request: HttpRequest, attempt: Attempt, assigned: set[int], *, errors: dict | None = None,
          status: int = 200, error_title: str = "Nothing was saved") -> HttpResponse:
    sheet = selectors.scoring_sheet_get(attempt=attempt, assigned=assigned, user=request.user)
    runs = run_selectors.attempt_runs_by_question(attempt=attempt)
    for item in sheet.items:
        if item.question.is_coding:
            item.runs = runs.get(item.question.pk, [])
            item.playback_url = _playback_url(attempt, item)
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
            item.not_answered_error = errors.get(f"not-answered-{item.question.pk}")
            item.notes = request.POST.get(f"notes-{item.question.pk}")
        recommendation, summary = request.POST.get("recommendation"), request.POST.get("summary")
    context = {
        "attempt": attempt, "label": sheet.label, "items": sheet.items, "scorecard": sheet.scorecard,
        "others": sheet.others, "errors": errors or {}, "locked": sheet.locked, "blind": sheet.blind,
        "recommendations": sheet.recommendations, "recommendation": recommendation, "summary": summary,
        "history": sheet.history, "integrity_total": sheet.integrity_total,
        "error_lines": _error_lines(errors or {}, sheet.items), "error_title": error_title,
        "scored": sheet.scored, "total": sheet.total,
        "last_saved": sheet.scorecard.updated_at if sheet.scorecard and not sheet.locked and not errors else None,
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
    posted = _posted_scores(request, form.items)
    scorecard = services.scorecard_open(attempt=attempt, interviewer=request.user)
    return services.scorecard_save(scorecard=scorecard, by=request.user, scores=posted.scores, notes=posted.notes,
                                   not_answered=posted.not_answered,
                                   recommendation=request.POST.get("recommendation") or None,
                                   summary=request.POST.get("summary"))


def _status(request: HttpRequest, **context) -> HttpResponse:
    """The save-status fragment htmx swaps into the sticky bar (always 200: htmx does not swap error statuses)."""
    return render(request, "scoring/attempt.html#save-status",
                  {**context, "error_lines": _error_lines(context.get("errors") or {})})


@login_required
@permission_required("assessments.score_attempt", raise_exception=True)
@require_POST
def attempt_save(request: HttpRequest, attempt_id: int) -> HttpResponse:
    """Partial save: htmx gets a status fragment, a plain post the page again."""
    attempt, assigned = access.attempt_for_scorer(user=request.user, attempt_id=attempt_id)
    try:
        _save(request, attempt, assigned)
    except services.ScorecardInvalid as exc:
        if request.htmx:
            return _status(request, errors=exc.errors)
        return _page(request, attempt, assigned, errors=exc.errors, status=422)
    except services.ScoringError as exc:
        if request.htmx:
            return _status(request, errors={"scorecard": str(exc)})
        messages.error(request, str(exc))
        return redirect("scoring-attempt", attempt_id=attempt.pk)
    if request.htmx:
        return _status(request, saved_at=timezone.now())
    messages.success(request, "Draft saved.")
    url = reverse("scoring-attempt", kwargs={"attempt_id": attempt.pk})
    clicked = next((k.removeprefix("not-answered-") for k in request.POST if k.startswith("not-answered-")), None)
    return redirect(url + (f"#item-{clicked}" if clicked else ""))  # back to the question "Not answered" scored


@login_required
@permission_required("assessments.score_attempt", raise_exception=True)
@require_POST
def attempt_submit(request: HttpRequest, attempt_id: int) -> HttpResponse:
    attempt, assigned = access.attempt_for_scorer(user=request.user, attempt_id=attempt_id)
    try:
        scorecard = _save(request, attempt, assigned)
    except services.ScorecardInvalid as exc:
        return _page(request, attempt, assigned, errors=exc.errors, status=422)
    except services.ScoringError as exc:
        messages.error(request, str(exc))
        return redirect("scoring-attempt", attempt_id=attempt.pk)
    try:
        services.scorecard_submit(scorecard=scorecard, by=request.user)
    except services.ScorecardInvalid as exc:  # the draft is saved; only the lock was refused
        return _page(request, attempt, assigned, errors=exc.errors, status=422,
                     error_title="Saved as a draft, not submitted")
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

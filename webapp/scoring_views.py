"""Interviewers: the queue, the scoring page with the rubric form, submit and amend.

An attempt is reachable here only through an assignment: anyone else gets 404, so attempt ids
cannot be probed. Blind scoring and anonymised review are decided in the selectors.
"""

from __future__ import annotations

from collections import Counter

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from assessments import selectors, services
from assessments.models import (
    Attempt,
    AutomatedScore,
    IntegrityEvent,
    Question,
    Recommendation,
    RubricDimension,
    RubricLevel,
    SectionQuestion,
)

from .markdown import render_markdown


@login_required
@permission_required("assessments.score_attempt", raise_exception=True)
def queue(request: HttpRequest) -> HttpResponse:
    return render(request, "scoring/queue.html", {"rows": selectors.interviewer_queue(user=request.user)})


def _assigned_attempt(request: HttpRequest, attempt_id: int) -> tuple[Attempt, set[int]]:
    attempt = Attempt.objects.select_related("track", "invitation__candidate").filter(pk=attempt_id).first()
    if attempt is None:
        raise Http404("No such attempt")
    assigned = services.assigned_question_ids(attempt=attempt, interviewer=request.user)
    if not assigned:
        raise Http404("No such attempt")  # not "forbidden": do not confirm the id exists
    return attempt, assigned


def _scoring_items(attempt: Attempt, assigned: set[int], *, details: bool = True) -> list[dict]:
    """Per assigned question, in exam order and a fixed number of queries: its rubric rows and, with
    `details` (the page, not a save), the prompt, the answer, automated results and integrity signals."""
    placements = (SectionQuestion.objects.filter(section__track_id=attempt.track_id, question_id__in=assigned)
                  .select_related("section", "question__rubric").order_by("section__order", "order"))
    rubric_ids = {p.question.rubric_id for p in placements if p.question.rubric_id}
    levels: dict[int, list[RubricLevel]] = {}
    for level in RubricLevel.objects.filter(rubric_id__in=rubric_ids).order_by("score"):
        levels.setdefault(level.rubric_id, []).append(level)
    dimensions: dict[int, list] = {}
    for dim in (RubricDimension.objects.filter(rubric_id__in=rubric_ids).order_by("order")
                .prefetch_related("descriptors")):
        dimensions.setdefault(dim.rubric_id, []).append(dim)
    if details:
        submissions = {s.question_id: s for s in attempt.submissions.all()}
        autos = {a.submission.question_id: a for a in
                 AutomatedScore.objects.filter(submission__attempt=attempt).select_related("submission")}
        events = list(IntegrityEvent.objects.filter(attempt=attempt).order_by("created_at"))
        counts = Counter((e.question_id, e.kind) for e in events)
        pastes: dict[int | None, list[int]] = {}
        for e in events:
            if e.kind == "paste":
                pastes.setdefault(e.question_id, []).append(e.chars or 0)
    items = []
    for p in placements:
        q: Question = p.question
        rows = []
        for dim in dimensions.get(q.rubric_id, []):
            descriptors = {d.level_id: d.text for d in dim.descriptors.all()}
            rows.append({"dimension": dim, "levels": [(lv, descriptors.get(lv.pk, "")) for lv in
                                                      levels.get(q.rubric_id, [])]})
        item = {"section": p.section, "question": q, "dimensions": rows}
        if details:
            submission = submissions.get(q.pk)
            item.update({
                "submission": submission,
                "prompt_html": render_markdown(q.prompt_md, shift_headings=2),
                "answer_html": render_markdown(submission.body) if submission and submission.body.strip()
                and not q.is_coding else None,
                "automated": autos.get(q.pk),
                "focus_lost": counts.get((q.pk, "focus_lost"), 0), "pastes": pastes.get(q.pk, []),
            })
        items.append(item)
    return items


def _posted_scores(request: HttpRequest, items: list[dict]) -> tuple[list[services.ScoreInput], dict[int, str]]:
    scores, notes = [], {}
    for item in items:
        q = item["question"]
        if q.kind == "live" and f"notes-{q.pk}" in request.POST:
            notes[q.pk] = request.POST[f"notes-{q.pk}"]
        for row in item["dimensions"]:
            key = f"{q.pk}-{row['dimension'].slug}"
            raw = request.POST.get(f"level-{key}", "")
            if raw == "":
                continue
            try:
                level = int(raw)
            except ValueError:
                level = -1  # reported as "not on this rubric" by the service
            scores.append(services.ScoreInput(question_id=q.pk, dimension_slug=row["dimension"].slug, level=level,
                                              evidence=request.POST.get(f"evidence-{key}", "")))
    return scores, notes


def _page(request: HttpRequest, attempt: Attempt, assigned: set[int], *, errors: dict | None = None,
          status: int = 200) -> HttpResponse:
    items = _scoring_items(attempt, assigned)
    own = next((c for c in selectors.current_scorecards(attempt=attempt) if c.interviewer_id == request.user.pk), None)
    values = {}
    if own:
        for s in own.scores.all():
            values[f"{s.question_id}-{s.dimension.slug}"] = {"level": s.level.score, "evidence": s.evidence}
    if errors is not None:  # re-show what was posted, not what is stored
        for key in list(request.POST):
            if key.startswith("level-") or key.startswith("evidence-"):
                kind, _, rest = key.partition("-")
                values.setdefault(rest, {})[kind] = request.POST[key]
    for item in items:
        for row in item["dimensions"]:
            row["value"] = values.get(f"{item['question'].pk}-{row['dimension'].slug}", {})
            row["error"] = (errors or {}).get(f"q{item['question'].pk}-{row['dimension'].slug}")
        item["notes"] = (request.POST.get(f"notes-{item['question'].pk}") if errors is not None
                         else (own.notes.get(str(item["question"].pk), "") if own else ""))
    others = [c for c in selectors.scorecards_visible_to(attempt=attempt, user=request.user)
              if c.interviewer_id != request.user.pk]
    context = {
        "attempt": attempt, "label": selectors.candidate_label(attempt=attempt, user=request.user), "items": items,
        "scorecard": own, "others": others, "errors": errors or {},
        "locked": bool(own and own.status == "submitted"),
        "blind": own is None or own.status != "submitted",
        "recommendations": Recommendation.choices,
        "recommendation": request.POST.get("recommendation") if errors is not None else (own.recommendation if own
                                                                                        else ""),
        "summary": request.POST.get("summary") if errors is not None else (own.summary if own else ""),
        "history": selectors.scorecard_history(attempt=attempt, interviewer=request.user),
        "integrity_total": IntegrityEvent.objects.filter(attempt=attempt).count(),
    }
    return render(request, "scoring/attempt.html", context, status=status)


@login_required
@permission_required("assessments.score_attempt", raise_exception=True)
def attempt_page(request: HttpRequest, attempt_id: int) -> HttpResponse:
    attempt, assigned = _assigned_attempt(request, attempt_id)
    if attempt.status != "submitted":
        messages.info(request, "This attempt is still in progress; its answers appear once it is submitted.")
    return _page(request, attempt, assigned)


def _save(request: HttpRequest, attempt: Attempt, assigned: set[int]):
    items = _scoring_items(attempt, assigned, details=False)  # what the form posts, not what the page shows
    scores, notes = _posted_scores(request, items)
    scorecard = services.scorecard_open(attempt=attempt, interviewer=request.user)
    return services.scorecard_save(scorecard=scorecard, by=request.user, scores=scores, notes=notes,
                                   recommendation=request.POST.get("recommendation") or None,
                                   summary=request.POST.get("summary"))


@login_required
@permission_required("assessments.score_attempt", raise_exception=True)
@require_POST
def attempt_save(request: HttpRequest, attempt_id: int) -> HttpResponse:
    """Partial save: htmx gets a status fragment, a plain post the page again."""
    attempt, assigned = _assigned_attempt(request, attempt_id)
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
    attempt, assigned = _assigned_attempt(request, attempt_id)
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
    attempt, _ = _assigned_attempt(request, attempt_id)
    own = next((c for c in selectors.current_scorecards(attempt=attempt) if c.interviewer_id == request.user.pk), None)
    if own is None:
        raise Http404("No scorecard to amend")
    try:
        services.scorecard_amend(scorecard=own, by=request.user, reason=request.POST.get("reason", ""))
    except services.ScoringError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, "A new draft replaces your submitted scorecard; the submitted one stays on record.")
    return redirect("scoring-attempt", attempt_id=attempt.pk)

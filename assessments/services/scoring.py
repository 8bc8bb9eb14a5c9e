"""Human scoring: panels (who scores what) and scorecards (draft, submit and lock, amend)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from ..access import assigned_question_ids
from ..errors import ScorecardInvalid, ScoringError
from ..models import (
    Assignment,
    Attempt,
    AttemptStatus,
    DimensionScore,
    Question,
    QuestionKind,
    Recommendation,
    RubricDimension,
    RubricLevel,
    Scorecard,
    ScorecardStatus,
    Section,
    Submission,
    TrackManager,
)
from ..selectors.exam import attempt_question_ids
from .events import attempt_event, report_ready_check


def track_manager_add(*, track_slug: str, user: AbstractBaseUser) -> TrackManager:
    manager, _ = TrackManager.objects.get_or_create(track_slug=track_slug, user=user)
    return manager


def track_managers_set(*, user: AbstractBaseUser, track_slugs: set[str]) -> None:
    """Make the tracks this user manages exactly `track_slugs` (single sign-on's groups decide them)."""
    for manager in TrackManager.objects.filter(user=user).exclude(track_slug__in=track_slugs):
        manager.delete()  # one by one, so the audit trail records each
    for slug in track_slugs:
        track_manager_add(track_slug=slug, user=user)


def assignment_create(*, attempt: Attempt, interviewer: AbstractBaseUser, section: Section | None = None,
                      question: Question | None = None, assigned_by: AbstractBaseUser | None = None) -> Assignment:
    """Ask an interviewer to score an attempt (all of it, a section, or a question). Idempotent."""
    assignment_check(attempt=attempt, interviewer=interviewer, section=section, question=question)
    existing = Assignment.objects.filter(attempt=attempt, interviewer=interviewer, section=section,
                                         question=question).first()
    if existing:
        return existing
    return Assignment.objects.create(attempt=attempt, interviewer=interviewer, section=section, question=question,
                                     assigned_by=assigned_by)


def assignment_check(*, attempt: Attempt, interviewer: AbstractBaseUser, section: Section | None = None,
                     question: Question | None = None) -> None:
    """Why this assignment may not be made (ScoringError), for the service and the admin's form alike."""
    if section is not None and question is not None:
        raise ScoringError("Assign a section or a question, not both.")
    if not interviewer.is_active or not interviewer.has_perm("assessments.score_attempt"):
        raise ScoringError(f"{interviewer} is not an interviewer.")
    if section is not None and section.track_id != attempt.track_id:
        raise ScoringError("That section is not part of this attempt's track.")
    if question is not None and question.pk not in attempt_question_ids(attempt=attempt):
        raise ScoringError("That question is not part of this attempt's track.")


def _current_scorecard(attempt: Attempt, interviewer: AbstractBaseUser) -> Scorecard | None:
    return (Scorecard.objects.filter(attempt=attempt, interviewer=interviewer, superseded_by__isnull=True)
            .order_by("-created_at").first())


@transaction.atomic
def scorecard_open(*, attempt: Attempt, interviewer: AbstractBaseUser) -> Scorecard:
    """The interviewer's current scorecard for an attempt, created as a draft on first use."""
    # Locked: one draft per interviewer, even on a double click.
    attempt = Attempt.objects.select_for_update().get(pk=attempt.pk)
    if not assigned_question_ids(attempt=attempt, interviewer=interviewer):
        raise ScoringError("You are not assigned to score this attempt.")
    if attempt.status != AttemptStatus.SUBMITTED:
        raise ScoringError("This attempt is still in progress; score it once it has been submitted.")
    return _current_scorecard(attempt, interviewer) or Scorecard.objects.create(attempt=attempt,
                                                                               interviewer=interviewer)


@dataclass(frozen=True)
class ScoreInput:
    question_id: int
    dimension_slug: str
    level: int | None          # None clears the score
    evidence: str = ""


def _check_draft(scorecard: Scorecard, by: AbstractBaseUser) -> Scorecard:
    scorecard = Scorecard.objects.select_for_update().get(pk=scorecard.pk)
    if scorecard.interviewer_id != by.pk:
        raise ScoringError("This is another interviewer's scorecard.")
    if scorecard.status != ScorecardStatus.DRAFT:
        raise ScoringError("This scorecard has been submitted and is locked; amend it to change anything.")
    if hasattr(scorecard, "superseded_by"):
        raise ScoringError("This scorecard has been replaced by an amendment.")
    return scorecard


NOT_ANSWERED = "Not answered."


def _blank_question_ids(attempt: Attempt, question_ids: set[int]) -> set[int]:
    """Of these questions, those the candidate left blank: a frozen answer with no text, or none at all. Live
    rounds have no written answer by design, so they are never "blank"."""
    if not question_ids:
        return set()
    bodies = dict(Submission.objects.filter(attempt=attempt, question_id__in=question_ids)
                  .values_list("question_id", "body"))
    live = set(Question.objects.filter(pk__in=question_ids, kind=QuestionKind.LIVE).values_list("pk", flat=True))
    return {qid for qid in question_ids if qid not in live and not (bodies.get(qid) or "").strip()}


@transaction.atomic
def scorecard_save(*, scorecard: Scorecard, by: AbstractBaseUser, scores: list[ScoreInput],
                   notes: dict[int, str] | None = None, recommendation: str | None = None,
                   summary: str | None = None, not_answered: set[int] | None = None) -> Scorecard:
    """Save part or all of a draft. Every item is checked first: one bad item saves nothing.

    `not_answered`: questions the candidate left blank, scored in one go at the rubric's lowest level on every
    dimension with the evidence "Not answered." (what posted for them is ignored). Refused for a question
    with an answer. A lowest level without evidence on a blank question gets that evidence too: there is
    nothing else to quote.
    Error keys: `q<question id>-<dimension slug>` for a dimension, `not-answered-<question id>`, `notes-<id>`,
    `recommendation`; every dimension's message names the dimension.
    """
    scorecard = _check_draft(scorecard, by)
    assigned = assigned_question_ids(attempt=scorecard.attempt, interviewer=by)
    not_answered = set(not_answered or ())
    scores = [s for s in scores if s.question_id not in not_answered]
    wanted = {s.question_id for s in scores} | set(notes or {}) | not_answered
    questions = {q.pk: q for q in Question.objects.filter(pk__in=wanted)}
    rubric_ids = {q.rubric_id for q in questions.values() if q.rubric_id}
    dimensions = {(d.rubric_id, d.slug): d for d in RubricDimension.objects.filter(rubric_id__in=rubric_ids)}
    levels = {(lv.rubric_id, lv.score): lv for lv in RubricLevel.objects.filter(rubric_id__in=rubric_ids)}
    bounds = {rid: (min(s for r, s in levels if r == rid), max(s for r, s in levels if r == rid))
              for rid in rubric_ids if any(r == rid for r, _ in levels)}
    lowest = {s.question_id for s in scores if s.question_id in questions and s.level is not None
              and s.level == bounds.get(questions[s.question_id].rubric_id, (None,))[0]}
    blank = _blank_question_ids(scorecard.attempt, (lowest | not_answered) & assigned)
    errors: dict[str, str] = {}
    rows = []
    for qid in sorted(not_answered):
        question = questions.get(qid)
        key = f"not-answered-{qid}"
        if question is None or qid not in assigned:
            errors[key] = "You are not assigned to score this question."
        elif question.rubric_id not in bounds:
            errors[key] = f"{question.title}: this question has no rubric to score."
        elif question.kind == QuestionKind.LIVE:
            errors[key] = f"{question.title}: a live round is scored on the conversation, not on a written answer."
        elif qid not in blank:
            errors[key] = (f"{question.title}: the candidate answered this question; score each dimension "
                           "on what they wrote.")
        else:
            level = levels[(question.rubric_id, bounds[question.rubric_id][0])]
            rows += [(question, d, level, NOT_ANSWERED) for (rid, _), d in dimensions.items()
                     if rid == question.rubric_id]
    for item in scores:
        key = f"q{item.question_id}-{item.dimension_slug}"
        question = questions.get(item.question_id)
        if question is None or question.pk not in assigned:
            errors[key] = "You are not assigned to score this question."
            continue
        dimension = dimensions.get((question.rubric_id, item.dimension_slug))
        if dimension is None:
            errors[key] = f"'{item.dimension_slug}' is not a dimension of this question's rubric."
            continue
        if item.level is None:
            rows.append((question, dimension, None, ""))
            continue
        level = levels.get((question.rubric_id, item.level))
        if level is None:
            lo, hi = bounds.get(question.rubric_id, (None, None))
            errors[key] = f"{dimension.title}: level {item.level} is not on this rubric (levels {lo} to {hi})."
            continue
        evidence = item.evidence.strip()
        lo, hi = bounds[question.rubric_id]
        if item.level == lo and not evidence and question.pk in blank:
            evidence = NOT_ANSWERED
        if item.level in (lo, hi) and not evidence:
            which = "lowest" if item.level == lo else "highest"
            errors[key] = (f"{dimension.title}: '{level.label}' is the {which} level: write the evidence that "
                           "supports it.")
            continue
        rows.append((question, dimension, level, evidence))
    for qid in notes or {}:
        if qid not in assigned:
            errors[f"notes-{qid}"] = "You are not assigned to this question."
    if recommendation and recommendation not in Recommendation.values:
        errors["recommendation"] = "Pick one of the four recommendations."
    if errors:
        raise ScorecardInvalid(errors)
    for question, dimension, level, evidence in rows:
        if level is None:
            DimensionScore.objects.filter(scorecard=scorecard, question=question, dimension=dimension).delete()
        else:
            DimensionScore.objects.update_or_create(scorecard=scorecard, question=question, dimension=dimension,
                                                    defaults={"level": level, "evidence": evidence})
    fields = ["updated_at"]
    if notes:
        scorecard.notes = {**scorecard.notes, **{str(k): v for k, v in notes.items()}}
        fields.append("notes")
    if recommendation is not None:
        scorecard.recommendation = recommendation
        fields.append("recommendation")
    if summary is not None:
        scorecard.summary = summary
        fields.append("summary")
    scorecard.save(update_fields=fields)
    return scorecard


def scorecard_not_answered(*, scorecard: Scorecard, by: AbstractBaseUser, question_id: int) -> Scorecard:
    """One click for a blank answer: every dimension of the question at the lowest level, "Not answered."."""
    return scorecard_save(scorecard=scorecard, by=by, scores=[], not_answered={question_id})


@transaction.atomic
def scorecard_submit(*, scorecard: Scorecard, by: AbstractBaseUser, now: datetime | None = None) -> Scorecard:
    """Lock a complete draft. Incomplete ones are refused with what is missing."""
    scorecard = _check_draft(scorecard, by)
    assigned = assigned_question_ids(attempt=scorecard.attempt, interviewer=by)
    scored = set(scorecard.scores.values_list("question_id", "dimension_id"))
    errors: dict[str, str] = {}
    for question in Question.objects.filter(pk__in=assigned).select_related("rubric"):
        if not question.rubric_id:
            continue
        for dim in question.rubric.dimensions.all():
            if (question.pk, dim.pk) not in scored:
                errors[f"q{question.pk}-{dim.slug}"] = f"{question.title}: '{dim.title}' has no level yet."
    if not scorecard.recommendation:
        errors["recommendation"] = "Choose an overall recommendation."
    if errors:
        raise ScorecardInvalid(errors)
    scorecard.status = ScorecardStatus.SUBMITTED
    scorecard.submitted_at = now or timezone.now()
    scorecard.save(update_fields=["status", "submitted_at", "updated_at"])
    attempt_event(kind="scorecard.submitted", attempt=scorecard.attempt, scorecard_id=scorecard.pk,
                  recommendation=scorecard.recommendation)
    report_ready_check(attempt=scorecard.attempt)
    return scorecard


@transaction.atomic
def scorecard_amend(*, scorecard: Scorecard, by: AbstractBaseUser, reason: str) -> Scorecard:
    """Open a new draft that supersedes a submitted scorecard; the old one stays as it was."""
    scorecard = Scorecard.objects.select_for_update().get(pk=scorecard.pk)
    if scorecard.interviewer_id != by.pk:
        raise ScoringError("This is another interviewer's scorecard.")
    if scorecard.status != ScorecardStatus.SUBMITTED:
        raise ScoringError("Only a submitted scorecard can be amended; this one is still a draft.")
    if Scorecard.objects.filter(supersedes=scorecard).exists():
        raise ScoringError("This scorecard has already been amended.")
    if not reason.strip():
        raise ScorecardInvalid({"reason": "Say why you are amending a submitted scorecard."})
    new = Scorecard.objects.create(attempt=scorecard.attempt, interviewer=scorecard.interviewer,
                                   recommendation=scorecard.recommendation, summary=scorecard.summary,
                                   notes=scorecard.notes, supersedes=scorecard, amendment_reason=reason.strip())
    DimensionScore.objects.bulk_create(
        DimensionScore(scorecard=new, question_id=s.question_id, dimension_id=s.dimension_id, level_id=s.level_id,
                       evidence=s.evidence) for s in scorecard.scores.all())
    return new

"""Writes. Views, commands and tasks call these; nothing else writes assessment rows."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from .content import ContentBundle, QuestionSpec, RubricSpec, TrackSpec, load_content
from .models import (
    Assignment,
    Attempt,
    AttemptStatus,
    AutomatedScore,
    Candidate,
    Competency,
    DimensionScore,
    IntegrityEvent,
    IntegrityKind,
    Invitation,
    Question,
    QuestionFiles,
    QuestionKind,
    Recommendation,
    Response,
    ResponseSnapshot,
    Rubric,
    RubricDescriptor,
    RubricDimension,
    RubricLevel,
    Scorecard,
    ScorecardStatus,
    Section,
    SectionQuestion,
    Submission,
    SubmitReason,
    Track,
    TrackManager,
)
from .signals import attempt_submitted


class AssessmentError(Exception):
    """A refused action with a message fit to show the person who asked."""

    code = "refused"


class DeadlinePassed(AssessmentError):
    code = "deadline_passed"


class AttemptClosed(AssessmentError):
    code = "attempt_closed"


class StaleRevision(AssessmentError):
    code = "stale_revision"

    def __init__(self, message: str, *, current_revision: int, current_body: str):
        super().__init__(message)
        self.current_revision = current_revision
        self.current_body = current_body


class ConsentRequired(AssessmentError):
    code = "consent_required"


class InvitationUnusable(AssessmentError):
    code = "invitation_unusable"


# --- content ---------------------------------------------------------------------------------


@dataclass
class SyncReport:
    created: dict[str, int] = field(default_factory=lambda: {"rubric": 0, "question": 0, "track": 0})
    unchanged: dict[str, int] = field(default_factory=lambda: {"rubric": 0, "question": 0, "track": 0})
    retired: dict[str, int] = field(default_factory=lambda: {"rubric": 0, "question": 0, "track": 0})

    def line(self) -> str:
        return "; ".join(
            f"{kind}s: {self.created[kind]} new version(s), {self.unchanged[kind]} unchanged, "
            f"{self.retired[kind]} retired"
            for kind in ("rubric", "question", "track")
        )


def _next_version(model: type[Rubric | Question | Track], slug: str) -> int:
    return (model.objects.filter(slug=slug).aggregate(v=Max("version"))["v"] or 0) + 1


def _current_or_none(model, slug: str, content_hash: str):
    """The current row if its hash matches, else None after retiring the stale current row."""
    current = model.objects.select_for_update().filter(slug=slug, is_current=True).first()
    if current and current.content_hash == content_hash:
        return current
    if current:
        current.is_current = False
        current.save(update_fields=["is_current"])
    return None


def _rubric_sync(spec: RubricSpec, report: SyncReport) -> Rubric:
    rubric = _current_or_none(Rubric, spec.slug, spec.content_hash)
    if rubric:
        report.unchanged["rubric"] += 1
        return rubric
    rubric = Rubric.objects.create(
        slug=spec.slug, version=_next_version(Rubric, spec.slug), content_hash=spec.content_hash,
        source_path=spec.source_path, title=spec.title, description=spec.description, applies_to=spec.applies_to,
    )
    levels = {lv.score: RubricLevel.objects.create(rubric=rubric, score=lv.score, label=lv.label, bar=lv.bar)
              for lv in spec.scale}
    for order, dim in enumerate(spec.dimensions):
        dimension = RubricDimension.objects.create(rubric=rubric, slug=dim.slug, title=dim.title,
                                                   description=dim.description, weight=dim.weight, order=order)
        RubricDescriptor.objects.bulk_create(
            RubricDescriptor(dimension=dimension, level=levels[score], text=text)
            for score, text in sorted(dim.descriptors.items())
        )
    report.created["rubric"] += 1
    return rubric


def _question_sync(spec: QuestionSpec, rubrics: dict[str, Rubric], competencies: dict[str, Competency],
                   report: SyncReport) -> Question:
    question = _current_or_none(Question, spec.slug, spec.content_hash)
    if question:
        report.unchanged["question"] += 1
        return question
    question = Question.objects.create(
        slug=spec.slug, version=_next_version(Question, spec.slug), content_hash=spec.content_hash,
        source_path=spec.source_path, kind=spec.kind, title=spec.title, summary=spec.summary,
        prompt_md=spec.prompt_md, guidance=spec.guidance, rubric=rubrics.get(spec.rubric) if spec.rubric else None,
        time_estimate_minutes=spec.time_estimate_minutes, coding=spec.coding, starter_files=spec.starter_files,
    )
    question.competencies.set([competencies[c] for c in spec.competencies])
    QuestionFiles.objects.create(question=question, files=spec.files)
    report.created["question"] += 1
    return question


def _track_sync(spec: TrackSpec, questions: dict[str, Question], report: SyncReport) -> Track:
    track = _current_or_none(Track, spec.slug, spec.content_hash)
    if track:
        report.unchanged["track"] += 1
        return track
    track = Track.objects.create(
        slug=spec.slug, version=_next_version(Track, spec.slug), content_hash=spec.content_hash,
        source_path=spec.source_path, title=spec.title, summary=spec.summary, description_md=spec.description_md,
        automated_weight=spec.automated_weight, human_weight=spec.human_weight,
        anonymised_review=spec.anonymised_review,
    )
    for order, sec in enumerate(spec.sections):
        section = Section.objects.create(track=track, slug=sec.slug, title=sec.title, order=order,
                                         time_limit_minutes=sec.time_limit_minutes, intro_md=sec.intro_md)
        SectionQuestion.objects.bulk_create(
            SectionQuestion(section=section, question=questions[slug], order=i, weight=weight)
            for i, (slug, weight) in enumerate(sec.questions)
        )
    report.created["track"] += 1
    return track


@transaction.atomic
def content_sync_bundle(*, bundle: ContentBundle) -> SyncReport:
    """Load a validated bundle. Unchanged content is a no-op; changed content gets a new version."""
    report = SyncReport()
    competencies = {}
    for spec in bundle.competencies:
        competencies[spec.slug], _ = Competency.objects.update_or_create(
            slug=spec.slug, defaults={"name": spec.name, "description": spec.description, "order": spec.order}
        )
    rubrics = {slug: _rubric_sync(spec, report) for slug, spec in bundle.rubrics.items()}
    questions = {slug: _question_sync(spec, rubrics, competencies, report) for slug, spec in bundle.questions.items()}
    for spec in bundle.tracks.values():
        _track_sync(spec, questions, report)
    # Content removed from disk stops being current; its rows stay for the attempts that use them.
    for model, kind, present in ((Rubric, "rubric", rubrics), (Question, "question", questions),
                                 (Track, "track", bundle.tracks)):
        report.retired[kind] = model.objects.filter(is_current=True).exclude(slug__in=list(present)).update(
            is_current=False
        )
    return report


def content_sync(
    *, exercises_dir: Path | None = None, rubrics_dir: Path | None = None
) -> tuple[ContentBundle, SyncReport]:
    """Validate the content folders, then load them in one transaction (ContentError changes nothing)."""
    bundle = load_content(exercises_dir or settings.CONTENT_EXERCISES_DIR, rubrics_dir or settings.CONTENT_RUBRICS_DIR)
    return bundle, content_sync_bundle(bundle=bundle)


# --- candidates and invitations --------------------------------------------------------------

_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O/1/I: codes are read aloud


def candidate_create(*, full_name: str, email: str, created_by: AbstractBaseUser | None = None,
                     notes: str = "") -> Candidate:
    for _ in range(10):
        code = "C-" + "".join(secrets.choice(_CODE_ALPHABET) for _ in range(6))
        if not Candidate.objects.filter(code=code).exists():
            break
    candidate = Candidate(full_name=full_name.strip(), email=email.strip().lower(), code=code, notes=notes,
                          created_by=created_by)
    candidate.full_clean()
    candidate.save()
    return candidate


def invitation_create(*, candidate: Candidate, track: Track, created_by: AbstractBaseUser | None = None,
                      expires_at: datetime | None = None, window_opens_at: datetime | None = None,
                      window_closes_at: datetime | None = None, extra_time_minutes: int = 0) -> Invitation:
    if not track.is_current:
        raise AssessmentError(
            f"Track '{track.slug}' v{track.version} has been replaced; invite to the current version."
        )
    invitation = Invitation(
        candidate=candidate, track=track, created_by=created_by, nonce=secrets.token_urlsafe(24),
        expires_at=expires_at or timezone.now() + timedelta(days=settings.INVITATION_DEFAULT_DAYS),
        window_opens_at=window_opens_at, window_closes_at=window_closes_at, extra_time_minutes=extra_time_minutes,
    )
    invitation.full_clean()
    invitation.save()
    return invitation


# --- attempts --------------------------------------------------------------------------------


def invitation_state(*, invitation: Invitation, now: datetime | None = None) -> str | None:
    """Why a new attempt cannot start from this invitation right now, or None when it can."""
    now = now or timezone.now()
    if invitation.revoked_at:
        return "This invitation has been withdrawn."
    if now >= invitation.expires_at:
        return "This invitation has expired."
    if invitation.window_opens_at and now < invitation.window_opens_at:
        return "This exam cannot be started yet."
    if invitation.window_closes_at and now > invitation.window_closes_at:
        return "The window for starting this exam has closed."
    return None


@transaction.atomic
def attempt_start(*, invitation: Invitation, consent: bool = True, now: datetime | None = None) -> Attempt:
    """Start (or resume) the invitation's attempt. The server alone sets the deadline."""
    now = now or timezone.now()
    invitation = Invitation.objects.select_for_update().select_related("track").get(pk=invitation.pk)
    existing = Attempt.objects.filter(invitation=invitation).first()
    if existing:
        return existing
    if not consent:
        raise ConsentRequired("Please read the notice and tick the box to agree before you start.")
    refusal = invitation_state(invitation=invitation, now=now)
    if refusal:
        raise InvitationUnusable(refusal)
    minutes = invitation.track.timed_minutes() + invitation.extra_time_minutes
    return Attempt.objects.create(invitation=invitation, track=invitation.track, started_at=now,
                                  deadline_at=now + timedelta(minutes=minutes), consented_at=now)


def _save_grace() -> timedelta:
    return timedelta(seconds=settings.EXAM_SAVE_GRACE_SECONDS)


@transaction.atomic
def attempt_extend(*, attempt: Attempt, minutes: int) -> Attempt:
    """Give an in-progress attempt more time (an accommodation granted after the start)."""
    if minutes <= 0 or minutes > 24 * 60:
        raise AssessmentError("Extra time must be between 1 minute and 24 hours.")
    attempt = Attempt.objects.select_for_update().get(pk=attempt.pk)
    if attempt.status != AttemptStatus.IN_PROGRESS:
        raise AttemptClosed("This exam has already been submitted; its time can no longer change.")
    attempt.deadline_at += timedelta(minutes=minutes)
    attempt.extra_minutes += minutes
    attempt.save(update_fields=["deadline_at", "extra_minutes"])
    return attempt


def attempt_close_if_due(*, attempt: Attempt, now: datetime | None = None) -> Attempt:
    """The on-read half of the deadline: submit an attempt whose time (plus the save grace) is over."""
    now = now or timezone.now()
    if attempt.status == AttemptStatus.IN_PROGRESS and now >= attempt.deadline_at + _save_grace():
        attempt_submit(attempt=attempt, reason=SubmitReason.DEADLINE, now=now)
        attempt.refresh_from_db()
    return attempt


def attempts_close_due(*, now: datetime | None = None) -> int:
    """The periodic half: submit every attempt whose deadline passed, even with no browser open."""
    now = now or timezone.now()
    due = Attempt.objects.filter(status=AttemptStatus.IN_PROGRESS, deadline_at__lte=now - _save_grace())
    closed = 0
    for attempt in due.only("pk"):
        if attempt_submit(attempt=attempt, reason=SubmitReason.DEADLINE, now=now, only_if_in_progress=True):
            closed += 1
    return closed


def _attempt_question_ids(attempt: Attempt) -> set[int]:
    return set(SectionQuestion.objects.filter(section__track_id=attempt.track_id).values_list("question_id", flat=True))


@transaction.atomic
def response_save(*, attempt: Attempt, question: Question, body: str, base_revision: int,
                  now: datetime | None = None) -> Response:
    """Save an answer if it is based on the latest revision; refuse late or stale writes with a reason."""
    now = now or timezone.now()
    attempt = Attempt.objects.select_for_update().get(pk=attempt.pk)
    if attempt.status != AttemptStatus.IN_PROGRESS:
        raise AttemptClosed("This exam has already been submitted; answers can no longer change.")
    if now >= attempt.deadline_at + _save_grace():
        raise DeadlinePassed("Time is up: the deadline passed, so this change was not saved.")
    if question.pk not in _attempt_question_ids(attempt):
        raise AssessmentError("This question is not part of this exam.")
    response, _ = Response.objects.select_for_update().get_or_create(attempt=attempt, question=question)
    if base_revision != response.revision:
        raise StaleRevision(
            f"This answer was changed elsewhere (revision {response.revision}, yours was based on {base_revision}).",
            current_revision=response.revision, current_body=response.body,
        )
    response.body = body
    response.revision += 1
    response.save(update_fields=["body", "revision", "updated_at"])
    if question.kind == QuestionKind.CODING:
        ResponseSnapshot.objects.create(attempt=attempt, question=question, revision=response.revision, body=body,
                                        created_at=now)
    return response


def integrity_event_record(*, attempt: Attempt, kind: str, question: Question | None = None,
                           chars: int | None = None, client_at: datetime | None = None,
                           now: datetime | None = None) -> IntegrityEvent | None:
    """Record a focus or paste signal. Capped per attempt so a script cannot flood the table."""
    if kind not in IntegrityKind.values:
        raise AssessmentError(f"unknown integrity signal {kind!r}")
    if attempt.status != AttemptStatus.IN_PROGRESS:
        return None
    if IntegrityEvent.objects.filter(attempt=attempt).count() >= settings.EXAM_MAX_INTEGRITY_EVENTS:
        return None
    if question is not None and question.pk not in _attempt_question_ids(attempt):
        question = None
    return IntegrityEvent.objects.create(
        attempt=attempt, question=question, kind=kind, created_at=now or timezone.now(), client_at=client_at,
        chars=max(0, min(int(chars), 10_000_000)) if kind == IntegrityKind.PASTE and chars is not None else None,
    )


@transaction.atomic
def attempt_submit(*, attempt: Attempt, reason: str = SubmitReason.CANDIDATE,
                   now: datetime | None = None, only_if_in_progress: bool = False) -> list[Submission]:
    """Freeze every answer into an immutable Submission. Safe to call twice: the second is a no-op.

    With only_if_in_progress, an already submitted attempt returns [] (so a sweep can count).
    """
    now = now or timezone.now()
    attempt = Attempt.objects.select_for_update().get(pk=attempt.pk)
    if attempt.status == AttemptStatus.SUBMITTED:
        return [] if only_if_in_progress else list(attempt.submissions.all())
    responses = {r.question_id: r for r in attempt.responses.all()}
    submissions = []
    for item in SectionQuestion.objects.filter(section__track_id=attempt.track_id).select_related("question"):
        response = responses.get(item.question_id)
        body = response.body if response else ""
        submissions.append(Submission.objects.create(
            attempt=attempt, question=item.question, body=body, revision=response.revision if response else 0,
            content_hash=Submission.hash_body(body),
        ))
    attempt.status = AttemptStatus.SUBMITTED
    attempt.submitted_at = min(now, attempt.deadline_at) if reason == SubmitReason.DEADLINE else now
    attempt.submit_reason = reason
    attempt.save(update_fields=["status", "submitted_at", "submit_reason"])
    attempt_submitted.send(sender=Attempt, attempt=attempt, submissions=submissions)
    return submissions


def submission_automated_score_record(*, submission: Submission, verdict: str, score: float, details: dict,
                                      source: str, graded_at: datetime | None = None) -> AutomatedScore:
    """Store (or replace) a submission's automated grade; called by the grading machinery."""
    if not 0.0 <= score <= 1.0:
        raise AssessmentError(f"automated score must be within [0, 1] (got {score})")
    record, _ = AutomatedScore.objects.update_or_create(
        submission=submission,
        defaults={"verdict": verdict, "score": score, "details": details, "source": source,
                  "graded_at": graded_at or timezone.now()},
    )
    return record


# --- scoring -------------------------------------------------------------------------------------


class ScoringError(AssessmentError):
    code = "scoring_refused"


class ScorecardInvalid(ScoringError):
    """Field errors for a scorecard form: {field name: message}. Nothing was saved."""

    code = "scorecard_invalid"

    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


def track_manager_add(*, track_slug: str, user: AbstractBaseUser) -> TrackManager:
    manager, _ = TrackManager.objects.get_or_create(track_slug=track_slug, user=user)
    return manager


def assignment_create(*, attempt: Attempt, interviewer: AbstractBaseUser, section: Section | None = None,
                      question: Question | None = None, assigned_by: AbstractBaseUser | None = None) -> Assignment:
    """Ask an interviewer to score an attempt (all of it, a section, or a question). Idempotent."""
    if section is not None and question is not None:
        raise ScoringError("Assign a section or a question, not both.")
    if not interviewer.is_active or not interviewer.has_perm("assessments.score_attempt"):
        raise ScoringError(f"{interviewer} is not an interviewer.")
    if section is not None and section.track_id != attempt.track_id:
        raise ScoringError("That section is not part of this attempt's track.")
    if question is not None and question.pk not in _attempt_question_ids(attempt):
        raise ScoringError("That question is not part of this attempt's track.")
    existing = Assignment.objects.filter(attempt=attempt, interviewer=interviewer, section=section,
                                         question=question).first()
    if existing:
        return existing
    return Assignment.objects.create(attempt=attempt, interviewer=interviewer, section=section, question=question,
                                     assigned_by=assigned_by)


def assigned_question_ids(*, attempt: Attempt, interviewer: AbstractBaseUser) -> set[int]:
    ids: set[int] = set()
    for a in Assignment.objects.filter(attempt=attempt, interviewer=interviewer):
        if a.question_id:
            ids.add(a.question_id)
        elif a.section_id:
            ids |= set(SectionQuestion.objects.filter(section_id=a.section_id).values_list("question_id", flat=True))
        else:
            ids |= _attempt_question_ids(attempt)
    return ids


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


@transaction.atomic
def scorecard_save(*, scorecard: Scorecard, by: AbstractBaseUser, scores: list[ScoreInput],
                   notes: dict[int, str] | None = None, recommendation: str | None = None,
                   summary: str | None = None) -> Scorecard:
    """Save part or all of a draft. Every item is checked first: one bad item saves nothing."""
    scorecard = _check_draft(scorecard, by)
    assigned = assigned_question_ids(attempt=scorecard.attempt, interviewer=by)
    questions = {q.pk: q for q in Question.objects.filter(pk__in={s.question_id for s in scores} | set(notes or {}))}
    rubric_ids = {q.rubric_id for q in questions.values() if q.rubric_id}
    dimensions = {(d.rubric_id, d.slug): d for d in RubricDimension.objects.filter(rubric_id__in=rubric_ids)}
    levels = {(lv.rubric_id, lv.score): lv for lv in RubricLevel.objects.filter(rubric_id__in=rubric_ids)}
    bounds = {rid: (min(s for r, s in levels if r == rid), max(s for r, s in levels if r == rid))
              for rid in rubric_ids if any(r == rid for r, _ in levels)}
    errors: dict[str, str] = {}
    rows = []
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
            errors[key] = f"Level {item.level} is not on this rubric (levels {lo} to {hi})."
            continue
        evidence = item.evidence.strip()
        lo, hi = bounds[question.rubric_id]
        if item.level in (lo, hi) and not evidence:
            which = "lowest" if item.level == lo else "highest"
            errors[key] = f"'{level.label}' is the {which} level: write the evidence that supports it."
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

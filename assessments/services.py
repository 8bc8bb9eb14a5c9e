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
    Attempt,
    AttemptStatus,
    AutomatedScore,
    Candidate,
    Competency,
    IntegrityEvent,
    IntegrityKind,
    Invitation,
    Question,
    QuestionFiles,
    QuestionKind,
    Response,
    ResponseSnapshot,
    Rubric,
    RubricDescriptor,
    RubricDimension,
    RubricLevel,
    Section,
    SectionQuestion,
    Submission,
    SubmitReason,
    Track,
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

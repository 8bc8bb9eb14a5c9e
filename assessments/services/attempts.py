"""The candidate's attempt: start, time, answers, submit. The server alone keeps the clock."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Sum
from django.db.models.functions import Length
from django.utils import timezone

from ..access import invitation_refusal
from ..consent import CONSENT_VERSION
from ..errors import AssessmentError, AttemptClosed, ConsentRequired, DeadlinePassed, InvitationUnusable, StaleRevision
from ..models import (
    Attempt,
    AttemptStatus,
    Invitation,
    Question,
    QuestionKind,
    Response,
    ResponseSnapshot,
    SectionQuestion,
    Submission,
    SubmitReason,
)
from ..selectors.exam import attempt_question_ids, exam_layout
from ..signals import attempt_submitted
from .events import attempt_event, report_ready_check


@transaction.atomic
def attempt_start(*, invitation: Invitation, consent: bool = True, consent_version: str | None = None,
                  now: datetime | None = None) -> Attempt:
    """Start (or resume) the invitation's attempt. The server alone sets the deadline.

    The attempt records the version of the notice agreed to (assessments.consent); `consent_version` is the one the
    page showed, and an agreement to a notice that has changed since is refused (the page then shows the new one).
    """
    now = now or timezone.now()
    # The candidate comes along for the audit entry's label (Attempt.__str__); only the invitation row is locked.
    invitation = (Invitation.objects.select_for_update(of=("self",)).select_related("track", "candidate")
                  .get(pk=invitation.pk))
    existing = Attempt.objects.filter(invitation=invitation).first()
    if existing:
        return existing
    if not consent:
        raise ConsentRequired("Please read the notice and tick the box to agree before you start.")
    if consent_version is not None and consent_version != CONSENT_VERSION:
        raise ConsentRequired("The notice has changed since this page was opened: please read it again and agree.")
    refusal = invitation_refusal(invitation=invitation, now=now)
    if refusal:
        raise InvitationUnusable(refusal)
    minutes = exam_layout(track=invitation.track).timed_minutes + invitation.extra_time_minutes
    attempt = Attempt.objects.create(invitation=invitation, track=invitation.track, started_at=now,
                                     deadline_at=now + timedelta(minutes=minutes), consented_at=now,
                                     consent_version=CONSENT_VERSION)
    attempt_event(kind="attempt.started", attempt=attempt)
    return attempt


def _save_grace() -> timedelta:
    return timedelta(seconds=settings.EXAM_SAVE_GRACE_SECONDS)


def attempt_open_check(*, attempt: Attempt, now: datetime | None = None) -> None:
    """The one deadline rule for work on an attempt (saves, test runs): refused once submitted, or once its
    deadline plus the save grace has passed (a request that left the browser in time may land a moment late)."""
    now = now or timezone.now()
    if attempt.status != AttemptStatus.IN_PROGRESS:
        raise AttemptClosed("This exam has already been submitted; answers can no longer change.")
    if now >= attempt.deadline_at + _save_grace():
        raise DeadlinePassed("Time is up: the deadline passed, so this change was not saved.")


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


@transaction.atomic
def response_save(*, attempt: Attempt, question: Question, body: str, base_revision: int,
                  now: datetime | None = None) -> Response:
    """Save an answer if it is based on the latest revision; refuse late or stale writes with a reason.

    The attempt's row lock orders every save against the submit (which freezes answers under the same lock), so a
    save either lands before the freeze or is refused after it: never acknowledged and then left out.
    """
    now = now or timezone.now()
    locked = Attempt.objects.select_for_update().get(pk=attempt.pk)
    attempt_open_check(attempt=locked, now=now)
    if question.pk not in attempt_question_ids(attempt=attempt):  # the caller's attempt: its track is loaded
        raise AssessmentError("This question is not part of this exam.")
    # The body is not read back: only the revision decides, and a 409 reads the current text then.
    response = (Response.objects.select_for_update().filter(attempt=locked, question=question)
                .only("pk", "revision").first())
    current_revision = response.revision if response else 0
    if base_revision != current_revision:
        current_body = Response.objects.filter(pk=response.pk).values_list("body", flat=True).get() if response else ""
        raise StaleRevision(
            f"This answer was changed elsewhere (revision {current_revision}, yours was based on {base_revision}).",
            current_revision=current_revision, current_body=current_body,
        )
    if response is None:  # the first save of this answer; the attempt's lock keeps a second one from racing it
        response = Response.objects.create(attempt=locked, question=question, body=body, revision=1)
    else:
        response.body, response.revision, response.updated_at = body, base_revision + 1, timezone.now()
        Response.objects.filter(pk=response.pk).update(body=body, revision=response.revision,
                                                       updated_at=response.updated_at)
    if question.kind == QuestionKind.CODING:
        _snapshot_record(attempt=locked, question=question, revision=response.revision, body=body, now=now)
    return response


def _snapshot_record(*, attempt: Attempt, question: Question, revision: int, body: str, now: datetime) -> None:
    """Keep how the code grew, at a bounded cost: nothing when the text did not change; within
    EXAM_SNAPSHOT_INTERVAL_S of the last snapshot, or once the attempt's snapshots hold
    EXAM_SNAPSHOT_MAX_BYTES, the last snapshot takes the new text instead of a new row (so the latest state is
    always there, and one client saving in a loop cannot grow the table without bound)."""
    last = (ResponseSnapshot.objects.filter(attempt=attempt, question=question).order_by("-revision")
            .only("pk", "body", "created_at").first())
    if last is not None and last.body == body:
        return
    if last is not None:
        recent = (now - last.created_at).total_seconds() < settings.EXAM_SNAPSHOT_INTERVAL_S
        fold = recent or (ResponseSnapshot.objects.filter(attempt=attempt)
                          .aggregate(n=Sum(Length("body")))["n"] or 0) + len(body) > settings.EXAM_SNAPSHOT_MAX_BYTES
        if fold:
            ResponseSnapshot.objects.filter(pk=last.pk).update(body=body, revision=revision)
            return
    ResponseSnapshot.objects.create(attempt=attempt, question=question, revision=revision, body=body, created_at=now)


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
    attempt_event(kind="attempt.submitted", attempt=attempt, reason=reason)
    report_ready_check(attempt=attempt)  # a track without labs or interviewers is final at once
    # After commit: a listener (hidden grading) can neither roll the candidate's submit back nor see
    # rows that are not there yet. robust: its failure is logged, the submit stands.
    transaction.on_commit(lambda: attempt_submitted.send(sender=Attempt, attempt=attempt, submissions=submissions),
                          robust=True)
    return submissions



"""The attempt lifecycle: invitation token, server deadline, revisioned saves, freezing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import signing
from django.utils import timezone

from assessments.models import INVITATION_SALT, AttemptStatus, Question, Submission
from assessments.selectors import InvalidInvitationToken, invitation_from_token
from assessments.services import (
    AttemptClosed,
    DeadlinePassed,
    InvitationUnusable,
    StaleRevision,
    attempt_start,
    attempt_submit,
    response_save,
)

pytestmark = pytest.mark.django_db


def test_token_round_trip_and_tampering(invitation):
    assert invitation_from_token(token=invitation.token) == invitation
    tampered = invitation.token[:-2] + ("A" if invitation.token[-2] != "A" else "B") + invitation.token[-1]
    for bad in (tampered, invitation.token[:-5], "", "not-a-token", "x" * 600):
        with pytest.raises(InvalidInvitationToken):
            invitation_from_token(token=bad)
    # A token signed the old way for the right id is refused: a link is its random token, nothing derivable.
    forged = signing.dumps({"i": invitation.pk, "n": "guessed"}, salt=INVITATION_SALT, compress=True)
    with pytest.raises(InvalidInvitationToken):
        invitation_from_token(token=forged)


def test_the_token_holds_no_id_and_only_its_hash_is_stored(invitation):
    from assessments.models import Invitation, token_hash

    token = invitation.token
    assert len(token) >= 43 and ":" not in token
    with pytest.raises(signing.BadSignature):  # not a signed payload: nothing in it to read
        signing.loads(token, salt=INVITATION_SALT)
    stored = Invitation.objects.get(pk=invitation.pk)
    assert stored.token is None and stored.token_hash == token_hash(token) and token not in str(stored.__dict__)


def test_a_new_link_replaces_the_old_one_until_the_exam_starts(invitation):
    from assessments.services import AssessmentError, invitation_link_renew

    old = invitation.token
    invitation_link_renew(invitation=invitation)
    assert invitation.token != old and invitation_from_token(token=invitation.token) == invitation
    with pytest.raises(InvalidInvitationToken):
        invitation_from_token(token=old)
    attempt_start(invitation=invitation, consent=True)
    with pytest.raises(AssessmentError, match="has started"):
        invitation_link_renew(invitation=invitation)


def test_candidate_email_is_normalised_and_code_is_anonymous(invitation):
    candidate = invitation.candidate
    assert candidate.email == "grace@example.com"
    assert candidate.code.startswith("C-") and "Grace" not in candidate.code


def test_start_sets_server_deadline_from_timed_sections_and_extra_time(invitation):
    invitation.extra_time_minutes = 15
    invitation.save()
    now = timezone.now()
    attempt = attempt_start(invitation=invitation, now=now)
    assert attempt.started_at == now
    assert attempt.deadline_at == now + timedelta(minutes=30 + 20 + 15)
    # Reopening the link resumes the same attempt; the deadline does not move.
    again = attempt_start(invitation=invitation, now=now + timedelta(minutes=5))
    assert again.pk == attempt.pk and again.deadline_at == attempt.deadline_at


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"expires_at": timezone.now() - timedelta(seconds=1)}, "expired"),
        ({"revoked_at": timezone.now()}, "withdrawn"),
        ({"window_opens_at": timezone.now() + timedelta(hours=1)}, "cannot be started yet"),
        ({"window_opens_at": timezone.now() - timedelta(hours=2),
          "window_closes_at": timezone.now() - timedelta(hours=1)}, "window for starting this exam has closed"),
    ],
)
def test_unusable_invitations_say_why(invitation, change, message):
    for key, value in change.items():
        setattr(invitation, key, value)
    invitation.save()
    with pytest.raises(InvitationUnusable, match=message):
        attempt_start(invitation=invitation)


def test_saves_are_revisioned_and_stale_saves_refused(invitation):
    attempt = attempt_start(invitation=invitation)
    q = Question.objects.get(slug="explain-ctc")
    r1 = response_save(attempt=attempt, question=q, body="first", base_revision=0)
    r2 = response_save(attempt=attempt, question=q, body="second", base_revision=r1.revision)
    assert (r1.revision, r2.revision) == (1, 2)
    with pytest.raises(StaleRevision) as excinfo:  # e.g. a second tab still based on revision 1
        response_save(attempt=attempt, question=q, body="from the old tab", base_revision=1)
    assert excinfo.value.current_revision == 2 and excinfo.value.current_body == "second"
    assert "revision 2" in str(excinfo.value)


def test_late_save_is_refused_with_a_reason(invitation, settings):
    settings.EXAM_SAVE_GRACE_SECONDS = 5
    attempt = attempt_start(invitation=invitation)
    q = Question.objects.get(slug="explain-ctc")
    # A save that left the browser just before the deadline still lands within the grace...
    response_save(attempt=attempt, question=q, body="in flight", base_revision=0,
                  now=attempt.deadline_at + timedelta(seconds=4))
    # ...and after it, the server refuses and says why.
    with pytest.raises(DeadlinePassed, match="deadline passed"):
        response_save(attempt=attempt, question=q, body="late", base_revision=1,
                      now=attempt.deadline_at + timedelta(seconds=5))


def test_question_outside_the_track_is_refused(invitation, db):
    from assessments.services import AssessmentError

    attempt = attempt_start(invitation=invitation)
    stranger = Question.objects.create(slug="other", version=1, kind="written", title="x", summary="x",
                                       prompt_md="x", time_estimate_minutes=1, content_hash="h", source_path="p")
    with pytest.raises(AssessmentError, match="not part of this exam"):
        response_save(attempt=attempt, question=stranger, body="x", base_revision=0)


def test_submit_freezes_every_answer_once(invitation):
    attempt = attempt_start(invitation=invitation)
    q = Question.objects.get(slug="explain-ctc")
    response_save(attempt=attempt, question=q, body="CTC marginalises over alignments.", base_revision=0)
    subs = attempt_submit(attempt=attempt)
    assert len(subs) == 2  # every question, answered or not
    frozen = Submission.objects.get(attempt=attempt, question=q)
    assert frozen.body == "CTC marginalises over alignments." and frozen.revision == 1
    assert frozen.content_hash == Submission.hash_body(frozen.body)
    attempt.refresh_from_db()
    assert attempt.status == AttemptStatus.SUBMITTED and attempt.submit_reason == "candidate"
    # Submitting twice (double click, retried request, deadline job) neither fails nor doubles.
    assert [s.pk for s in attempt_submit(attempt=attempt)] == [s.pk for s in subs]
    assert Submission.objects.filter(attempt=attempt).count() == 2
    with pytest.raises(AttemptClosed):
        response_save(attempt=attempt, question=q, body="after submit", base_revision=1)


def test_deadline_submit_records_the_deadline_time(invitation):
    attempt = attempt_start(invitation=invitation)
    attempt_submit(attempt=attempt, reason="deadline", now=attempt.deadline_at + timedelta(minutes=3))
    attempt.refresh_from_db()
    assert attempt.submitted_at == attempt.deadline_at and attempt.submit_reason == "deadline"

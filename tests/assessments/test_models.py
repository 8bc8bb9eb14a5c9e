"""Invariants the database and models enforce, whatever code path writes."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from assessments.models import (
    Attempt,
    DimensionScore,
    ImmutableRecordError,
    Question,
    Rubric,
    RubricDimension,
    RubricLevel,
    Scorecard,
    Submission,
)
from assessments.services import attempt_start, attempt_submit
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_only_one_current_version_per_slug(mini_track):
    q = Question.objects.get(slug="explain-ctc")
    with pytest.raises(IntegrityError), transaction.atomic():
        Question.objects.create(slug=q.slug, version=2, kind="written", title="x", summary="x", prompt_md="x",
                                time_estimate_minutes=1, content_hash="h", source_path="p", is_current=True)


def test_slug_and_version_are_unique(mini_track):
    q = Question.objects.get(slug="explain-ctc")
    with pytest.raises(IntegrityError), transaction.atomic():
        Question.objects.create(slug=q.slug, version=1, kind="written", title="x", summary="x", prompt_md="x",
                                time_estimate_minutes=1, content_hash="h", source_path="p", is_current=False)


def test_coding_config_only_on_coding_questions(db):
    with pytest.raises(IntegrityError), transaction.atomic():
        Question.objects.create(slug="w", version=1, kind="written", title="x", summary="x", prompt_md="x",
                                time_estimate_minutes=1, content_hash="h", source_path="p", coding={"a": 1})
    with pytest.raises(IntegrityError), transaction.atomic():
        Question.objects.create(slug="c", version=1, kind="coding", title="x", summary="x", prompt_md="x",
                                time_estimate_minutes=1, content_hash="h", source_path="p", coding=None)


def test_attempt_deadline_must_follow_start(invitation):
    now = timezone.now()
    with pytest.raises(IntegrityError), transaction.atomic():
        Attempt.objects.create(invitation=invitation, track=invitation.track, started_at=now, deadline_at=now)


def test_submitted_attempt_needs_submitted_at(invitation):
    attempt = attempt_start(invitation=invitation)
    attempt.status = "submitted"
    with pytest.raises(IntegrityError), transaction.atomic():
        attempt.save()


def test_submissions_are_immutable(invitation):
    attempt = attempt_start(invitation=invitation)
    submission = attempt_submit(attempt=attempt)[0]
    submission.body = "rewritten after the fact"
    with pytest.raises(ImmutableRecordError):
        submission.save()
    with pytest.raises(ImmutableRecordError):
        submission.delete()
    assert Submission.objects.get(pk=submission.pk).body == ""


def test_submission_hash_must_match_body(invitation):
    attempt = attempt_start(invitation=invitation)
    q = Question.objects.get(slug="explain-ctc")
    with pytest.raises(ValidationError):
        Submission.objects.create(attempt=attempt, question=q, body="abc", revision=1, content_hash="0" * 64)


def test_scorecard_amendment_needs_a_reason(invitation):
    attempt = attempt_start(invitation=invitation)
    user = UserFactory()
    first = Scorecard.objects.create(attempt=attempt, interviewer=user)
    with pytest.raises(IntegrityError), transaction.atomic():
        Scorecard.objects.create(attempt=attempt, interviewer=user, supersedes=first)
    Scorecard.objects.create(attempt=attempt, interviewer=user, supersedes=first, amendment_reason="typo in level")


def test_dimension_score_must_use_the_questions_rubric(invitation):
    attempt = attempt_start(invitation=invitation)
    card = Scorecard.objects.create(attempt=attempt, interviewer=UserFactory())
    q = Question.objects.get(slug="explain-ctc")
    dim = q.rubric.dimensions.get()
    other = Rubric.objects.create(slug="other", version=1, content_hash="h", source_path="p", title="o",
                                  description="o")
    other_level = RubricLevel.objects.create(rubric=other, score=1, label="x")
    other_dim = RubricDimension.objects.create(rubric=other, slug="d", title="d", order=0)
    with pytest.raises(ValidationError, match="another rubric"):
        DimensionScore(scorecard=card, question=q, dimension=dim, level=other_level).clean()
    with pytest.raises(ValidationError, match="not part of this question's rubric"):
        DimensionScore(scorecard=card, question=q, dimension=other_dim, level=other_level).clean()
    DimensionScore(scorecard=card, question=q, dimension=dim, level=q.rubric.levels.get(score=2)).clean()


def test_invitation_window_must_be_ordered(invitation):
    invitation.window_opens_at = timezone.now()
    invitation.window_closes_at = invitation.window_opens_at - timedelta(hours=1)
    with pytest.raises(IntegrityError), transaction.atomic():
        invitation.save()

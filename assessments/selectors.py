"""Reads. Views and reports call these; they never build querysets of their own."""

from __future__ import annotations

from django.core import signing
from django.db.models import Count, Prefetch, QuerySet

from .models import INVITATION_SALT, Invitation, Question, Rubric, Section, SectionQuestion, Track


class InvalidInvitationToken(Exception):
    pass


def invitation_from_token(*, token: str) -> Invitation:
    """The invitation a token names. Tampered, truncated or replaced tokens are all refused alike."""
    try:
        payload = signing.loads(token, salt=INVITATION_SALT)
        invitation = Invitation.objects.select_related("candidate", "track").get(pk=int(payload["i"]))
    except (signing.BadSignature, KeyError, TypeError, ValueError, Invitation.DoesNotExist) as exc:
        raise InvalidInvitationToken("This invitation link is not valid.") from exc
    if invitation.nonce != payload.get("n"):
        raise InvalidInvitationToken("This invitation link is not valid.")
    return invitation


def track_list_current() -> QuerySet[Track]:
    return (Track.objects.filter(is_current=True)
            .annotate(question_count=Count("sections__items"), section_count=Count("sections", distinct=True))
            .order_by("title"))


def track_get(*, slug: str, version: int | None = None) -> Track:
    """A track with its sections, questions, competencies and rubrics loaded in a fixed number of queries."""
    qs = Track.objects.prefetch_related(
        Prefetch("sections", queryset=Section.objects.order_by("order")),
        Prefetch("sections__items", queryset=SectionQuestion.objects.order_by("order").select_related(
            "question", "question__rubric")),
        "sections__items__question__competencies",
    )
    return qs.get(slug=slug, version=version) if version else qs.get(slug=slug, is_current=True)


def question_get(*, slug: str, version: int | None = None) -> Question:
    qs = Question.objects.select_related("rubric").prefetch_related("competencies")
    return qs.get(slug=slug, version=version) if version else qs.get(slug=slug, is_current=True)


def rubric_get_detail(*, rubric_id: int) -> Rubric:
    return Rubric.objects.prefetch_related("levels", "dimensions__descriptors__level").get(pk=rubric_id)


def question_versions(*, slug: str) -> QuerySet[Question]:
    return Question.objects.filter(slug=slug).order_by("-version")

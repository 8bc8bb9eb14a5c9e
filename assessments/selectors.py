"""Reads. Views and reports call these; they never build querysets of their own."""

from __future__ import annotations

from dataclasses import dataclass

from django.core import signing
from django.db.models import Count, Prefetch, QuerySet

from . import roles
from .models import (
    INVITATION_SALT,
    Attempt,
    Invitation,
    Question,
    QuestionKind,
    Response,
    Rubric,
    Section,
    SectionQuestion,
    Track,
)


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


# --- the candidate's exam ----------------------------------------------------------------------


@dataclass(frozen=True)
class ExamItem:
    section: Section
    question: Question
    position: int            # 1-based across the whole exam
    revision: int            # 0 when never saved
    answered: bool


def exam_outline(*, attempt: Attempt) -> list[tuple[Section, list[ExamItem]]]:
    """The attempt's sections in order with their questions and whether each has a saved answer.

    Live rounds are left out: they happen with an interviewer, not on the candidate's clock.
    """
    responses = {r.question_id: r for r in Response.objects.filter(attempt=attempt).only(
        "question_id", "revision", "body")}
    sections = (Section.objects.filter(track_id=attempt.track_id).order_by("order")
                .prefetch_related(Prefetch("items", queryset=SectionQuestion.objects.order_by("order")
                                           .select_related("question").exclude(question__kind=QuestionKind.LIVE))))
    outline, position = [], 0
    for section in sections:
        items = []
        for item in section.items.all():
            position += 1
            response = responses.get(item.question_id)
            items.append(ExamItem(section=section, question=item.question, position=position,
                                  revision=response.revision if response else 0,
                                  answered=bool(response and response.body.strip())))
        if items:
            outline.append((section, items))
    return outline


def exam_question(*, attempt: Attempt, slug: str) -> Question:
    """A question of this attempt's track by slug (live rounds excluded); DoesNotExist otherwise."""
    item = (SectionQuestion.objects.select_related("question").exclude(question__kind=QuestionKind.LIVE)
            .filter(section__track_id=attempt.track_id, question__slug=slug).first())
    if item is None:
        raise Question.DoesNotExist(f"no question {slug!r} in this exam")
    return item.question


def exam_response(*, attempt: Attempt, question: Question) -> Response | None:
    return Response.objects.filter(attempt=attempt, question=question).first()


def attempt_for_invitation(*, invitation: Invitation) -> Attempt | None:
    return Attempt.objects.filter(invitation=invitation).select_related("track").first()


def invitation_list_recent(*, limit: int = 200) -> QuerySet[Invitation]:
    return (Invitation.objects.select_related("candidate", "track", "attempt")
            .order_by("-created_at")[:limit])


# --- scoring and reports ---------------------------------------------------------------------------


def is_admin(user) -> bool:
    return bool(user.is_superuser or user.groups.filter(name=roles.ADMIN).exists())


def managed_track_slugs(*, user) -> set[str]:
    """Tracks whose reports and panels this user may read: all for admins, their own for managers."""
    from .models import TrackManager

    if is_admin(user):
        return set(Track.objects.values_list("slug", flat=True))
    if not user.has_perm("assessments.view_report"):
        return set()
    return set(TrackManager.objects.filter(user=user).values_list("track_slug", flat=True))


def can_manage_attempt(*, user, attempt: Attempt) -> bool:
    return attempt.track.slug in managed_track_slugs(user=user)


def interviewer_queue(*, user) -> list[dict]:
    """Submitted attempts this interviewer is assigned to and has not submitted a scorecard for, oldest first."""
    from .models import Assignment, Scorecard

    attempt_ids = set(Assignment.objects.filter(interviewer=user).values_list("attempt_id", flat=True))
    done = set(Scorecard.objects.filter(interviewer=user, attempt_id__in=attempt_ids, status="submitted",
                                        superseded_by__isnull=True).values_list("attempt_id", flat=True))
    attempts = (Attempt.objects.filter(pk__in=attempt_ids - done, status="submitted")
                .select_related("track", "invitation__candidate").order_by("submitted_at"))
    drafts = set(Scorecard.objects.filter(interviewer=user, attempt_id__in=attempt_ids, status="draft")
                 .values_list("attempt_id", flat=True))
    managed = managed_track_slugs(user=user)
    return [{"attempt": a, "label": candidate_label(attempt=a, user=user, managed=managed), "started": a.pk in drafts}
            for a in attempts]


def candidate_label(*, attempt: Attempt, user, managed: set[str] | None = None) -> str:
    """A candidate code in anonymised review (tracks ask for it), the name for managers and admins.

    `managed` (managed_track_slugs of this user) saves its queries when labelling many attempts.
    """
    candidate = attempt.invitation.candidate
    if managed is None:
        managed = managed_track_slugs(user=user)
    if attempt.track.anonymised_review and attempt.track.slug not in managed:
        return candidate.code
    return f"{candidate.full_name} ({candidate.code})"


def current_scorecards(*, attempt: Attempt):
    from .models import Scorecard

    return (Scorecard.objects.filter(attempt=attempt, superseded_by__isnull=True)
            .select_related("interviewer").prefetch_related("scores__level", "scores__dimension", "scores__question")
            .order_by("created_at"))


def scorecards_visible_to(*, attempt: Attempt, user) -> list:
    """Blind scoring: others' scorecards stay hidden until this interviewer has submitted their own.

    Managers of the track and admins see every submitted scorecard.
    """
    cards = [c for c in current_scorecards(attempt=attempt) if c.status == "submitted" or c.interviewer_id == user.pk]
    if can_manage_attempt(user=user, attempt=attempt):
        return [c for c in cards if c.status == "submitted"]
    own_submitted = any(c.interviewer_id == user.pk and c.status == "submitted" for c in cards)
    return [c for c in cards if c.interviewer_id == user.pk or own_submitted]


def scorecard_history(*, attempt: Attempt, interviewer) -> list:
    from .models import Scorecard

    return list(Scorecard.objects.filter(attempt=attempt, interviewer=interviewer).order_by("created_at"))

"""Reads of the content: tracks, questions and rubrics, for staff pages and the exam."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Prefetch, QuerySet

from .. import access
from ..access import User
from ..errors import NotFound
from ..models import Question, Rubric, Section, SectionQuestion, Track


def track_list_current() -> QuerySet[Track]:
    return (Track.objects.filter(is_current=True)
            .annotate(question_count=Count("sections__items"), section_count=Count("sections", distinct=True))
            .order_by("title"))


def track_get(*, slug: str, version: int | None = None) -> Track:
    """A track with its sections, questions, competencies and rubrics loaded in a fixed number of queries.

    NotFound when there is no such track (or version).
    """
    qs = Track.objects.prefetch_related(
        Prefetch("sections", queryset=Section.objects.order_by("order")),
        Prefetch("sections__items", queryset=SectionQuestion.objects.order_by("order").select_related(
            "question", "question__rubric")),
        "sections__items__question__competencies",
    )
    try:
        return qs.get(slug=slug, version=version) if version else qs.get(slug=slug, is_current=True)
    except Track.DoesNotExist:
        raise NotFound("No such track") from None


def question_get(*, slug: str, version: int | None = None) -> Question:
    qs = Question.objects.select_related("rubric").prefetch_related("competencies")
    try:
        return qs.get(slug=slug, version=version) if version else qs.get(slug=slug, is_current=True)
    except Question.DoesNotExist:
        raise NotFound("No such question") from None


def rubric_get_detail(*, rubric_id: int) -> Rubric:
    return Rubric.objects.prefetch_related("levels", "dimensions__descriptors__level").get(pk=rubric_id)


def rubric_current_get(*, slug: str) -> Rubric:
    """The current version of a rubric with its levels, dimensions and descriptors; NotFound otherwise."""
    rubric = Rubric.objects.filter(slug=slug, is_current=True).first()
    if rubric is None:
        raise NotFound("No such rubric")
    return rubric_get_detail(rubric_id=rubric.pk)


def question_versions(*, slug: str) -> QuerySet[Question]:
    return Question.objects.filter(slug=slug).order_by("-version")


@dataclass(frozen=True)
class QuestionPage:
    question: Question
    versions: QuerySet[Question]
    rubric: Rubric | None
    can_see_guidance: bool
    visible_tests: list[str]   # file names
    hidden_tests: list[str]    # file names, for those who may read guidance; never their bodies


def question_page_get(*, slug: str, version: int | None, user: User) -> QuestionPage:
    question = question_get(slug=slug, version=version)
    guidance = access.can_see_guidance(user)
    return QuestionPage(
        question=question, versions=question_versions(slug=slug), can_see_guidance=guidance,
        rubric=rubric_get_detail(rubric_id=question.rubric_id) if question.rubric_id else None,
        visible_tests=sorted(question.visible_tests) if question.is_coding else [],
        hidden_tests=list(question.hidden_test_names) if question.is_coding and guidance else [],
    )

"""Reads for interviewers and panels: the queue, the scoring sheet, the panel, scorecards (blind rules applied)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.db.models import Count, QuerySet

from .. import access, roles
from ..access import User
from ..models import (
    Assignment,
    Attempt,
    AttemptStatus,
    AutomatedScore,
    IntegrityEvent,
    IntegrityKind,
    Question,
    QuestionKind,
    Recommendation,
    ResponseSnapshot,
    RubricDimension,
    RubricLevel,
    Scorecard,
    ScorecardStatus,
    Section,
    SectionQuestion,
    Submission,
)


def interviewer_queue(*, user: User) -> list[dict]:
    """Submitted attempts this interviewer is assigned to and has not submitted a scorecard for, oldest first."""
    attempt_ids = set(Assignment.objects.filter(interviewer=user).values_list("attempt_id", flat=True))
    done = set(Scorecard.objects.filter(interviewer=user, attempt_id__in=attempt_ids, status=ScorecardStatus.SUBMITTED,
                                        superseded_by__isnull=True).values_list("attempt_id", flat=True))
    attempts = (Attempt.objects.filter(pk__in=attempt_ids - done, status=AttemptStatus.SUBMITTED)
                .select_related("track", "invitation__candidate").order_by("submitted_at"))
    drafts = set(Scorecard.objects.filter(interviewer=user, attempt_id__in=attempt_ids, status=ScorecardStatus.DRAFT)
                 .values_list("attempt_id", flat=True))
    managed = access.managed_track_slugs(user=user)
    return [{"attempt": a, "label": access.candidate_label(attempt=a, user=user, managed=managed),
             "started": a.pk in drafts} for a in attempts]


def current_scorecards(*, attempt: Attempt) -> QuerySet[Scorecard]:
    """Every interviewer's latest scorecard of the attempt (amended ones replaced), drafts included."""
    return (Scorecard.objects.filter(attempt=attempt, superseded_by__isnull=True)
            .select_related("interviewer").prefetch_related("scores__level", "scores__dimension", "scores__question")
            .order_by("created_at"))


def scorecards_visible_to(*, attempt: Attempt, user: User) -> list[Scorecard]:
    """The current scorecards this user may read (blind scoring: access.scorecards_visible_to)."""
    return access.scorecards_visible_to(user=user, attempt=attempt, cards=list(current_scorecards(attempt=attempt)))


def scorecard_history(*, attempt: Attempt, interviewer: User) -> list[Scorecard]:
    return list(Scorecard.objects.filter(attempt=attempt, interviewer=interviewer).order_by("created_at"))


def own_scorecard(*, attempt: Attempt, user: User) -> Scorecard | None:
    """This interviewer's current scorecard of the attempt, if they opened one."""
    return next((c for c in current_scorecards(attempt=attempt) if c.interviewer_id == user.pk), None)


# --- the scoring sheet ---------------------------------------------------------------------------


@dataclass
class DimensionRow:
    """One rubric dimension of one question on the sheet, with its levels and their descriptors."""

    dimension: RubricDimension
    levels: list[tuple[RubricLevel, str]]
    value: dict = field(default_factory=dict)   # {"level": ..., "evidence": ...} saved or re-posted
    error: str | None = None

    def key(self, question: Question) -> str:
        """The form's key for this row: `level-<key>` and `evidence-<key>`."""
        return f"{question.pk}-{self.dimension.slug}"


@dataclass
class SheetItem:
    section: Section
    question: Question
    dimensions: list[DimensionRow]
    number: int = 0                  # 1-based position on the sheet ("Q3")
    submission: Submission | None = None
    automated: AutomatedScore | None = None
    focus_lost: int = 0
    pastes: list[int] = field(default_factory=list)
    notes: str = ""
    snapshots: int = 0               # saved states of a coding answer (ResponseSnapshot)
    # Filled by the view from graders (assessments never imports graders): the candidate's visible-test runs
    # and the hidden grading, oldest first, and the link to the playback of the edits.
    runs: list = field(default_factory=list)
    playback_url: str | None = None
    not_answered_error: str | None = None

    @property
    def blank(self) -> bool:
        """The candidate handed in nothing (live rounds have no written answer, so they never are)."""
        return self.question.kind != QuestionKind.LIVE and not (self.submission and self.submission.body.strip())

    @property
    def total(self) -> int:
        return len(self.dimensions)

    @property
    def scored(self) -> int:
        return sum(1 for row in self.dimensions if row.value.get("level") not in (None, ""))

    @property
    def complete(self) -> bool:
        return self.scored == self.total

    @property
    def has_errors(self) -> bool:
        return bool(self.not_answered_error) or any(row.error for row in self.dimensions)


def _sheet_items(attempt: Attempt, assigned: set[int], *, details: bool) -> list[SheetItem]:
    """Per assigned question, in exam order and a fixed number of queries: its rubric rows and, with
    `details` (the page, not a save), the answer, automated results and integrity signals."""
    placements = (SectionQuestion.objects.filter(section__track_id=attempt.track_id, question_id__in=assigned)
                  .select_related("section", "question__rubric").order_by("section__order", "order"))
    rubric_ids = {p.question.rubric_id for p in placements if p.question.rubric_id}
    levels: dict[int, list[RubricLevel]] = {}
    for level in RubricLevel.objects.filter(rubric_id__in=rubric_ids).order_by("score"):
        levels.setdefault(level.rubric_id, []).append(level)
    dimensions: dict[int, list[RubricDimension]] = {}
    for dim in (RubricDimension.objects.filter(rubric_id__in=rubric_ids).order_by("order")
                .prefetch_related("descriptors")):
        dimensions.setdefault(dim.rubric_id, []).append(dim)
    submissions: dict[int, Submission] = {}
    autos: dict[int, AutomatedScore] = {}
    counts: Counter = Counter()
    pastes: dict[int | None, list[int]] = {}
    snapshots: dict[int, int] = {}
    if details:
        snapshots = dict(ResponseSnapshot.objects.filter(attempt=attempt).values("question_id")
                         .annotate(n=Count("pk")).values_list("question_id", "n"))
        submissions = {s.question_id: s for s in attempt.submissions.all()}
        autos = {a.submission.question_id: a for a in
                 AutomatedScore.objects.filter(submission__attempt=attempt).select_related("submission")}
        for e in IntegrityEvent.objects.filter(attempt=attempt).order_by("created_at"):
            counts[(e.question_id, e.kind)] += 1
            if e.kind == IntegrityKind.PASTE:
                pastes.setdefault(e.question_id, []).append(e.chars or 0)
    items = []
    for number, p in enumerate(placements, start=1):
        q = p.question
        rows = []
        for dim in dimensions.get(q.rubric_id, []):
            descriptors = {d.level_id: d.text for d in dim.descriptors.all()}
            rows.append(DimensionRow(dimension=dim, levels=[(lv, descriptors.get(lv.pk, ""))
                                                            for lv in levels.get(q.rubric_id, [])]))
        items.append(SheetItem(section=p.section, question=q, dimensions=rows, number=number,
                               submission=submissions.get(q.pk), automated=autos.get(q.pk),
                               focus_lost=counts.get((q.pk, IntegrityKind.FOCUS_LOST), 0),
                               pastes=pastes.get(q.pk, []), snapshots=snapshots.get(q.pk, 0)))
    return items


@dataclass(frozen=True)
class ScoringForm:
    """What the scoring form posts: the rows it may carry (for parsing a save without building the page)."""

    items: list[SheetItem]

    def live_question_ids(self) -> list[int]:
        return [i.question.pk for i in self.items if i.question.kind == QuestionKind.LIVE]


def scoring_form_get(*, attempt: Attempt, assigned: set[int]) -> ScoringForm:
    return ScoringForm(items=_sheet_items(attempt, assigned, details=False))


@dataclass
class ScoringSheet:
    attempt: Attempt
    label: str
    items: list[SheetItem]
    scorecard: Scorecard | None      # this interviewer's current one
    others: list[Scorecard]          # the other interviewers' scorecards this user may read
    history: list[Scorecard]
    integrity_total: int
    recommendations: list[tuple[str, str]]

    @property
    def locked(self) -> bool:
        return bool(self.scorecard and self.scorecard.status == ScorecardStatus.SUBMITTED)

    @property
    def blind(self) -> bool:
        return not self.locked

    @property
    def scored(self) -> int:
        return sum(item.scored for item in self.items)

    @property
    def total(self) -> int:
        return sum(item.total for item in self.items)


def scoring_sheet_get(*, attempt: Attempt, assigned: set[int], user: User) -> ScoringSheet:
    """The scoring page: assigned questions with answers and results, the interviewer's saved levels filled in."""
    items = _sheet_items(attempt, assigned, details=True)
    cards = list(current_scorecards(attempt=attempt))
    own = next((c for c in cards if c.interviewer_id == user.pk), None)
    values: dict[str, dict] = {}
    if own:
        for s in own.scores.all():
            values[f"{s.question_id}-{s.dimension.slug}"] = {"level": s.level.score, "evidence": s.evidence}
    for item in items:
        for row in item.dimensions:
            row.value = values.get(row.key(item.question), {})
        item.notes = own.notes.get(str(item.question.pk), "") if own else ""
    visible = access.scorecards_visible_to(user=user, attempt=attempt, cards=cards)
    return ScoringSheet(
        attempt=attempt, label=access.candidate_label(attempt=attempt, user=user), items=items, scorecard=own,
        others=[c for c in visible if c.interviewer_id != user.pk],
        history=scorecard_history(attempt=attempt, interviewer=user),
        integrity_total=IntegrityEvent.objects.filter(attempt=attempt).count(),
        recommendations=list(Recommendation.choices),
    )


# --- the panel -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Panel:
    attempt: Attempt
    label: str
    interviewers: list[User]   # users who may be assigned
    sections: list[Section]
    questions: list[Question]
    assignments: list[Assignment]


def panel_get(*, attempt: Attempt, user: User) -> Panel:
    interviewers = list(get_user_model().objects.filter(groups__name=roles.INTERVIEWER, is_active=True)
                        .order_by("username").distinct())
    return Panel(
        attempt=attempt, label=access.candidate_label(attempt=attempt, user=user), interviewers=interviewers,
        sections=list(Section.objects.filter(track_id=attempt.track_id).order_by("order")),
        questions=list(Question.objects.filter(placements__section__track_id=attempt.track_id)
                       .order_by("placements__section__order", "placements__order")),
        assignments=list(Assignment.objects.filter(attempt=attempt).select_related("interviewer", "section",
                                                                                   "question")),
    )

"""Reads for the candidate's exam. A candidate has no account: the signed token names one invitation,
and every read here is scoped to that invitation's attempt."""

from __future__ import annotations

import base64
import threading
from dataclasses import dataclass
from datetime import datetime

from django.core import signing
from django.db.models import BooleanField, ExpressionWrapper, Prefetch, Q
from django.db.models.fields.json import KT
from django.db.models.signals import post_delete, post_save

from .. import access
from ..errors import InvalidInvitationToken, NotFound
from ..models import (
    INVITATION_SALT,
    Attempt,
    Invitation,
    Question,
    QuestionFiles,
    QuestionKind,
    Response,
    Section,
    SectionQuestion,
    Track,
    legacy_token_hash,
    token_hash,
)


def invitation_from_token(*, token: str) -> Invitation:
    """The invitation a token names (by its hash). Tampered, truncated or replaced tokens are all refused alike."""
    if not token or len(token) > 512:
        raise InvalidInvitationToken("This invitation link is not valid.")
    # The attempt comes in the same query (a LEFT JOIN): every exam request needs it next (attempt_for_invitation).
    found = Invitation.objects.select_related("candidate", "track", "attempt", "attempt__track")
    if ":" in token:  # a link issued before tokens were random (migration 0006): signed {"i": id, "n": nonce}
        try:
            payload = signing.loads(token, salt=INVITATION_SALT)
            found = found.filter(pk=int(payload["i"]), token_hash=legacy_token_hash(str(payload["n"])))
        except (signing.BadSignature, KeyError, TypeError, ValueError) as exc:
            raise InvalidInvitationToken("This invitation link is not valid.") from exc
    else:
        found = found.filter(token_hash=token_hash(token))
    invitation = found.first()
    if invitation is None:
        raise InvalidInvitationToken("This invitation link is not valid.")
    return invitation


def attempt_for_invitation(*, invitation: Invitation) -> Attempt | None:
    if Invitation.attempt.is_cached(invitation):  # loaded with the invitation (invitation_from_token)
        try:
            return invitation.attempt
        except Attempt.DoesNotExist:
            return None
    return Attempt.objects.filter(invitation=invitation).select_related("track").first()


# --- the exam's layout, per track version, in process memory -------------------------------------------------
#
# A track version's sections and questions never change once loaded: the admin shows content read-only and
# content_sync makes a new version instead. So every exam request of that version can share one copy of them
# instead of reading them from the database each time (issue 17: the hot paths re-read the same content on every
# autosave and page). The key carries the track's content hash and creation time as well as its id, so a version
# deleted and re-created with the same id (tests roll back) is never mistaken for the old one; any content write in
# this process empties the cache too. Objects in it are shared between threads: read them, never change them.

@dataclass(frozen=True)
class ExamLayout:
    sections: list[Section]          # every section in order, its items prefetched in order (live rounds included)
    placements: list[tuple[Section, list[SectionQuestion]]]   # on the candidate's clock: sections without live rounds
    by_slug: dict[str, Question]     # questions on the candidate's clock
    question_ids: frozenset[int]     # every question of the version, live rounds included
    timed_minutes: int               # minutes on the candidate's clock


_layouts: dict[tuple, ExamLayout] = {}
_layouts_lock = threading.Lock()
_LAYOUTS_MAX = 64  # track versions in use at once; past it the cache starts over (a rare re-read, never a wrong one)


def _layout_key(track: Track) -> tuple:
    return (track.pk, track.content_hash, track.created_at)


def exam_layout(*, track: Track) -> ExamLayout:
    """The sections and questions of one track version, read once per process (see above)."""
    key = _layout_key(track)
    layout = _layouts.get(key)
    if layout is not None:
        return layout
    sections = list(Section.objects.filter(track_id=track.pk).order_by("order").prefetch_related(
        Prefetch("items", queryset=SectionQuestion.objects.order_by("order").select_related("question"))))
    placements = []
    for section in sections:
        items = [i for i in section.items.all() if i.question.kind != QuestionKind.LIVE]
        if items:
            placements.append((section, items))
    layout = ExamLayout(
        sections=sections, placements=placements,
        by_slug={i.question.slug: i.question for _, items in placements for i in items},
        question_ids=frozenset(i.question_id for s in sections for i in s.items.all()),
        timed_minutes=sum(s.time_limit_minutes for s, _ in placements),
    )
    with _layouts_lock:
        if len(_layouts) >= _LAYOUTS_MAX:
            _layouts.clear()
        _layouts[key] = layout
    return layout


def exam_layouts_clear(**kwargs) -> None:
    """Forget every cached layout (a content row was written or deleted in this process)."""
    with _layouts_lock:
        _layouts.clear()


for _model in (Track, Section, SectionQuestion, Question):
    post_save.connect(exam_layouts_clear, sender=_model, weak=False,
                      dispatch_uid=f"exam_layout.saved.{_model.__name__}")
    post_delete.connect(exam_layouts_clear, sender=_model, weak=False,
                        dispatch_uid=f"exam_layout.deleted.{_model.__name__}")


def _attempt_track(attempt: Attempt) -> Track:
    return attempt.track  # loaded with the attempt on the exam's paths; one query otherwise


def attempt_question_ids(*, attempt: Attempt) -> frozenset[int]:
    """Every question of the attempt's track version, live rounds included."""
    return exam_layout(track=_attempt_track(attempt)).question_ids


@dataclass(frozen=True)
class ExamItem:
    section: Section
    question: Question
    position: int            # 1-based across the whole exam
    revision: int            # 0 when never saved
    answered: bool


def exam_outline(*, attempt: Attempt) -> list[tuple[Section, list[ExamItem]]]:
    """The attempt's sections in order with their questions and whether each has a saved answer.

    Live rounds are left out: they happen with an interviewer, not on the candidate's clock. One query: the answers'
    revisions and whether each holds more than blanks, decided in the database (a page never needs every body).
    """
    answered = ExpressionWrapper(Q(body__regex=r"\S"), output_field=BooleanField())
    responses = {qid: (revision, bool(has_text)) for qid, revision, has_text in Response.objects.filter(
        attempt=attempt).annotate(has_text=answered).values_list("question_id", "revision", "has_text")}
    outline, position = [], 0
    for section, placements in exam_layout(track=_attempt_track(attempt)).placements:
        items = []
        for item in placements:
            position += 1
            revision, has_text = responses.get(item.question_id, (0, False))
            items.append(ExamItem(section=section, question=item.question, position=position,
                                  revision=revision, answered=has_text))
        outline.append((section, items))
    return outline


def exam_question(*, attempt: Attempt, slug: str) -> Question:
    """A question of this attempt's track by slug (live rounds excluded); NotFound otherwise."""
    question = exam_layout(track=_attempt_track(attempt)).by_slug.get(slug)
    if question is None:
        raise NotFound("No such question in this exam")
    return question


def exam_questions_by_slug(*, attempt: Attempt, slugs: set[str]) -> dict[str, Question]:
    """The questions of this exam among `slugs`, by slug (others are left out)."""
    by_slug = exam_layout(track=_attempt_track(attempt)).by_slug if slugs else {}
    return {slug: by_slug[slug] for slug in slugs if slug in by_slug}


def exam_response(*, attempt: Attempt, question: Question) -> Response | None:
    return Response.objects.filter(attempt=attempt, question=question).first()


# --- the exam's pages --------------------------------------------------------------------------------


@dataclass(frozen=True)
class ExamLanding:
    invitation: Invitation
    track: Track
    sections: list[Section]   # the sections on the candidate's clock (live rounds happen elsewhere)
    minutes: int              # the candidate's time, accommodation included
    refusal: str | None       # why it cannot start now, or None
    accommodations: list      # the candidate's own requests for adjustments, newest first


def exam_landing_get(*, invitation: Invitation) -> ExamLanding:
    """The landing page of a link not started yet: what the exam involves, and whether it can start now."""
    refusal = access.invitation_refusal(invitation=invitation)
    layout = exam_layout(track=invitation.track)
    return ExamLanding(invitation=invitation, track=invitation.track, sections=[s for s, _ in layout.placements],
                       refusal=refusal, minutes=layout.timed_minutes + invitation.extra_time_minutes,
                       accommodations=list(invitation.accommodations.order_by("-created_at")))


@dataclass(frozen=True)
class ExamProgress:
    outline: list[tuple[Section, list[ExamItem]]]
    items: list[ExamItem]      # the outline, flat, in exam order

    @property
    def count(self) -> int:
        return len(self.items)

    @property
    def answered(self) -> int:
        return sum(1 for i in self.items if i.answered)

    @property
    def first_unanswered(self) -> ExamItem | None:
        return next((i for i in self.items if not i.answered), self.items[0] if self.items else None)


def exam_progress_get(*, attempt: Attempt) -> ExamProgress:
    outline = exam_outline(attempt=attempt)
    return ExamProgress(outline=outline, items=[item for _, items in outline for item in items])


@dataclass(frozen=True)
class ExamQuestionPage:
    progress: ExamProgress
    item: ExamItem
    question: Question
    body: str                       # the saved answer, or the starter code before the first save
    revision: int
    saved_at: datetime | None
    previous: ExamItem | None
    next: ExamItem | None
    visible_tests: list[tuple[str, str]]   # coding labs: (path, text) the candidate may read


def exam_question_get(*, attempt: Attempt, slug: str) -> ExamQuestionPage:
    """One question page of the exam; NotFound for a slug that is not on this attempt's clock.

    Reads only what the candidate may see: the visible tests come from the question row, so the hidden
    tests (QuestionFiles) are never loaded to serve this page.
    """
    question = exam_question(attempt=attempt, slug=slug)
    progress = exam_progress_get(attempt=attempt)
    index = next(i for i, item in enumerate(progress.items) if item.question.pk == question.pk)
    response = exam_response(attempt=attempt, question=question)
    body = response.body if response else ""
    if question.is_coding and response is None:
        body = question.starter_files.get(question.coding_config.entrypoint, "")
    return ExamQuestionPage(
        progress=progress, item=progress.items[index], question=question, body=body,
        revision=response.revision if response else 0, saved_at=response.updated_at if response else None,
        previous=progress.items[index - 1] if index > 0 else None,
        next=progress.items[index + 1] if index + 1 < len(progress.items) else None,
        visible_tests=sorted(question.visible_tests.items()) if question.is_coding else [],
    )


def exam_visible_file(*, question: Question, path: str) -> tuple[bytes, str]:
    """(bytes, content type) of one visible example file of a coding question; NotFound for any other path.

    Only the one value is read from the question's files (a JSON key transform), so the hidden tests are not
    loaded into this request at all."""
    listed = {f["path"]: f["type"] for f in question.visible_files or []}
    if not question.is_coding or path not in listed:
        raise NotFound("No such file")
    if "__" in path:  # the key transform would read "__" as nesting: read the file from the whole mapping
        files = QuestionFiles.objects.filter(question=question).values_list("files", flat=True).first() or {}
        value = files.get(path)
        row = (value, None) if isinstance(value, str) else (None, (value or {}).get("b64"))
    else:
        row = (QuestionFiles.objects.filter(question=question)
               .values_list(KT(f"files__{path}"), KT(f"files__{path}__b64")).first())
    if row is None or (row[0] is None and row[1] is None):
        raise NotFound("No such file")
    text, b64 = row
    data = base64.b64decode(b64) if b64 is not None else text.encode()
    content_type = listed[path]
    if content_type.startswith("text/") or content_type == "application/json":
        content_type += "; charset=utf-8"
    return data, content_type

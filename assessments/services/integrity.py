"""Integrity signals (focus lost and regained, pastes): recorded for interviewers, never blocking."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.utils import timezone

from ..errors import AssessmentError
from ..models import Attempt, AttemptStatus, IntegrityEvent, IntegrityKind, Question
from ..selectors.exam import attempt_question_ids, exam_questions_by_slug

MAX_SIGNALS_PER_BATCH = 50


@dataclass(frozen=True)
class IntegritySignal:
    """One signal as the exam page reports it (the browser's clock is kept only as reported)."""

    kind: str
    question_slug: str | None = None
    chars: int | None = None
    client_at: datetime | None = None


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
    if question is not None and question.pk not in attempt_question_ids(attempt=attempt):
        question = None
    return IntegrityEvent.objects.create(
        attempt=attempt, question=question, kind=kind, created_at=now or timezone.now(), client_at=client_at,
        chars=max(0, min(int(chars), 10_000_000)) if kind == IntegrityKind.PASTE and chars is not None else None,
    )



def integrity_signals_record(*, attempt: Attempt, signals: list[IntegritySignal]) -> int:
    """Record a batch from the page (at most MAX_SIGNALS_PER_BATCH); unknown kinds are skipped. Returns how many."""
    batch = signals[:MAX_SIGNALS_PER_BATCH]
    questions = exam_questions_by_slug(attempt=attempt, slugs={s.question_slug for s in batch if s.question_slug})
    recorded = 0
    for signal in batch:
        try:
            event = integrity_event_record(attempt=attempt, kind=signal.kind, chars=signal.chars,
                                           question=questions.get(signal.question_slug or ""),
                                           client_at=signal.client_at)
        except AssessmentError:
            continue
        recorded += event is not None
    return recorded

"""Demo data: a few submitted attempts with scorecards, so a new install shows a full report and the
calibration page at once. Development only (seed_demo refuses to run with DEBUG off)."""

from __future__ import annotations

import random

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction

from . import services
from .models import Candidate, Question, QuestionKind, SectionQuestion, Track

# name, ability (0..1), whether they pasted a large block
DEMO_CANDIDATES = [
    ("Avery Strong", 0.85, False),
    ("Blake Solid", 0.65, False),
    ("Casey Mixed", 0.5, True),
    ("Drew Early", 0.3, False),
]

ANSWER = (
    "I would start from the constraint that matters most here and measure it before changing anything. "
    "{extra} I would ship behind a flag, compare against the current system on a held-out slice, and "
    "write down what would make me roll back."
)


@transaction.atomic
def demo_panel_ensure(*, track: Track, interviewers: list[AbstractBaseUser], manager: AbstractBaseUser) -> int:
    """Create the demo attempts once (idempotent by candidate email); returns how many were created."""
    services.track_manager_add(track_slug=track.slug, user=manager)
    placements = list(SectionQuestion.objects.filter(section__track=track).select_related("question__rubric")
                      .order_by("section__order", "order"))
    created = 0
    for index, (name, ability, pasted) in enumerate(DEMO_CANDIDATES):
        email = f"demo.{name.split()[0].lower()}@example.com"
        if Candidate.objects.filter(email=email).exists():
            continue
        rng = random.Random(index)
        candidate = services.candidate_create(full_name=name, email=email, notes="Demo candidate (seed_demo).")
        attempt = services.attempt_start(invitation=services.invitation_create(candidate=candidate, track=track))
        for p in placements:
            q = p.question
            if q.kind == QuestionKind.LIVE:
                continue
            if q.is_coding:
                # Strong candidates hand in the reference, the others the starter: the worker grades
                # them for real, so the automated figures in the demo report are genuine.
                entry = q.coding_config.entrypoint
                source = f"reference/{entry}" if ability > 0.6 else f"starter/{entry}"
                body = q.files.files.get(source) or q.starter_files.get(entry, "")
            else:
                body = ANSWER.format(extra="Depth: " + ("high. " if ability > 0.6 else "moderate. ") * 2)
            services.response_save(attempt=attempt, question=q, body=body, base_revision=0)
        if pasted:
            services.integrity_event_record(attempt=attempt, kind="paste", question=placements[0].question,
                                            chars=1840)
            services.integrity_event_record(attempt=attempt, kind="focus_lost", question=placements[0].question)
        services.attempt_submit(attempt=attempt)  # queues hidden grading of the coding answers
        for rater_index, interviewer in enumerate(interviewers):
            services.assignment_create(attempt=attempt, interviewer=interviewer)
            if index == len(DEMO_CANDIDATES) - 1 and rater_index == 1:
                continue  # the last candidate still waits for one scorecard: the report flags it
            _score(attempt, interviewer, placements, ability, bias=(-0.1, 0.12)[rater_index % 2], rng=rng)
        created += 1
    return created


def _score(attempt, interviewer, placements, ability: float, *, bias: float, rng: random.Random) -> None:
    card = services.scorecard_open(attempt=attempt, interviewer=interviewer)
    scores, notes = [], {}
    for p in placements:
        q: Question = p.question
        if q.kind == QuestionKind.LIVE:
            notes[q.pk] = "Walked through the streaming design; good on latency budgets, vague on rollback."
        if not q.rubric_id:
            continue
        levels = sorted(q.rubric.levels.values_list("score", flat=True))
        lo, hi = levels[0], levels[-1]
        for dim in q.rubric.dimensions.all():
            x = min(1.0, max(0.0, ability + bias + rng.gauss(0, 0.12)))
            level = lo + round(x * (hi - lo))
            # Evidence where the rubric asks for it (the ends of the scale), in the words a rater would use.
            evidence = (f"{dim.title}: named the trade-off and how they would measure it on a held-out slice."
                        if level == hi else f"{dim.title}: no measurement plan; the trade-off was not named."
                        if level == lo else "")
            scores.append(services.ScoreInput(question_id=q.pk, dimension_slug=dim.slug, level=level,
                                              evidence=evidence))
    recommendation = ("strong_no", "no", "yes", "strong_yes")[min(3, int((ability + bias) * 4))]
    services.scorecard_save(scorecard=card, by=interviewer, scores=scores, notes=notes,
                            recommendation=recommendation, summary="Demo scorecard.")
    services.scorecard_submit(scorecard=card, by=interviewer)

"""Code playback for interviewers and managers: how the candidate's code grew on one coding lab.

Who may watch is assessments.access.attempt_for_playback (the report's readers, or an interviewer assigned to
the question); the frames and marks come from assessments.selectors.playback, the visible runs from graders.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from assessments import access
from assessments.selectors.playback import SPEEDS, playback_get, playback_question
from graders import selectors as run_selectors


def _frame_choice(request: HttpRequest, count: int) -> int:
    """The frame to render first: `jump` (a mark's button) or `at` (the scrubber), else the last one. They are
    only sent without JavaScript, where the page is a form; the script moves the scrubber itself."""
    for key in ("jump", "at"):
        try:
            return min(max(int(request.GET[key]), 0), count - 1)
        except (KeyError, ValueError):
            continue
    return count - 1


@login_required
def attempt_playback(request: HttpRequest, attempt_id: int, slug: str) -> HttpResponse:
    attempt, question_ids = access.attempt_for_playback(user=request.user, attempt_id=attempt_id)
    question = playback_question(attempt=attempt, slug=slug, question_ids=question_ids)
    runs = run_selectors.attempt_runs_by_question(attempt=attempt).get(question.pk, [])
    playback = playback_get(attempt=attempt, question=question, user=request.user, runs=runs)
    frame = playback.frames[_frame_choice(request, len(playback.frames))] if playback.frames else None
    return render(request, "scoring/playback.html", {
        "p": playback, "frame": frame, "data": playback.to_json(), "attempt": attempt, "question": question,
        "speeds": SPEEDS})

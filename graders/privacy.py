"""Erasing a candidate's code and output from grading runs (retention, or the candidate's request; ops calls it).

A run keeps what counts (its question, suite, status, verdict, score, test outcomes, benchmark figures and its
phases' times) and loses what the candidate wrote or their code printed: the graded files, test messages,
output, tracebacks, the sandbox's stderr, benchmark summaries and errors.
"""

from __future__ import annotations

from django.db.models import Q

from assessments.errors import AssessmentError
from assessments.services import result_text_scrub

from .models import GradingRun, RunStatus


def runs_purge(*, attempt_ids: list[int]) -> int:
    """Scrub every run of these attempts (visible runs, and hidden runs of their submissions); returns how many.

    Safe to run twice. Bulk updates, as in assessments' purge: django-auditlog never sees the erased values.
    Refused while one of the runs is queued or running: its worker holds the files and would store the output
    after the erasure (the next retention pass, or a retry in a few minutes, finds it done).
    """
    runs = GradingRun.objects.filter(Q(attempt_id__in=attempt_ids) | Q(submission__attempt_id__in=attempt_ids))
    if runs.filter(status__in=[RunStatus.QUEUED, RunStatus.RUNNING]).exists():
        raise AssessmentError("Grading of this candidate's code is still under way; try again in a few minutes.")
    count = 0
    for run in runs.only("pk", "result"):
        result = result_text_scrub(run.result) if run.result is not None else None
        count += GradingRun.objects.filter(pk=run.pk).update(candidate_files={}, result=result, error="")
    return count

"""The candidate's rights: a copy of their data (one ZIP) and its erasure on request, each in the audit trail.

Erasure is the same as retention's (ops.retention): each app erases its own records (graders' runs, then the
assessment records), in one transaction, recorded once as an "erase" event. Admins reach both from the privacy
page (webapp.views.privacy); the audit trail names the candidate by id and pseudonymous code only.
"""

from __future__ import annotations

import io
import json
import zipfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import PurePosixPath
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import Prefetch, Q
from django.http import HttpRequest
from django.utils import timezone

from assessments.consent import notice_for
from assessments.errors import AssessmentError, NotFound
from assessments.models import (
    Attempt,
    AutomatedScore,
    Candidate,
    DimensionScore,
    IntegrityEvent,
    Invitation,
    QuestionKind,
    Response,
    ResponseSnapshot,
    Scorecard,
    ScorecardStatus,
    Submission,
)
from assessments.services import PurgeReport, candidate_purge
from audit.services import audit_record
from graders.models import GradingRun
from graders.privacy import runs_purge
from graders.result import GradingResult, ResultSummary, Suite

from .retention import Retention, candidate_retention

# --- erasure ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ErasureReport:
    code: str
    records: PurgeReport
    grading_runs: int

    def summary(self) -> str:
        r = self.records
        return (f"{r.responses} answer(s), {r.submissions} submission(s), {r.snapshots_deleted} code snapshot(s), "
                f"{self.grading_runs} grading run(s), "
                f"{r.integrity_events} integrity signal(s), {r.scorecards} scorecard(s) and "
                f"{r.dimension_scores} dimension score(s) cleared; name and e-mail replaced; "
                f"{r.invitations_withdrawn} open link(s) withdrawn")


def personal_data_erase(*, candidate: Candidate, why: str, actor: AbstractBaseUser | None = None,
                        request: HttpRequest | None = None, track_slug: str = "") -> ErasureReport:
    """Erase the candidate's personal data everywhere, now, and record it. One transaction: all or nothing."""
    with transaction.atomic():
        candidate = Candidate.objects.select_for_update().get(pk=candidate.pk)
        attempt_ids = list(Attempt.objects.filter(invitation__candidate=candidate).values_list("pk", flat=True))
        runs = runs_purge(attempt_ids=attempt_ids)          # the runs first: they point at submissions
        records = candidate_purge(candidate=candidate)     # then the answers, scores' text and the identity
        audit_record(action="erase", what=f"personal data erased ({why})"[:300], actor=actor, request=request,
                     candidate_id=candidate.pk, candidate_code=candidate.code, object_type="assessments.candidate",
                     object_id=candidate.pk, track_slug=track_slug)
    return ErasureReport(code=candidate.code, records=records, grading_runs=runs)


def candidate_erase(*, candidate: Candidate, actor: AbstractBaseUser | None, request: HttpRequest | None = None,
                    confirm_code: str | None = None) -> ErasureReport:
    """Erasure on request: now, whatever the retention policy says. With `confirm_code` (what the admin typed),
    refused unless it is the candidate's code, so a slip of the mouse erases nothing."""
    if confirm_code is not None and confirm_code.strip().upper() != candidate.code:
        raise AssessmentError(f"Type the candidate's code, {candidate.code}, to confirm the erasure.")
    return personal_data_erase(candidate=candidate, why="on request", actor=actor, request=request)


# --- the privacy page -------------------------------------------------------------------------------------------


def candidate_for_privacy(*, candidate_id: int) -> Candidate:
    candidate = Candidate.objects.filter(pk=candidate_id).first()
    if candidate is None:
        raise NotFound("No such candidate.")
    return candidate


@dataclass(frozen=True)
class InvitationRow:
    invitation: Invitation
    attempt: Attempt | None


@dataclass(frozen=True)
class CandidatePrivacyPage:
    candidate: Candidate
    invitations: list[InvitationRow]
    retention: Retention


def candidate_privacy_get(*, candidate_id: int) -> CandidatePrivacyPage:
    candidate = (Candidate.objects.filter(pk=candidate_id)
                 .prefetch_related(Prefetch("invitations", queryset=Invitation.objects.select_related("track",
                                                                                                      "attempt")))
                 .first())
    if candidate is None:
        raise NotFound("No such candidate.")
    rows = [InvitationRow(invitation=i, attempt=getattr(i, "attempt", None)) for i in candidate.invitations.all()]
    return CandidatePrivacyPage(candidate=candidate, invitations=rows,
                                retention=candidate_retention(candidate=candidate))


# --- the archive ------------------------------------------------------------------------------------------------

README = """\
Your data from Interview Track
==============================

This archive holds the personal data kept about you (candidate {code}), as of {generated}.

candidate.json          Who you are to us (name, e-mail, notes), your invitations and, for each exam you
                        started, its timeline: when it started, when you agreed to the notice (and which
                        version of it, with its text), your saves, the signals recorded, when it was submitted.
answers/                Your answers: the final submitted answer of each question (.md for written answers,
                        .py for code); "<question>.last-saved.*" where your last saved answer differs from it.
                        Unanswered questions have no file. With more than one exam, one folder per attempt.
snapshots/              For code questions, your code as it was kept at successive saves:
                        snapshots/<question>/<revision>.py
results.json            Automated results per question: the verdict and score of your graded submission, and of
                        every run of the tests (for the visible tests, also their messages and your code's
                        output, as you saw them; the hidden tests are summarised, not named).
scores.json             The interviewers' submitted scorecards: the level given on each rubric dimension, the
                        evidence written for it, the overall recommendation and summary. Interviewers are
                        numbered, not named.
integrity_events.json   The signals recorded during the exam: the page losing or regaining focus, pastes and
                        their size, with the server's time and your browser's.

Dates and times are UTC, ISO 8601. To have this data erased, ask your recruiter.
"""


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _ext(kind: str) -> str:
    return ".py" if kind == QuestionKind.CODING else ".md"


def _json(data: Any) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False, sort_keys=False) + "\n"


def _run_json(run: GradingRun) -> dict:
    out = {"run": str(run.pk), "suite": run.suite, "status": run.status, "verdict": run.verdict or None,
           "score": run.score, "requested_at": _iso(run.created_at), "finished_at": _iso(run.finished_at)}
    result = GradingResult.from_json(run.result) if run.result else None
    if result is None:
        return out
    out["tests_passed"] = sum(t.passed for t in result.tests)
    out["tests_counted"] = sum(1 for t in result.tests if t.outcome != "skipped")
    if run.suite == Suite.VISIBLE:  # what the candidate saw on the exam page
        out["tests"] = [t.to_json() for t in result.tests]
        out["output"] = result.candidate_output
    else:
        out["benchmarks"] = {k: {"passed": b.passed, "score": b.score} for k, b in result.benchmarks.items()}
    return out


def _automated_json(score: AutomatedScore) -> dict:
    summary = ResultSummary.from_json(score.details or {}, verdict=score.verdict, score=score.score)
    return {"verdict": score.verdict, "score": score.score, "graded_at": _iso(score.graded_at),
            "tests_passed": summary.passed_tests, "tests_counted": summary.counted_tests,
            "benchmarks": {k: {"passed": b.passed, "score": b.score} for k, b in summary.benchmarks.items()}}


def candidate_export_archive(*, candidate: Candidate) -> bytes:
    """One ZIP of everything kept about the candidate (README.txt inside says what each file holds)."""
    invitations = list(Invitation.objects.filter(candidate=candidate).select_related("track", "attempt")
                       .order_by("created_at"))
    attempts = [i.attempt for i in invitations if getattr(i, "attempt", None) is not None]
    track_of = {i.attempt.pk: i.track.slug for i in invitations if getattr(i, "attempt", None) is not None}
    ids = [a.pk for a in attempts]
    responses = list(Response.objects.filter(attempt_id__in=ids).select_related("question"))
    submissions = list(Submission.objects.filter(attempt_id__in=ids).select_related("question"))
    snapshots = list(ResponseSnapshot.objects.filter(attempt_id__in=ids).select_related("question")
                     .order_by("attempt", "question__slug", "revision"))
    events = list(IntegrityEvent.objects.filter(attempt_id__in=ids).select_related("question")
                  .order_by("attempt", "created_at"))
    scores = {s.submission_id: s for s in AutomatedScore.objects.filter(submission__attempt_id__in=ids)}
    runs = list(GradingRun.objects.filter(Q(attempt_id__in=ids) | Q(submission__attempt_id__in=ids))
                .select_related("question", "submission").order_by("created_at"))
    cards = list(Scorecard.objects.filter(attempt_id__in=ids, status=ScorecardStatus.SUBMITTED)
                 .select_related("supersedes").order_by("attempt", "submitted_at"))
    dims = list(DimensionScore.objects.filter(scorecard__in=cards)
                .select_related("question", "dimension", "level").order_by("scorecard", "question__slug",
                                                                           "dimension__order"))
    several = len(attempts) > 1

    def folder(root: str, attempt_id: int) -> PurePosixPath:
        return PurePosixPath(root, f"attempt-{attempt_id}") if several else PurePosixPath(root)

    files: dict[str, str] = {}
    # candidate.json, with each attempt's timeline
    timelines: dict[int, list[dict]] = {a.pk: [] for a in attempts}
    for r in responses:
        if r.revision:
            timelines[r.attempt_id].append({"at": _iso(r.updated_at), "event": f"last save (revision {r.revision})",
                                            "question": r.question.slug})
    for s in snapshots:
        timelines[s.attempt_id].append({"at": _iso(s.created_at), "event": f"code kept (revision {s.revision})",
                                        "question": s.question.slug})
    for e in events:
        timelines[e.attempt_id].append({"at": _iso(e.created_at), "event": e.get_kind_display(),
                                        "question": e.question.slug if e.question else None})
    invitation_rows = []
    for i in invitations:
        attempt = getattr(i, "attempt", None)
        row: dict[str, Any] = {
            "track": {"slug": i.track.slug, "title": i.track.title, "version": i.track.version},
            "invited_at": _iso(i.created_at), "expires_at": _iso(i.expires_at),
            "window_opens_at": _iso(i.window_opens_at), "window_closes_at": _iso(i.window_closes_at),
            "extra_time_minutes": i.extra_time_minutes, "withdrawn_at": _iso(i.revoked_at), "attempt": None,
            "adjustments": [{"requested_at": _iso(a.created_at), "extra_percent": a.extra_percent,
                             "details": a.details, "status": a.status, "granted_minutes": a.granted_minutes,
                             "reply": a.reply, "decided_at": _iso(a.decided_at)} for a in i.accommodations.all()]}
        if attempt is not None:
            notice = notice_for(attempt.consent_version)
            timeline = [{"at": _iso(attempt.started_at), "event": "started", "question": None}]
            if attempt.consented_at:
                timeline.append({"at": _iso(attempt.consented_at), "event": "agreed to the notice", "question": None})
            timeline += timelines[attempt.pk]
            if attempt.submitted_at:
                timeline.append({"at": _iso(attempt.submitted_at),
                                 "event": f"submitted ({attempt.get_submit_reason_display().lower()})",
                                 "question": None})
            timeline.sort(key=lambda t: t["at"] or "")
            row["attempt"] = {
                "id": attempt.pk, "status": attempt.status, "started_at": _iso(attempt.started_at),
                "deadline_at": _iso(attempt.deadline_at), "submitted_at": _iso(attempt.submitted_at),
                "extra_minutes": attempt.extra_minutes, "consented_at": _iso(attempt.consented_at),
                "consent_version": attempt.consent_version or None, "consent_text": notice.text if notice else None,
                "timeline": timeline}
        invitation_rows.append(row)
    files["candidate.json"] = _json({
        "generated_at": _iso(timezone.now()),
        "candidate": {"code": candidate.code, "full_name": candidate.full_name, "email": candidate.email,
                      "notes": candidate.notes, "created_at": _iso(candidate.created_at),
                      "erased_at": _iso(candidate.erased_at)},
        "invitations": invitation_rows})

    # answers/ and snapshots/
    final = {(s.attempt_id, s.question_id): s for s in submissions}
    saved = {(r.attempt_id, r.question_id): r for r in responses}
    for key in sorted(set(final) | set(saved)):
        sub, resp = final.get(key), saved.get(key)
        question = (sub or resp).question
        base = folder("answers", key[0]) / question.slug
        answer = sub.body if sub is not None else resp.body
        if answer:
            files[f"{base}{_ext(question.kind)}"] = answer
        if resp is not None and sub is not None and resp.body and resp.body != sub.body:
            files[f"{base}.last-saved{_ext(question.kind)}"] = resp.body
    for s in snapshots:
        files[str(folder("snapshots", s.attempt_id) / s.question.slug / f"{s.revision}.py")] = s.body

    # results.json
    results = []
    for attempt in attempts:
        questions: dict[str, dict] = {}
        for sub in (s for s in submissions if s.attempt_id == attempt.pk):
            if sub.pk in scores:
                questions.setdefault(sub.question.slug, {"question": sub.question.slug, "title": sub.question.title,
                                                         "automated_score": None, "runs": []})
                questions[sub.question.slug]["automated_score"] = _automated_json(scores[sub.pk])
        for run in runs:
            if attempt.pk in (run.attempt_id, run.submission.attempt_id if run.submission else None):
                entry = questions.setdefault(run.question.slug, {"question": run.question.slug,
                                                                 "title": run.question.title,
                                                                 "automated_score": None, "runs": []})
                entry["runs"].append(_run_json(run))
        results.append({"attempt": attempt.pk, "track": track_of[attempt.pk],
                        "questions": sorted(questions.values(), key=lambda q: q["question"])})
    files["results.json"] = _json(results)

    # scores.json: submitted scorecards; interviewers numbered per attempt, in the order they first submitted
    numbers: dict[tuple[int, int], int] = {}
    by_card: dict[int, list[DimensionScore]] = {}
    for d in dims:
        by_card.setdefault(d.scorecard_id, []).append(d)
    superseded = {c.supersedes_id for c in cards if c.supersedes_id}
    slugs = {q.pk: q.slug for q in (s.question for s in submissions)}
    score_rows = []
    for card in cards:
        who = numbers.setdefault((card.attempt_id, card.interviewer_id),
                                 1 + sum(1 for a, _ in numbers if a == card.attempt_id))
        score_rows.append({
            "attempt": card.attempt_id, "interviewer": f"Interviewer {who}", "submitted_at": _iso(card.submitted_at),
            "recommendation": card.get_recommendation_display() if card.recommendation else None,
            "summary": card.summary, "amends_earlier_scorecard": card.supersedes_id is not None,
            "amendment_reason": card.amendment_reason or None, "superseded_by_amendment": card.pk in superseded,
            "notes": {slugs.get(int(k), str(k)) if str(k).isdigit() else str(k): v
                      for k, v in (card.notes or {}).items()},
            "scores": [{"question": d.question.slug, "dimension": d.dimension.slug,
                        "dimension_title": d.dimension.title, "level": d.level.score, "level_label": d.level.label,
                        "evidence": d.evidence} for d in by_card.get(card.pk, [])]})
    files["scores.json"] = _json(score_rows)

    files["integrity_events.json"] = _json([
        {"attempt": e.attempt_id, "at": _iso(e.created_at), "kind": e.kind, "what": e.get_kind_display(),
         "question": e.question.slug if e.question else None, "pasted_chars": e.chars,
         "browser_clock": _iso(e.client_at)} for e in events])
    files["README.txt"] = README.format(code=candidate.code, generated=f"{timezone.now():%Y-%m-%d %H:%M} UTC")

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name in ["README.txt", "candidate.json", *sorted(set(files) - {"README.txt", "candidate.json"})]:
            archive.writestr(name, files[name])
    return buffer.getvalue()


def candidate_export(*, candidate: Candidate, actor: AbstractBaseUser | None,
                     request: HttpRequest | None = None) -> bytes:
    """The archive, recorded in the audit trail as an export by `actor`."""
    data = candidate_export_archive(candidate=candidate)
    audit_record(action="export", what="personal data archive", actor=actor, request=request,
                 candidate_id=candidate.pk, candidate_code=candidate.code, object_type="assessments.candidate",
                 object_id=candidate.pk)
    return data

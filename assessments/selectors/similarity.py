"""Reads for the code-similarity view (access is checked by the caller): each coding lab's submissions of a
track compared pairwise (assessments.reporting.similarity), the starter's code excluded, the threshold calibrated
on the lab's own right solutions. Evidence for a person, never a verdict."""

from __future__ import annotations

from dataclasses import dataclass

from .. import access
from ..access import User
from ..errors import NotFound
from ..models import AttemptStatus, KnownSolution, Question, QuestionFiles, SectionQuestion, Submission
from ..reporting import similarity


@dataclass(frozen=True)
class FlaggedPair:
    a: Submission
    b: Submission
    label_a: str
    label_b: str
    match: similarity.Match


@dataclass(frozen=True)
class KnownMatch:
    """A submission that matches a solution known from outside the cohort: the reference or an uploaded leak."""

    submission: Submission
    label: str
    source: str          # "reference" or "known-<id>": the side-by-side page's key
    source_label: str
    match: similarity.Match


@dataclass(frozen=True)
class LabSimilarity:
    question: Question
    threshold: float
    submissions: int
    pairs: list[FlaggedPair]
    known: list[KnownMatch]
    known_count: int     # uploaded leaks compared against (the reference is always compared)


def _right_solutions(question: Question) -> list[str]:
    files = QuestionFiles.objects.filter(question=question).values_list("files", flat=True).first() or {}
    return [text for path, text in files.items() if isinstance(text, str) and path.endswith(".py")
            and (path.startswith("variants/right/") or path.startswith("reference/"))]


def _reference(question: Question) -> str:
    config = question.coding or {}
    files = QuestionFiles.objects.filter(question=question).values_list("files", flat=True).first() or {}
    return files.get(f"reference/{config.get('entrypoint', 'solution.py')}", "")


def _known_sources(question: Question) -> dict[str, tuple[str, str]]:
    """key -> (label, code): the reference and every leak uploaded for the lab (by slug: any version)."""
    out = {"reference": ("Reference solution", _reference(question))}
    for k in KnownSolution.objects.filter(question_slug=question.slug):
        out[f"known-{k.pk}"] = (f"Known solution: {k.source}", k.body)
    return {key: v for key, v in out.items() if v[1].strip()}


def _starter(question: Question) -> str:
    config = question.coding or {}
    return question.starter_files.get(config.get("entrypoint", "solution.py"), "")


def _submissions(question: Question, track_slug: str) -> list[Submission]:
    return list(Submission.objects.filter(question=question, attempt__track__slug=track_slug,
                                          attempt__status=AttemptStatus.SUBMITTED)
                .exclude(body="").select_related("attempt__invitation__candidate", "attempt__track"))


def track_similarity(*, track_slug: str, user: User) -> list[LabSimilarity]:
    labs = []
    managed = access.managed_track_slugs(user=user)
    questions = [sq.question for sq in SectionQuestion.objects.filter(
        section__track__slug=track_slug, section__track__is_current=True, question__kind="coding")
        .select_related("question").order_by("section__order", "order")]
    for question in questions:
        # Every version of the lab on this track: a content update must not split a cohort.
        subs = [s for q in Question.objects.filter(slug=question.slug) for s in _submissions(q, track_slug)]
        starter = _starter(question)
        threshold = similarity.calibrated_threshold(_right_solutions(question), starter=starter)
        by_id = {str(s.pk): s for s in subs}
        pairs = similarity.cohort({k: s.body for k, s in by_id.items()}, starter=starter, threshold=threshold)
        known = _known_sources(question)
        hits = similarity.against_known({k: s.body for k, s in by_id.items()}, {k: v[1] for k, v in known.items()},
                                        starter=starter, threshold=threshold)
        labs.append(LabSimilarity(question=question, threshold=threshold, submissions=len(subs), pairs=[
            FlaggedPair(a=by_id[p.a], b=by_id[p.b], match=p.match,
                        label_a=access.candidate_label(attempt=by_id[p.a].attempt, user=user, managed=managed),
                        label_b=access.candidate_label(attempt=by_id[p.b].attempt, user=user, managed=managed))
            for p in pairs], known=[
            KnownMatch(submission=by_id[h.a], source=h.b, source_label=known[h.b][0], match=h.match,
                       label=access.candidate_label(attempt=by_id[h.a].attempt, user=user, managed=managed))
            for h in hits], known_count=sum(1 for k in known if k.startswith("known-"))))
    return labs


@dataclass(frozen=True)
class SideBySide:
    question: Question
    a: Submission
    b: Submission | None  # None: a known solution (the reference or a leak), named by label_b
    label_a: str
    label_b: str
    match: similarity.Match
    lines_a: list[tuple[int, str, bool]]   # (number, text, matched)
    lines_b: list[tuple[int, str, bool]]


def _lines(body: str, regions: list[tuple[int, int]]) -> list[tuple[int, str, bool]]:
    return [(n, text, any(lo <= n <= hi for lo, hi in regions)) for n, text in enumerate(body.splitlines(), 1)]


def pair_side_by_side(*, track_slug: str, a_id: int, b_id: int, user: User) -> SideBySide:
    subs = {s.pk: s for s in Submission.objects.filter(pk__in=[a_id, b_id], attempt__track__slug=track_slug)
            .select_related("question", "attempt__invitation__candidate", "attempt__track")}
    a, b = subs.get(a_id), subs.get(b_id)
    if a is None or b is None or a.question.slug != b.question.slug or not a.question.is_coding:
        raise NotFound("No such pair")
    starter = _starter(a.question)
    ignore = similarity.fingerprints(starter).hashes() if starter else set()
    match = similarity.compare(similarity.fingerprints(a.body), similarity.fingerprints(b.body), ignore=ignore)
    managed = access.managed_track_slugs(user=user)
    return SideBySide(question=a.question, a=a, b=b, match=match,
                      label_a=access.candidate_label(attempt=a.attempt, user=user, managed=managed),
                      label_b=access.candidate_label(attempt=b.attempt, user=user, managed=managed),
                      lines_a=_lines(a.body, match.regions_a), lines_b=_lines(b.body, match.regions_b))


def known_side_by_side(*, track_slug: str, a_id: int, source: str, user: User) -> SideBySide:
    """One submission next to the reference or an uploaded known solution of its lab."""
    a = (Submission.objects.filter(pk=a_id, attempt__track__slug=track_slug, attempt__status=AttemptStatus.SUBMITTED)
         .select_related("question", "attempt__invitation__candidate", "attempt__track").first())
    if a is None or not a.question.is_coding:
        raise NotFound("No such submission")
    known = _known_sources(a.question)
    if source not in known:
        raise NotFound("No such known solution for this lab")
    label_b, body_b = known[source]
    starter = _starter(a.question)
    ignore = similarity.fingerprints(starter).hashes() if starter else set()
    match = similarity.compare(similarity.fingerprints(a.body), similarity.fingerprints(body_b), ignore=ignore)
    return SideBySide(question=a.question, a=a, b=None, match=match,
                      label_a=access.candidate_label(attempt=a.attempt, user=user,
                                                     managed=access.managed_track_slugs(user=user)),
                      label_b=label_b, lines_a=_lines(a.body, match.regions_a),
                      lines_b=_lines(body_b, match.regions_b))

"""Content: load validated specs into versioned rows, in one transaction."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.db.models import Max

from ..content import ContentBundle, QuestionSpec, RubricSpec, TrackSpec, load_content
from ..models import (
    Competency,
    Question,
    QuestionFiles,
    Rubric,
    RubricDescriptor,
    RubricDimension,
    RubricLevel,
    Section,
    SectionQuestion,
    Track,
)


@dataclass
class SyncReport:
    created: dict[str, int] = field(default_factory=lambda: {"rubric": 0, "question": 0, "track": 0})
    unchanged: dict[str, int] = field(default_factory=lambda: {"rubric": 0, "question": 0, "track": 0})
    retired: dict[str, int] = field(default_factory=lambda: {"rubric": 0, "question": 0, "track": 0})

    def line(self) -> str:
        return "; ".join(
            f"{kind}s: {self.created[kind]} new version(s), {self.unchanged[kind]} unchanged, "
            f"{self.retired[kind]} retired"
            for kind in ("rubric", "question", "track")
        )


def _next_version(model: type[Rubric | Question | Track], slug: str) -> int:
    return (model.objects.filter(slug=slug).aggregate(v=Max("version"))["v"] or 0) + 1


def _current_or_none(model, slug: str, content_hash: str):
    """The current row if its hash matches, else None after retiring the stale current row."""
    current = model.objects.select_for_update().filter(slug=slug, is_current=True).first()
    if current and current.content_hash == content_hash:
        return current
    if current:
        current.is_current = False
        current.save(update_fields=["is_current"])
    return None


def _rubric_sync(spec: RubricSpec, report: SyncReport) -> Rubric:
    rubric = _current_or_none(Rubric, spec.slug, spec.content_hash)
    if rubric:
        report.unchanged["rubric"] += 1
        return rubric
    rubric = Rubric.objects.create(
        slug=spec.slug, version=_next_version(Rubric, spec.slug), content_hash=spec.content_hash,
        source_path=spec.source_path, title=spec.title, description=spec.description, applies_to=spec.applies_to,
    )
    levels = {lv.score: RubricLevel.objects.create(rubric=rubric, score=lv.score, label=lv.label, bar=lv.bar)
              for lv in spec.scale}
    for order, dim in enumerate(spec.dimensions):
        dimension = RubricDimension.objects.create(rubric=rubric, slug=dim.slug, title=dim.title,
                                                   description=dim.description, weight=dim.weight, order=order)
        RubricDescriptor.objects.bulk_create(
            RubricDescriptor(dimension=dimension, level=levels[score], text=text)
            for score, text in sorted(dim.descriptors.items())
        )
    report.created["rubric"] += 1
    return rubric


def _question_sync(spec: QuestionSpec, rubrics: dict[str, Rubric], competencies: dict[str, Competency],
                   report: SyncReport) -> Question:
    question = _current_or_none(Question, spec.slug, spec.content_hash)
    if question:
        report.unchanged["question"] += 1
        return question
    question = Question.objects.create(
        slug=spec.slug, version=_next_version(Question, spec.slug), content_hash=spec.content_hash,
        source_path=spec.source_path, kind=spec.kind, title=spec.title, summary=spec.summary,
        prompt_md=spec.prompt_md, guidance=spec.guidance, rubric=rubrics.get(spec.rubric) if spec.rubric else None,
        time_estimate_minutes=spec.time_estimate_minutes, coding=spec.coding.to_json() if spec.coding else None,
        starter_files=spec.starter_files, visible_tests=spec.visible_tests, visible_files=spec.visible_files,
        hidden_test_names=spec.hidden_test_names,
    )
    question.competencies.set([competencies[c] for c in spec.competencies])
    QuestionFiles.objects.create(question=question, files=spec.files)
    report.created["question"] += 1
    return question


def _track_sync(spec: TrackSpec, questions: dict[str, Question], report: SyncReport) -> Track:
    track = _current_or_none(Track, spec.slug, spec.content_hash)
    if track:
        report.unchanged["track"] += 1
        return track
    track = Track.objects.create(
        slug=spec.slug, version=_next_version(Track, spec.slug), content_hash=spec.content_hash,
        source_path=spec.source_path, title=spec.title, summary=spec.summary, description_md=spec.description_md,
        automated_weight=spec.automated_weight, human_weight=spec.human_weight,
        anonymised_review=spec.anonymised_review,
    )
    for order, sec in enumerate(spec.sections):
        section = Section.objects.create(track=track, slug=sec.slug, title=sec.title, order=order,
                                         time_limit_minutes=sec.time_limit_minutes, intro_md=sec.intro_md)
        SectionQuestion.objects.bulk_create(
            SectionQuestion(section=section, question=questions[slug], order=i, weight=weight)
            for i, (slug, weight) in enumerate(sec.questions)
        )
    report.created["track"] += 1
    return track


@transaction.atomic
def content_sync_bundle(*, bundle: ContentBundle) -> SyncReport:
    """Load a validated bundle. Unchanged content is a no-op; changed content gets a new version."""
    report = SyncReport()
    competencies = {}
    for spec in bundle.competencies:
        competencies[spec.slug], _ = Competency.objects.update_or_create(
            slug=spec.slug, defaults={"name": spec.name, "description": spec.description, "order": spec.order}
        )
    rubrics = {slug: _rubric_sync(spec, report) for slug, spec in bundle.rubrics.items()}
    questions = {slug: _question_sync(spec, rubrics, competencies, report) for slug, spec in bundle.questions.items()}
    for spec in bundle.tracks.values():
        _track_sync(spec, questions, report)
    # Content removed from disk stops being current; its rows stay for the attempts that use them.
    for model, kind, present in ((Rubric, "rubric", rubrics), (Question, "question", questions),
                                 (Track, "track", bundle.tracks)):
        report.retired[kind] = model.objects.filter(is_current=True).exclude(slug__in=list(present)).update(
            is_current=False
        )
    return report


def content_sync(
    *, exercises_dir: Path | None = None, rubrics_dir: Path | None = None
) -> tuple[ContentBundle, SyncReport]:
    """Validate the content folders, then load them in one transaction (ContentError changes nothing)."""
    bundle = load_content(exercises_dir or settings.CONTENT_EXERCISES_DIR, rubrics_dir or settings.CONTENT_RUBRICS_DIR)
    return bundle, content_sync_bundle(bundle=bundle)



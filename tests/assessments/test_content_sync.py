"""Loading content: one transaction, no-op when unchanged, new versions when changed."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.core.management import call_command

from assessments.models import Attempt, Question, QuestionFiles, Rubric, SectionQuestion, Track
from assessments.services import attempt_start, candidate_create, content_sync, invitation_create

pytestmark = pytest.mark.django_db


def _sync(root: Path):
    return content_sync(exercises_dir=root / "exercises", rubrics_dir=root / "rubrics")


def test_check_prints_one_line_summary_of_the_shipped_track(capsys):
    call_command("sync_content", "--check")
    out = capsys.readouterr().out.strip().splitlines()
    assert len(out) == 1
    line = out[0]
    assert line.startswith("OK: 1 track(s), ")
    counts = dict((kind, int(n)) for n, kind in re.findall(r"(\d+) (coding|design|live|written)", line))
    assert counts["coding"] >= 4
    assert counts["design"] == 3
    assert counts["written"] >= 8  # five R&D prompts and three production incidents
    assert counts["live"] >= 1
    assert re.search(r"\b3 rubric\(s\)", line)
    assert Question.objects.count() == 0, "--check must not write"


def test_shipped_track_has_every_seed_question(synced_content):
    track = Track.objects.get(slug="advanced-ml-speech", is_current=True)
    assert track.title == "Advanced ML & Speech ML Engineering"
    slugs = set(SectionQuestion.objects.filter(section__track=track).values_list("question__slug", flat=True))
    expected = {
        "asr-objectives-streaming", "conformer-conv-attention", "adapt-or-bias", "discrete-audio-tokens",
        "transfer-to-speech", "streaming-asr-call-center", "voice-assistant-barge-in", "multi-team-serving-platform",
        "p99-latency-regression", "wer-improved-usefulness-dropped", "notebook-to-production",
        "softmax-cross-entropy-bug", "ctc-greedy-decode", "ctc-loss-padding-mask", "wer-by-slice",
    }
    assert expected <= slugs
    for q in Question.objects.filter(slug__in=slugs):
        assert q.competencies.exists(), q.slug
        assert all(len(q.guidance[k]) >= 2 for k in ("strong_answer", "failure_modes", "follow_ups")), q.slug
        if q.kind != "coding":
            assert q.rubric is not None, q.slug
    assert Question.objects.get(slug="softmax-cross-entropy-bug").coding_config.entrypoint == "solution.py"
    leveled = Rubric.objects.get(slug="systems-leveled")
    assert [lv.bar for lv in leveled.levels.order_by("score")][-3:] == ["senior", "staff", "principal"]
    assert Question.objects.get(slug="streaming-asr-call-center").rubric.slug == "systems-leveled"
    assert Question.objects.get(slug="p99-latency-regression").rubric.slug == "systems-leveled"
    assert Question.objects.get(slug="conformer-conv-attention").rubric.slug == "rd-depth"


def test_hidden_tests_are_stored_apart_from_the_public_question(synced_content):
    q = Question.objects.get(slug="softmax-cross-entropy-bug")
    assert "solution.py" in q.starter_files
    assert not any("hidden" in name for name in q.starter_files)
    files = QuestionFiles.objects.get(question=q).files
    assert any(name.startswith("tests/hidden/") for name in files)


def test_second_sync_is_a_no_op(content_root):
    _, first = _sync(content_root)
    assert first.created == {"rubric": 1, "question": 2, "track": 1}
    _, second = _sync(content_root)
    assert second.created == {"rubric": 0, "question": 0, "track": 0}
    assert second.unchanged == {"rubric": 1, "question": 2, "track": 1}
    assert Question.objects.count() == 2 and Track.objects.count() == 1


def test_changed_question_creates_a_version_and_keeps_the_old_one_for_past_attempts(content_root):
    _sync(content_root)
    old_track = Track.objects.get(slug="mini")
    invitation = invitation_create(candidate=candidate_create(full_name="A B", email="a@example.com"), track=old_track)
    attempt = attempt_start(invitation=invitation)
    old_q = Question.objects.get(slug="explain-ctc", is_current=True)

    (content_root / "exercises/explain-ctc/prompt.md").write_text("Explain CTC **and** RNN-T.\n")
    _, report = _sync(content_root)

    assert report.created == {"rubric": 0, "question": 1, "track": 1}
    old_q.refresh_from_db()
    new_q = Question.objects.get(slug="explain-ctc", is_current=True)
    assert (old_q.version, old_q.is_current, old_q.prompt_md) == (1, False, "Explain **CTC**.")
    assert (new_q.version, new_q.prompt_md) == (2, "Explain CTC **and** RNN-T.")
    assert new_q.content_hash != old_q.content_hash
    assert new_q.source_path == old_q.source_path == "exercises/explain-ctc"
    # The attempt still walks the old track version, which still holds the old question.
    attempt = Attempt.objects.get(pk=attempt.pk)
    assert attempt.track_id == old_track.pk
    assert set(SectionQuestion.objects.filter(section__track=attempt.track).values_list("question_id", flat=True)) >= {
        old_q.pk}
    new_track = Track.objects.get(slug="mini", is_current=True)
    assert new_track.version == 2
    assert SectionQuestion.objects.filter(section__track=new_track, question=new_q).exists()
    # The unchanged coding question is shared by both track versions, not copied.
    assert Question.objects.filter(slug="add-two").count() == 1


def test_changed_hidden_test_is_a_new_version_too(content_root):
    _sync(content_root)
    (content_root / "exercises/add-two/tests/hidden/test_hidden.py").write_text(
        "from solution import add\n\ndef test_add():\n    assert add(-1, 1) == 0\n")
    _, report = _sync(content_root)
    assert report.created["question"] == 1
    v1, v2 = Question.objects.filter(slug="add-two").order_by("version")
    assert "add(2, 3)" in v1.files.files["tests/hidden/test_hidden.py"]
    assert "add(-1, 1)" in v2.files.files["tests/hidden/test_hidden.py"]


def test_rubric_change_cascades_to_questions_and_track(content_root):
    _sync(content_root)
    rubric = content_root / "rubrics/basic.yaml"
    rubric.write_text(rubric.read_text().replace("Deep.", "Deep and precise."))
    _, report = _sync(content_root)
    assert report.created == {"rubric": 1, "question": 1, "track": 1}  # add-two has no rubric: unchanged
    assert Question.objects.get(slug="explain-ctc", is_current=True).rubric.version == 2
    assert Question.objects.get(slug="explain-ctc", version=1).rubric.version == 1


def test_removed_question_is_retired_not_deleted(content_root):
    _sync(content_root)
    track = content_root / "exercises/tracks/mini.yaml"
    track.write_text(track.read_text().split("  - slug: two")[0])
    import shutil

    shutil.rmtree(content_root / "exercises/add-two")
    _, report = _sync(content_root)
    assert report.retired["question"] == 1
    assert Question.objects.filter(slug="add-two", is_current=False).count() == 1


def test_sync_command_reports_versions(content_root, capsys):
    call_command("sync_content", exercises=str(content_root / "exercises"), rubrics=str(content_root / "rubrics"))
    out = capsys.readouterr().out
    assert "Synced: 1 track(s), 2 question(s) (1 coding, 1 written), 1 rubric(s), 2 competencies" in out
    assert "questions: 2 new version(s), 0 unchanged, 0 retired" in out

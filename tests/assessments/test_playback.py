"""Code playback's read-model (assessments.selectors.playback): the compressed timeline against hand-computed
positions, marks on the snapshot at or just before them, coding labs only, revision order, erasure, fixed queries."""

from __future__ import annotations

from datetime import datetime, timedelta
from types import SimpleNamespace

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from assessments import services
from assessments.errors import NotFound
from assessments.models import Question, ResponseSnapshot, SectionQuestion
from assessments.selectors.playback import (
    EventPoint,
    SnapshotPoint,
    changed_lines,
    clock_label,
    default_idle_gap_s,
    playback_get,
    playback_question,
    playback_timeline,
    split_lines,
)
from tests.factories import UserFactory

T0 = datetime(2025, 3, 1, 9, 0, 0)


def _at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def _snaps(*offsets: float) -> list[SnapshotPoint]:
    return [SnapshotPoint(revision=i + 1, body=f"x = {i}\n", at=_at(s)) for i, s in enumerate(offsets)]


# --- the timeline, plain computation ------------------------------------------------------------------------------


def test_idle_gaps_are_shortened_to_the_cap_and_shorter_gaps_kept():
    # Gaps: 12 s (kept), 300 s (idle: 30), 23 s (kept) -> positions 0, 12, 42, 65.
    frames, _ = playback_timeline(started_at=T0, snapshots=_snaps(5, 17, 317, 340), events=[], idle_gap_s=30)
    assert [f.position_s for f in frames] == [0, 12, 42, 65]
    assert [f.elapsed_s for f in frames] == [5, 17, 317, 340]  # real time since the start is not compressed
    assert [f.index for f in frames] == [0, 1, 2, 3]
    # The same saves with a 10 s cap: 4 (kept), 300 -> 10, 7 (kept) -> 0, 4, 14, 21.
    frames, _ = playback_timeline(started_at=T0, snapshots=_snaps(5, 9, 309, 316), events=[], idle_gap_s=10)
    assert [f.position_s for f in frames] == [0, 4, 14, 21]


def test_the_default_cap_is_three_snapshot_intervals(settings):
    settings.EXAM_SNAPSHOT_INTERVAL_S = 10
    assert default_idle_gap_s() == 30
    settings.EXAM_SNAPSHOT_INTERVAL_S = 2
    assert default_idle_gap_s() == 10  # never below 10 s


def test_marks_sit_on_the_snapshot_at_or_just_before_them():
    events = [
        EventPoint(kind="paste", at=_at(20), chars=812),      # 3 s after frame 1 (at 17): 12 + 3
        EventPoint(kind="paste", at=_at(2), chars=5),         # before any snapshot: the first one, at 0
        EventPoint(kind="run", at=_at(317), verdict="failed"),  # exactly at frame 2: that frame
        EventPoint(kind="run", at=_at(400), verdict="passed"),  # after the last: the last, at its position
        EventPoint(kind="paste", at=_at(100), chars=None),    # inside the idle gap: 12 + min(83, 30) = 42
    ]
    _, marks = playback_timeline(started_at=T0, snapshots=_snaps(5, 17, 317, 340), events=events, idle_gap_s=30)
    # Sorted by time.
    assert [(m.kind, m.elapsed_s, m.frame_index, m.position_s) for m in marks] == [
        ("paste", 2, 0, 0),
        ("paste", 20, 1, 15),
        ("paste", 100, 1, 42),
        ("run", 317, 2, 42),
        ("run", 400, 3, 65),
    ]
    assert [m.label for m in marks] == ["Pasted 5 characters", "Pasted 812 characters", "Pasted text",
                                        "Ran the visible tests: failed", "Ran the visible tests: passed"]


def test_frames_follow_revisions_and_a_clock_that_stepped_back_counts_as_no_time():
    snaps = [SnapshotPoint(revision=3, body="c", at=_at(50)), SnapshotPoint(revision=1, body="a", at=_at(10)),
             SnapshotPoint(revision=2, body="b", at=_at(40)), SnapshotPoint(revision=4, body="d", at=_at(45))]
    frames, marks = playback_timeline(started_at=T0, snapshots=snaps,
                                      events=[EventPoint(kind="run", at=_at(47))], idle_gap_s=30)
    assert [f.revision for f in frames] == [1, 2, 3, 4]
    assert [f.body for f in frames] == ["a", "b", "c", "d"]
    # 10 -> 40: 30; 40 -> 50: 10; 50 -> 45: backwards, 0.
    assert [f.position_s for f in frames] == [0, 30, 40, 40]
    # At 47 s the latest code already saved is revision 2's (40 s); revision 3 was saved at 50 s.
    assert (marks[0].frame_index, marks[0].position_s) == (1, 37)


def test_changed_lines_mark_inserted_and_replaced_lines_only():
    assert changed_lines(None, "a\nb") == ()
    assert changed_lines("a\nb\nc", "a\nB\nc\nd") == (2, 4)
    assert changed_lines("a\nb\nc", "a\nc") == ()  # a deletion leaves nothing to mark in the new text
    # A final newline ends the last line; it is not an empty line of its own that a new line would "change".
    assert split_lines("a\n") == ["a"] and split_lines("a\n\n") == ["a", ""] and split_lines("") == [""]
    assert changed_lines("import torch\n", "import torch\n\ndef f():\n    pass\n") == (2, 3, 4)
    frames, _ = playback_timeline(started_at=T0, snapshots=[SnapshotPoint(1, "def f():\n    pass", _at(1)),
                                                            SnapshotPoint(2, "def f():\n    return 1", _at(20))],
                                  events=[], idle_gap_s=30)
    assert [f.changed_lines for f in frames] == [(), (2,)]
    assert frames[1].lines == [(1, "def f():", False), (2, "    return 1", True)]


def test_clock_labels():
    assert [clock_label(s) for s in (0, 5.9, 65, 3600 + 62)] == ["0:00", "0:05", "1:05", "1:01:02"]


def test_no_snapshots_no_marks():
    assert playback_timeline(started_at=T0, snapshots=[], events=[EventPoint(kind="paste", at=_at(3))],
                             idle_gap_s=30) == ([], [])


# --- from the database ------------------------------------------------------------------------------------------


@pytest.fixture
def lab(mini_track, invitation, settings):
    settings.EXAM_SNAPSHOT_INTERVAL_S = 10
    started = timezone.now() - timedelta(minutes=20)
    attempt = services.attempt_start(invitation=invitation, now=started)
    coding = Question.objects.get(slug="add-two", is_current=True)
    written = Question.objects.get(slug="explain-ctc", is_current=True)
    return SimpleNamespace(attempt=attempt, coding=coding, written=written, started=started,
                           ids=set(SectionQuestion.objects.filter(section__track=mini_track)
                                   .values_list("question_id", flat=True)))


def _save(lab, bodies_at: list[tuple[str, float]]) -> None:
    """Save through the real answer-save service, `seconds` after the start."""
    revision = lab.attempt.responses.filter(question=lab.coding).values_list("revision", flat=True).first() or 0
    for body, seconds in bodies_at:
        services.response_save(attempt=lab.attempt, question=lab.coding, body=body, base_revision=revision,
                               now=lab.started + timedelta(seconds=seconds))
        revision += 1


def test_playback_of_real_saves_pastes_and_runs(lab):
    # 60 s: a snapshot; 64 s: within the 10 s snapshot interval, it folds into the same row (the latest text);
    # 90 s: new row; 500 s: new row after an idle stretch of 410 s (30 s on the timeline).
    _save(lab, [("def add(a, b):\n    pass\n", 60), ("def add(a, b):\n    return a - b\n", 64),
                ("def add(a, b):\n    return a + b\n", 90), ("def add(a, b):\n    return a + b  # done\n", 500)])
    services.integrity_event_record(attempt=lab.attempt, kind="paste", question=lab.coding, chars=40,
                                    now=lab.started + timedelta(seconds=70))
    services.integrity_event_record(attempt=lab.attempt, kind="paste", question=lab.written, chars=999,
                                    now=lab.started + timedelta(seconds=71))  # another question: not a mark here
    runs = [SimpleNamespace(question_id=lab.coding.pk, suite="visible", verdict="failed", status="done",
                            created_at=lab.started + timedelta(seconds=95)),
            SimpleNamespace(question_id=lab.coding.pk, suite="visible", verdict="", status="queued",
                            created_at=lab.started + timedelta(seconds=501)),
            SimpleNamespace(question_id=lab.coding.pk, suite="hidden", verdict="passed", status="done",
                            created_at=lab.started + timedelta(seconds=600)),  # grading after submit: no mark
            SimpleNamespace(question_id=lab.written.pk, suite="visible", verdict="passed", status="done",
                            created_at=lab.started + timedelta(seconds=91))]
    user = UserFactory(username="meg")
    p = playback_get(attempt=lab.attempt, question=lab.coding, user=user, runs=runs, idle_gap_s=30)

    assert [f.body for f in p.frames] == ["def add(a, b):\n    return a - b\n", "def add(a, b):\n    return a + b\n",
                                          "def add(a, b):\n    return a + b  # done\n"]
    assert [f.revision for f in p.frames] == [2, 3, 4]
    assert [f.elapsed_s for f in p.frames] == [60, 90, 500]
    assert [f.position_s for f in p.frames] == [0, 30, 60]  # 30 s kept, 410 s idle -> 30
    assert (p.duration_s, p.real_duration_s) == (60, 440)
    assert [(m.kind, m.frame_index, m.position_s, m.label) for m in p.marks] == [
        ("paste", 0, 10, "Pasted 40 characters"),
        ("run", 1, 35, "Ran the visible tests: failed"),
        ("run", 2, 60, "Ran the visible tests: queued"),
    ]
    assert p.frames[1].changed_lines == (2,) and not p.erased
    data = p.to_json()
    assert data["frames"][1] == {"revision": 3, "body": "def add(a, b):\n    return a + b\n", "elapsedS": 90.0,
                                 "positionS": 30.0, "changed": [2]}
    assert [m["frame"] for m in data["marks"]] == [0, 1, 2]


def test_snapshots_come_in_revision_order_whatever_the_insertion_order(lab):
    for revision, seconds in ((3, 80), (1, 20), (2, 50)):
        ResponseSnapshot.objects.create(attempt=lab.attempt, question=lab.coding, revision=revision,
                                        body=f"r{revision}", created_at=lab.started + timedelta(seconds=seconds))
    p = playback_get(attempt=lab.attempt, question=lab.coding, user=UserFactory(username="ivy"), idle_gap_s=30)
    assert [(f.revision, f.body, f.position_s) for f in p.frames] == [(1, "r1", 0), (2, "r2", 30), (3, "r3", 60)]


def test_only_coding_labs_of_the_attempt_that_the_user_may_replay(lab):
    assert playback_question(attempt=lab.attempt, slug="add-two", question_ids=lab.ids) == lab.coding
    with pytest.raises(NotFound):
        playback_question(attempt=lab.attempt, slug="explain-ctc", question_ids=lab.ids)  # a written question
    with pytest.raises(NotFound):
        playback_question(attempt=lab.attempt, slug="add-two", question_ids={lab.written.pk})  # not assigned
    with pytest.raises(NotFound):
        playback_question(attempt=lab.attempt, slug="no-such-lab", question_ids=lab.ids)


def test_an_erased_candidate_has_nothing_to_replay(lab):
    _save(lab, [("a = 1\n", 30), ("a = 2\n", 60)])
    services.integrity_event_record(attempt=lab.attempt, kind="paste", question=lab.coding, chars=7,
                                    now=lab.started + timedelta(seconds=40))
    services.attempt_submit(attempt=lab.attempt)
    services.candidate_purge(candidate=lab.attempt.invitation.candidate)
    lab.attempt.invitation.candidate.refresh_from_db()
    p = playback_get(attempt=lab.attempt, question=lab.coding, user=UserFactory(username="meg"))
    assert p.erased and p.frames == [] and p.marks == [] and p.duration_s == 0


def test_the_query_count_does_not_grow_with_the_snapshots(lab):
    user = UserFactory(username="meg")

    def count() -> tuple[int, int]:
        fresh = type(user).objects.get(pk=user.pk)  # no permission cache carried from the last call
        with CaptureQueriesContext(connection) as ctx:
            p = playback_get(attempt=lab.attempt, question=lab.coding, user=fresh)
        return len(ctx), len(p.frames)

    _save(lab, [("a = 0\n", 20), ("a = 1\n", 40)])
    few, n_few = count()
    _save(lab, [(f"a = {i}\n", 60 + 20 * i) for i in range(2, 12)])
    many, n_many = count()
    assert (n_few, n_many) == (2, 12)
    assert few == many

"""Code playback: how a candidate's code grew on one coding lab, read from the snapshots the answer-save service
keeps (services.attempts._snapshot_record), with the candidate's pastes and visible-test runs as marks.

The timeline is computed here, not in the browser, so it can be tested: each frame has its real time since the
attempt started and its position on a compressed timeline where idle gaps are shortened to `idle_gap_s`. Visible
runs live in graders, which assessments never imports: the view passes them in (graders.selectors), and only
the visible ones of this question become marks.
"""

from __future__ import annotations

import difflib
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal, Protocol

from django.conf import settings

from .. import access
from ..access import User
from ..errors import NotFound
from ..models import Attempt, IntegrityEvent, IntegrityKind, Question, QuestionKind, ResponseSnapshot, SectionQuestion

SPEEDS = (1, 2, 4, 8, 16, 32)


def default_idle_gap_s() -> float:
    """Gaps longer than this play as this long. A snapshot row starts at most once per EXAM_SNAPSHOT_INTERVAL_S,
    so gaps of one or two intervals are steady typing, not idling: the cap sits at three intervals (30 s by
    default), never below 10 s."""
    return float(max(10, 3 * settings.EXAM_SNAPSHOT_INTERVAL_S))


@dataclass(frozen=True)
class SnapshotPoint:
    """One stored state of the code (the input of the timeline)."""

    revision: int
    body: str
    at: datetime


@dataclass(frozen=True)
class EventPoint:
    """A paste or a visible run (the input of the timeline's marks)."""

    kind: Literal["paste", "run"]
    at: datetime
    chars: int | None = None   # pastes (None once the candidate's data was erased)
    verdict: str = ""          # runs: the verdict, or the status while not final


@dataclass(frozen=True)
class PlaybackFrame:
    index: int
    revision: int
    body: str
    at: datetime
    elapsed_s: float              # real seconds since the attempt started
    position_s: float             # on the compressed timeline; the first frame is at 0
    changed_lines: tuple[int, ...]  # 1-based lines of this body inserted or changed since the previous frame

    @property
    def elapsed_label(self) -> str:
        return clock_label(self.elapsed_s)

    @property
    def ends_with_newline(self) -> bool:
        return self.body.endswith("\n")

    @property
    def lines(self) -> list[tuple[int, str, bool]]:
        """(number, text, changed) per line, split as the page's script splits them."""
        changed = set(self.changed_lines)
        return [(n, text, n in changed) for n, text in enumerate(split_lines(self.body), start=1)]


@dataclass(frozen=True)
class PlaybackMark:
    kind: Literal["paste", "run"]
    at: datetime
    elapsed_s: float
    position_s: float  # compressed, between its frame's position and the next frame's
    frame_index: int   # the snapshot at or just before it (the first one for a mark before any snapshot)
    label: str

    @property
    def elapsed_label(self) -> str:
        return clock_label(self.elapsed_s)


@dataclass(frozen=True)
class Playback:
    attempt: Attempt
    question: Question
    label: str                  # the candidate as this user may see them (access.candidate_label)
    frames: list[PlaybackFrame]
    marks: list[PlaybackMark]
    idle_gap_s: float
    erased: bool                # the candidate's data was erased: snapshots are gone

    @property
    def duration_s(self) -> float:
        """The compressed length of the whole playback (its 1x running time)."""
        return self.frames[-1].position_s if self.frames else 0.0

    @property
    def real_duration_s(self) -> float:
        return (self.frames[-1].elapsed_s - self.frames[0].elapsed_s) if self.frames else 0.0

    @property
    def duration_label(self) -> str:
        return clock_label(self.duration_s)

    @property
    def real_duration_label(self) -> str:
        return clock_label(self.real_duration_s)

    def to_json(self) -> dict:
        """What the page's script reads (json_script): no datetimes, nothing it does not use."""
        return {
            "idleGapS": self.idle_gap_s,
            "frames": [{"revision": f.revision, "body": f.body, "elapsedS": f.elapsed_s, "positionS": f.position_s,
                        "changed": list(f.changed_lines)} for f in self.frames],
            "marks": [{"kind": m.kind, "frame": m.frame_index, "positionS": m.position_s, "label": m.label}
                      for m in self.marks],
        }


class RunLike(Protocol):
    """What the playback reads of a graders.models.GradingRun (passed in by the view)."""

    question_id: int
    suite: str
    created_at: datetime
    verdict: str
    status: str


def clock_label(seconds: float) -> str:
    """12:05 or 1:02:03 (hours only when needed)."""
    total = max(0, int(seconds))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def split_lines(body: str) -> list[str]:
    """The lines a reader sees: a final newline ends the last line rather than starting an empty one."""
    lines = body.split("\n")
    return lines[:-1] if len(lines) > 1 and lines[-1] == "" else lines


def changed_lines(previous: str | None, current: str) -> tuple[int, ...]:
    """Lines of `current` that are new or changed against `previous`. None for the first frame: it has nothing
    to compare with, and marking all of it would only hide the later changes' colour."""
    if previous is None:
        return ()
    matcher = difflib.SequenceMatcher(a=split_lines(previous), b=split_lines(current), autojunk=False)
    changed: list[int] = []
    for tag, _i1, _i2, j1, j2 in matcher.get_opcodes():
        if tag in ("replace", "insert"):
            changed.extend(range(j1 + 1, j2 + 1))
    return tuple(changed)


def _mark_label(event: EventPoint) -> str:
    if event.kind == "paste":
        return f"Pasted {event.chars:,} characters" if event.chars is not None else "Pasted text"
    return f"Ran the visible tests: {event.verdict or 'no result'}"


def playback_timeline(*, started_at: datetime, snapshots: Sequence[SnapshotPoint], events: Sequence[EventPoint],
                      idle_gap_s: float) -> tuple[list[PlaybackFrame], list[PlaybackMark]]:
    """Frames in revision order with their real and compressed times, and the marks placed on them.

    Plain computation (no queries). A gap between two frames longer than `idle_gap_s` counts as `idle_gap_s`;
    a clock that went backwards counts as no time. A mark belongs to the last frame at or before it (the code
    as it stood then); its position is its frame's plus its own capped offset, never past the next frame.
    """
    ordered = sorted(snapshots, key=lambda s: s.revision)
    frames: list[PlaybackFrame] = []
    # The latest time seen so far: bisect needs a sorted list even if a clock stepped back.
    horizon: list[datetime] = []
    position = 0.0
    previous: SnapshotPoint | None = None
    for index, snap in enumerate(ordered):
        if previous is not None:
            position += min(max((snap.at - horizon[-1]).total_seconds(), 0.0), idle_gap_s)
        horizon.append(snap.at if not horizon or snap.at > horizon[-1] else horizon[-1])
        frames.append(PlaybackFrame(
            index=index, revision=snap.revision, body=snap.body, at=snap.at,
            elapsed_s=max((snap.at - started_at).total_seconds(), 0.0), position_s=position,
            changed_lines=changed_lines(previous.body if previous else None, snap.body)))
        previous = snap
    if not frames:
        return frames, []  # nothing to jump to (no code saved, or erased)

    marks: list[PlaybackMark] = []
    for event in sorted(events, key=lambda e: e.at):
        index = max(bisect_right(horizon, event.at) - 1, 0)
        frame = frames[index]
        offset = min(max((event.at - horizon[index]).total_seconds(), 0.0), idle_gap_s)
        limit = frames[index + 1].position_s if index + 1 < len(frames) else frame.position_s
        marks.append(PlaybackMark(
            kind=event.kind, at=event.at, elapsed_s=max((event.at - started_at).total_seconds(), 0.0),
            position_s=min(frame.position_s + offset, limit), frame_index=index, label=_mark_label(event)))
    return frames, marks


def playback_question(*, attempt: Attempt, slug: str, question_ids: set[int]) -> Question:
    """The coding lab `slug` of this attempt's track, among the questions this user may replay; NotFound otherwise
    (a written or live question has no code to replay)."""
    placement = (SectionQuestion.objects.filter(section__track_id=attempt.track_id, question__slug=slug,
                                                question_id__in=question_ids)
                 .select_related("question").first())
    if placement is None or placement.question.kind != QuestionKind.CODING:
        raise NotFound("No such coding question")
    return placement.question


def playback_get(*, attempt: Attempt, question: Question, user: User, runs: Sequence[RunLike] = (),
                 idle_gap_s: float | None = None) -> Playback:
    """The playback page's read-model. A fixed number of queries, however many snapshots there are."""
    snapshots = [SnapshotPoint(revision=s.revision, body=s.body, at=s.created_at)
                 for s in ResponseSnapshot.objects.filter(attempt=attempt, question=question)
                 .order_by("revision").only("revision", "body", "created_at")]
    pastes = IntegrityEvent.objects.filter(attempt=attempt, question=question, kind=IntegrityKind.PASTE)
    events = [EventPoint(kind="paste", at=e.created_at, chars=e.chars) for e in pastes.only("created_at", "chars")]
    # Only the candidate's own runs during the exam: hidden grading after the submit is not something they did.
    events += [EventPoint(kind="run", at=r.created_at, verdict=r.verdict or r.status) for r in runs
               if r.suite == "visible" and r.question_id == question.pk]
    gap = default_idle_gap_s() if idle_gap_s is None else idle_gap_s
    frames, marks = playback_timeline(started_at=attempt.started_at, snapshots=snapshots, events=events,
                                      idle_gap_s=gap)
    return Playback(attempt=attempt, question=question, label=access.candidate_label(attempt=attempt, user=user),
                    frames=frames, marks=marks, idle_gap_s=gap,
                    erased=attempt.invitation.candidate.erased_at is not None)

"""The item analysis page: figures from real attempts, automated scores and scorecards, and who may read it."""

from __future__ import annotations

import math
import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from assessments import roles, services
from assessments.models import Question, Response, Track
from assessments.selectors.items import item_analysis_get
from assessments.services import ScoreInput
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _candidate(track, coding, written, *, name: str, auto: float, levels: dict, saves: list[int],
               amend: dict | None = None) -> None:
    """A submitted attempt of the mini track: the lab saved at the given minutes and graded `auto`, the written
    answer scored by each interviewer in `levels` ({user: level}); `amend` ({user: level}) replaces a submitted
    scorecard by an amendment."""
    start = timezone.now() - timedelta(hours=2)
    cand = services.candidate_create(full_name=name, email=f"{name.lower()}@example.com")
    attempt = services.attempt_start(invitation=services.invitation_create(candidate=cand, track=track), now=start)
    services.response_save(attempt=attempt, question=written, body=f"{name} on CTC", base_revision=0,
                           now=start + timedelta(minutes=1))
    for revision, minute in enumerate(saves):
        services.response_save(attempt=attempt, question=coding, body=f"def add(a, b):\n    return {minute}\n",
                               base_revision=revision, now=start + timedelta(minutes=minute))
    # Response.updated_at is stamped by the clock (auto_now): put the last save where the test says it was.
    Response.objects.filter(attempt=attempt, question=coding).update(updated_at=start + timedelta(minutes=saves[-1]))
    subs = {s.question_id: s for s in services.attempt_submit(attempt=attempt, now=start + timedelta(minutes=40))}
    services.submission_automated_score_record(submission=subs[coding.pk], verdict="passed", score=auto,
                                               details={}, source="test")
    for user, level in levels.items():
        services.assignment_create(attempt=attempt, interviewer=user, question=written)
        card = services.scorecard_open(attempt=attempt, interviewer=user)
        services.scorecard_save(scorecard=card, by=user, recommendation="yes",
                                scores=[ScoreInput(question_id=written.pk, dimension_slug="depth", level=level,
                                                   evidence="Quoted the answer.")])
        services.scorecard_submit(scorecard=card, by=user)
        if amend and user in amend:
            card = services.scorecard_amend(scorecard=card, by=user, reason="Misread the answer.")
            services.scorecard_save(scorecard=card, by=user, scores=[ScoreInput(
                question_id=written.pk, dimension_slug="depth", level=amend[user], evidence="Re-read it.")])
            services.scorecard_submit(scorecard=card, by=user)


@pytest.fixture
def mini(content_root):
    """The mini track (tests/minimal_content.py), three interviewers, its manager and another track's."""
    services.content_sync(exercises_dir=content_root / "exercises", rubrics_dir=content_root / "rubrics")
    roles.roles_ensure()
    manager = UserFactory(username="meg", role=roles.HIRING_MANAGER)
    services.track_manager_add(track_slug="mini", user=manager)
    other = UserFactory(username="oz", role=roles.HIRING_MANAGER)
    services.track_manager_add(track_slug="another-track", user=other)
    ann, bob, cat = (UserFactory(username=u, role=roles.INTERVIEWER) for u in ("ann", "bob", "cat"))
    return {"track": Track.objects.get(slug="mini", is_current=True),
            "coding": Question.objects.get(slug="add-two", is_current=True),
            "written": Question.objects.get(slug="explain-ctc", is_current=True),
            "ann": ann, "bob": bob, "cat": cat, "manager": manager, "other": other}


@pytest.fixture
def world(mini):
    track, coding, written, ann, bob, cat = (mini[k] for k in ("track", "coding", "written", "ann", "bob", "cat"))
    # The basic rubric has levels 1..2 (normalised 0 and 1), one dimension: depth.
    _candidate(track, coding, written, name="Ada", auto=1.0, levels={ann: 2, bob: 2}, saves=[2, 12])   # 10 min
    _candidate(track, coding, written, name="Bea", auto=0.5, levels={ann: 1, bob: 1}, saves=[5, 25],  # 20 min
               amend={bob: 2})
    _candidate(track, coding, written, name="Cy", auto=0.0, levels={ann: 2, bob: 1}, saves=[3])       # saved once
    # A draft (never submitted) scorecard does not count: cat would have put Ada at the lowest level.
    ada = track.attempts.get(invitation__candidate__full_name="Ada")
    services.assignment_create(attempt=ada, interviewer=cat, question=written)
    services.scorecard_save(scorecard=services.scorecard_open(attempt=ada, interviewer=cat), by=cat, scores=[
        ScoreInput(question_id=written.pk, dimension_slug="depth", level=1, evidence="Draft.")])
    return mini


# By hand, per candidate (Ada, Bea, Cy):
#   add-two (auto):       1.0, 0.5, 0.0                      -> difficulty 0.5, n=3
#   explain-ctc/depth:    Ada (1 + 1) / 2 = 1.0; Bea ann 1, bob amended 1 -> 2: (0 + 1) / 2 = 0.5;
#                         Cy (1 + 0) / 2 = 0.5                -> difficulty 2/3 = 0.67, n=3
#   discrimination of add-two against depth (the only other question):
#     x devs 0.5, 0, -0.5; y = 1, 0.5, 0.5 (mean 2/3) -> devs 1/3, -1/6, -1/6
#     Sxy = 1/6 + 1/12 = 1/4; Sxx = 1/2; Syy = 1/9 + 1/36 + 1/36 = 1/6
#     r = (1/4) / sqrt(1/12) = sqrt(3)/2 = 0.866 (the same r for depth against add-two)
#   agreement on depth: units Ada (2, 2), Bea (1, 2), Cy (2, 1): o22 = 2, o12 = o21 = 2; n1 = 2, n2 = 4, n = 6
#     ordinal delta12 = (6 - 3)^2 = 9; observed = 4 * 9 = 36; expected = 2 * 2 * 4 * 9 = 144
#     alpha = 1 - 5 * 36 / 144 = -0.25, on 3 double-scored answers
#   time on add-two: Ada 10 min, Bea 20 min, Cy saved once (left out) -> median 15 min, n=2
def test_the_selector_computes_the_figures(world):
    a = item_analysis_get(track_slug="mini")
    assert a.candidates == 3
    (lab,) = a.exercises
    assert lab.slug == "add-two" and lab.title == "Add two numbers"
    assert (lab.stats.difficulty.value, lab.stats.difficulty.n) == (0.5, 3)
    assert lab.stats.discrimination.value == pytest.approx(math.sqrt(3) / 2, abs=1e-9)
    assert lab.stats.discrimination.n == 3
    assert (lab.time.value, lab.time.n) == (15 * 60.0, 2)
    (question,) = a.questions
    assert question.slug == "explain-ctc" and question.time.value is None and "not recorded" in question.time.reason
    (depth,) = question.rows
    assert depth.slug == "depth" and depth.title == "Depth"
    assert depth.stats.difficulty.value == pytest.approx(2 / 3, abs=1e-12) and depth.stats.difficulty.n == 3
    assert depth.stats.discrimination.value == pytest.approx(math.sqrt(3) / 2, abs=1e-9)
    assert depth.stats.agreement.value == pytest.approx(-0.25, abs=1e-9) and depth.stats.agreement.n == 3
    assert [f.code for f in depth.stats.flags] == ["too-few"]


def test_the_selector_runs_a_fixed_number_of_queries(world):
    with CaptureQueriesContext(connection) as three:
        item_analysis_get(track_slug="mini")
    ann = world["ann"]
    for name in ("Dee", "Eve"):
        _candidate(world["track"], world["coding"], world["written"], name=name, auto=0.25, levels={ann: 1},
                   saves=[1, 4])
    with CaptureQueriesContext(connection) as five:
        a = item_analysis_get(track_slug="mini")
    assert a.candidates == 5 and a.exercises[0].stats.difficulty.n == 5
    assert len(five) == len(three), [q["sql"][:80] for q in five.captured_queries]


def _cell(html: str, item: str, column: int) -> str:
    """The text of one cell of the row data-item=item (column 0 is the row header)."""
    row = re.search(rf'<tr data-item="{re.escape(item)}">(.*?)</tr>', html, re.S).group(1)
    cells = re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", cells[column])).strip()


def test_the_page_shows_every_figure_with_its_n(client, world):
    client.force_login(world["manager"])
    resp = client.get(reverse("report-items", args=["mini"]))
    assert resp.status_code == 200
    html = resp.content.decode()
    assert _cell(html, "add-two", 1) == "0.50 n=3"
    assert _cell(html, "add-two", 2) == "0.87 n=3"
    assert _cell(html, "add-two", 3) == "15 min n=2 estimate 20 min"
    assert _cell(html, "explain-ctc/depth", 1) == "0.67 n=3"
    assert _cell(html, "explain-ctc/depth", 2) == "0.87 n=3"
    assert _cell(html, "explain-ctc/depth", 3) == "-0.25 n=3"
    assert "Too few candidates to judge" in _cell(html, "explain-ctc/depth", 4)
    assert 'data-flag="too-few"' in html
    # The legend says what each measure is, and what the time is not.
    legend = html.split('data-testid="legend"')[1].split("</dl>")[0]
    for term in ("Difficulty", "Discrimination", "Agreement", "Time", "first to their last save", "not exact time"):
        assert term in legend
    assert "not recorded" in html.split('data-testid="time-explain-ctc"')[1][:300]
    assert "Ada" not in html  # content owners read items, not candidates
    calibration = client.get(reverse("report-calibration", args=["mini"])).content.decode()
    assert reverse("report-items", args=["mini"]) in calibration  # where managers find it


def test_a_zero_variance_item_shows_a_dash_and_the_reason(client, mini):
    ann, bob = mini["ann"], mini["bob"]
    for name, levels in (("Dee", {ann: 2, bob: 2}), ("Eve", {ann: 1, bob: 2}), ("Fay", {ann: 1, bob: 1})):
        _candidate(mini["track"], mini["coding"], mini["written"], name=name, auto=0.5, levels=levels, saves=[1])
    client.force_login(mini["manager"])
    html = client.get(reverse("report-items", args=["mini"])).content.decode()
    assert _cell(html, "add-two", 1) == "0.50 n=3"
    assert _cell(html, "add-two", 2) == "— (every candidate scored the same on it; n=3)"
    assert _cell(html, "explain-ctc/depth", 2) == "— (every candidate scored the same on the rest of the exam; n=3)"
    assert _cell(html, "add-two", 3).startswith("— (no answer saved twice yet; n=0)")


@pytest.mark.parametrize(("who", "status"), [("ann", 403), ("other", 404), ("manager", 200), ("admin", 200),
                                             (None, 302)])
def test_who_may_read_it(client, mini, who, status):
    """Like the track comparison: the report permission first (an interviewer: 403), then the track (a manager
    of another track: 404, as for a track that does not exist)."""
    if who == "admin":
        client.force_login(UserFactory(username="root", role=roles.ADMIN))
    elif who:
        client.force_login(mini[who])
    resp = client.get(reverse("report-items", args=["mini"]))
    assert resp.status_code == status
    if status == 302:
        assert "/login/" in resp["Location"]
    if who == "other":  # and the comparison page answers the same
        assert client.get(reverse("report-track", args=["mini"])).status_code == 404
    if who == "manager":
        assert client.get(reverse("report-items", args=["no-such-track"])).status_code == 404


def test_the_page_raises_the_gold_regrade_alarm_for_the_tracks_labs(client, mini):
    """What graders.gold stores when a regrade changed a verdict (tests/graders/test_gold.py makes it for real)."""
    from django.utils import timezone

    from graders.models import GoldRun, GoldVerdict

    client.force_login(mini["manager"])
    html = client.get(reverse("report-items", args=["mini"])).content.decode()
    assert "Not regraded yet" in html and 'data-testid="gold-alarm"' not in html
    now = timezone.now()
    common = {"fingerprint": "f" * 64, "lab_hash": "h" * 64, "backend": "local", "image": "", "image_id": ""}
    change = {"variant": "wrong/off_by_one.py", "suite": "hidden", "kind": "wrong", "change": "verdict",
              "alarm": True, "before": {"verdict": "failed", "score": 0.5, "problem": None},
              "after": {"verdict": "passed", "score": 1.0,
                        "problem": "must fail on the lab's own tests with a score below 1.0"}}
    for lab, drift in (("add-two", True), ("not-on-this-track", True)):
        run = GoldRun.objects.create(lab=lab, reason="lab files changed", harness_hash="x" * 64, verdicts=1,
                                     changed=1, changes=[change] if drift else [], drift=drift, started_at=now,
                                     finished_at=now, **common)
        GoldVerdict.objects.create(lab=lab, variant="wrong/off_by_one.py", suite="hidden", kind="wrong",
                                   verdict="passed", score=1.0, problem=change["after"]["problem"], run=run,
                                   graded_at=now, **common)
    html = client.get(reverse("report-items", args=["mini"])).content.decode()
    alarm = html.split('data-testid="gold-alarm"')[1].split("</div>")[0]
    assert "add-two" in alarm and "not-on-this-track" not in html
    assert "wrong/off_by_one.py (hidden): failed → passed" in html

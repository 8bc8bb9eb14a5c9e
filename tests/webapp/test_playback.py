"""The code playback page: who may watch (assigned interviewers, the track's managers, admins; 404 for anyone
else), coding labs only, the no-JavaScript form, erasure, the audit trail and a fixed number of queries."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from assessments import roles, services
from assessments.models import Question, ResponseSnapshot, Track
from audit.models import AuditEvent
from graders import services as run_services
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

WRITTEN = "asr-objectives-streaming"
CODING = "softmax-cross-entropy-bug"
BODIES = ["def training_step(m, b):\n    pass\n", "def training_step(m, b):\n    loss = m(b)\n",
          "def training_step(m, b):\n    loss = m(b)\n    loss.backward()\n"]


@pytest.fixture
def world(synced_content, settings):
    settings.EXAM_SNAPSHOT_INTERVAL_S = 10
    roles.roles_ensure()
    track = Track.objects.get(slug="advanced-ml-speech", is_current=True)
    cand = services.candidate_create(full_name="Sam Secret", email="sam@example.com")
    started = timezone.now() - timedelta(minutes=30)
    attempt = services.attempt_start(invitation=services.invitation_create(candidate=cand, track=track), now=started)
    written = Question.objects.get(slug=WRITTEN, is_current=True)
    coding = Question.objects.get(slug=CODING, is_current=True)
    for revision, body in enumerate(BODIES):
        services.response_save(attempt=attempt, question=coding, body=body, base_revision=revision,
                               now=started + timedelta(seconds=60 + 40 * revision))
    services.integrity_event_record(attempt=attempt, kind="paste", question=coding, chars=64,
                                    now=started + timedelta(seconds=105))
    run_services.grading_run_create(question=coding, attempt=attempt, suite="visible",
                                    candidate_files={"solution.py": BODIES[-1]})
    services.attempt_submit(attempt=attempt)
    ivy, sid, wes = (UserFactory(username=n, role=roles.INTERVIEWER) for n in ("ivy", "sid", "wes"))
    services.assignment_create(attempt=attempt, interviewer=ivy, question=coding)
    services.assignment_create(attempt=attempt, interviewer=wes, question=written)  # not the lab
    meg = UserFactory(username="meg", role=roles.HIRING_MANAGER)
    services.track_manager_add(track_slug=track.slug, user=meg)
    oz = UserFactory(username="oz", role=roles.HIRING_MANAGER)
    services.track_manager_add(track_slug="another-track", user=oz)
    return {"attempt": attempt, "cand": cand, "coding": coding, "written": written,
            "ivy": ivy, "sid": sid, "wes": wes, "meg": meg, "oz": oz,
            "root": UserFactory(username="root", is_superuser=True, is_staff=True),
            "nobody": UserFactory(username="nobody")}


def _url(world, slug=CODING):
    return reverse("attempt-playback", args=[world["attempt"].pk, slug])


def _get(world, who, slug=CODING, **params):
    c = Client()
    if who:
        c.force_login(world[who])
    return c.get(_url(world, slug), params)


@pytest.mark.parametrize(("who", "status"), [
    ("ivy", 200),    # assigned to the lab
    ("meg", 200),    # manages the track: may read the report
    ("root", 200),   # admin
    ("sid", 404),    # an interviewer not assigned to this attempt
    ("wes", 404),    # assigned to this attempt, but to a written question only
    ("oz", 404),     # a manager of another track
    ("nobody", 404),  # signed in, no role
])
def test_who_may_watch(world, who, status):
    assert _get(world, who).status_code == status


def test_anonymous_is_sent_to_log_in(world):
    response = _get(world, None)
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_only_coding_labs_have_a_playback(world):
    assert _get(world, "meg", slug=WRITTEN).status_code == 404
    assert _get(world, "meg", slug="no-such-lab").status_code == 404
    other = reverse("attempt-playback", args=[world["attempt"].pk + 1000, CODING])
    c = Client()
    c.force_login(world["meg"])
    assert c.get(other).status_code == 404


def test_the_page_shows_the_last_snapshot_the_marks_and_the_data(world):
    response = _get(world, "ivy")
    html = response.content.decode()
    assert "Idle gaps over 30 s skipped" in html
    assert response.context["frame"].body == BODIES[-1]
    assert "loss.backward()" in html
    assert 'type="range"' in html and 'for="playback-scrubber"' in html
    # Anonymised review: the interviewer sees the code, not the name.
    assert "Sam Secret" not in html and world["cand"].code in html
    data = response.context["data"]
    assert [f["body"] for f in data["frames"]] == BODIES
    # Saved 40 s apart: each gap is over the 30 s idle cap, so it plays as 30 s.
    assert [f["positionS"] for f in data["frames"]] == [0, 30, 60]
    shipped = json.loads(html.split('id="playback-data" type="application/json">')[1].split("</script>")[0])
    assert shipped == data
    assert [(m["kind"], m["frame"]) for m in data["marks"]] == [("paste", 1), ("run", 2)]
    assert 'id="playback-data"' in html  # json_script
    assert html.count('data-testid="mark-paste"') == 1 and html.count('data-testid="mark-run"') == 1


def test_without_javascript_the_form_picks_the_snapshot(world):
    assert _get(world, "meg", at="0").context["frame"].body == BODIES[0]
    assert _get(world, "meg", at="1", jump="0").context["frame"].body == BODIES[0]  # a mark's button wins
    assert _get(world, "meg", at="99").context["frame"].body == BODIES[-1]  # clamped
    assert _get(world, "meg", at="x").context["frame"].body == BODIES[-1]


def test_after_erasure_the_page_says_there_is_nothing_to_replay(world):
    services.candidate_purge(candidate=world["cand"])
    response = _get(world, "meg")
    assert response.status_code == 200
    assert 'data-testid="playback-empty"' in response.content.decode()
    assert "erased" in response.content.decode()
    assert 'id="playback-data"' not in response.content.decode()


def test_a_lab_without_saves_shows_the_empty_state(world):
    lab = Question.objects.get(slug="ctc-greedy-decode", is_current=True)
    response = _get(world, "meg", slug=lab.slug)
    assert response.status_code == 200
    html = response.content.decode()
    assert "No code was saved" in html and 'type="range"' not in html


def test_a_read_is_in_the_audit_trail(world):
    _get(world, "ivy")
    event = AuditEvent.objects.filter(what__contains="code playback").get()
    assert event.candidate_code == world["cand"].code and event.object_id == str(world["attempt"].pk)


def test_the_number_of_queries_does_not_grow_with_the_snapshots(world, settings):
    def count() -> int:
        c = Client()
        c.force_login(world["meg"])
        with CaptureQueriesContext(connection) as ctx:
            assert c.get(_url(world)).status_code == 200
        return len(ctx)

    few = count()
    # Rows added directly: the attempt is submitted, so the answer-save service would refuse.
    start = world["attempt"].started_at
    ResponseSnapshot.objects.bulk_create(
        ResponseSnapshot(attempt=world["attempt"], question=world["coding"], revision=10 + i, body=f"x = {i}\n",
                         created_at=start + timedelta(minutes=5 + i)) for i in range(20))
    many = count()
    assert few == many

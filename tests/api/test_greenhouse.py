"""Greenhouse's Assessment Partner flow end to end against a live server, with HTTP calls shaped as Greenhouse
sends them (HTTP Basic with the API key as the user name): list_tests, send_test (we e-mail the link), the
candidate takes and submits the exam over HTTP, hidden grading runs through the sandbox, an interviewer submits a
scorecard, and test_status turns "complete" with a score and a report link that opens for the track's managers
only. Also response_error, and keys without the scope or for another track."""

from __future__ import annotations

import re

import pytest
import requests
from django.core import mail
from django.test import Client

from api import services as api_services
from api.models import GreenhouseErrorNotice
from assessments import roles, services
from assessments.models import Attempt, Question, Track
from assessments.services import ScoreInput, content_sync
from graders.models import GradingRun
from graders.tasks import grade_run
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def mini(content_root, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    content_sync(exercises_dir=content_root / "exercises", rubrics_dir=content_root / "rubrics")
    roles.roles_ensure()
    return Track.objects.get(slug="mini", is_current=True)


def _gh(key) -> requests.Session:
    s = requests.Session()
    s.auth = (key.raw, "")  # Greenhouse: the key as the user name, no password
    return s


def test_the_greenhouse_flow_from_send_test_to_complete(live_server, mini):
    base = f"{live_server.url}/api/v1/greenhouse"
    key = api_services.api_key_create(name="Greenhouse", scopes=["tracks:read", "invitations:write", "reports:read"],
                                      track_slugs=["mini"], created_by=None)
    gh = _gh(key)
    tests = gh.get(f"{base}/list_tests", timeout=10)
    assert tests.status_code == 200 and tests.json() == [{"partner_test_id": "mini", "partner_test_name": "Mini track"}]

    sent = gh.post(f"{base}/send_test", timeout=10, json={
        "partner_test_id": "mini", "url": "https://app.greenhouse.io/integrations/assessment/complete/1",
        "candidate": {"first_name": "Harriet", "last_name": "Hopper", "email": "harriet@example.com",
                      "resume_url": "https://example.com/r", "phone_number": "123",
                      "greenhouse_profile_url": "https://app.greenhouse.io/people/1?application_id=2"}})
    assert sent.status_code == 200, sent.text
    pid = sent.json()["partner_interview_id"]
    status = lambda: gh.get(f"{base}/test_status", params={"partner_interview_id": pid}, timeout=30).json()  # noqa: E731
    assert status()["partner_status"] == "sent"
    # The partner e-mails the candidate (Greenhouse does not).
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["harriet@example.com"]
    link = re.search(r"https?://\S+/exam/\S+/", mail.outbox[0].body).group(0)

    # The candidate takes the exam over HTTP: landing, consent and start, answers, submit.
    cand = requests.Session()
    assert cand.get(link, timeout=10).status_code == 200
    csrf = {"X-CSRFToken": cand.cookies["csrftoken"], "Referer": link}
    started = cand.post(f"{link}start/", data={"consent": "on"}, headers=csrf, timeout=10)
    assert started.status_code == 200 and "/questions/" in started.url
    assert status()["partner_status"] == "in_progress"
    for slug, body in (("explain-ctc", "CTC sums over alignments."), ("add-two", "def add(a, b):\n    return a + b\n")):
        saved = cand.post(f"{link}answers/{slug}/", data={"body": body, "base_revision": 0}, timeout=10,
                          headers={**csrf, "Accept": "application/json"})
        assert saved.status_code == 200, saved.text
    assert cand.post(f"{link}submit/", data={"confirm": "on"}, headers=csrf, timeout=10).status_code == 200
    assert status()["partner_status"] == "submitted"

    # Hidden grading through the sandbox (the task a worker runs), then an interviewer's scorecard.
    attempt = Attempt.objects.get(invitation__candidate__email="harriet@example.com")
    (run,) = GradingRun.objects.filter(attempt=attempt, suite="hidden")
    assert grade_run.apply(args=[str(run.pk)]).get() == "passed"
    assert status()["partner_status"] == "submitted"  # a scorecard is still to come
    interviewer = UserFactory(username="ivy", role=roles.INTERVIEWER)
    written = Question.objects.get(slug="explain-ctc", is_current=True)
    services.assignment_create(attempt=attempt, interviewer=interviewer, question=written)
    card = services.scorecard_open(attempt=attempt, interviewer=interviewer)
    services.scorecard_save(scorecard=card, by=interviewer, recommendation="yes",
                            scores=[ScoreInput(question_id=written.pk, dimension_slug="depth", level=2,
                                               evidence="Explains the alignment sum.")])
    services.scorecard_submit(scorecard=card, by=interviewer)

    done = status()
    assert done["partner_status"] == "complete", done
    assert isinstance(done["partner_score"], int) and 0 <= done["partner_score"] <= 100
    assert all(isinstance(v, str) for v in done["metadata"].values()) and "Submitted at" in done["metadata"]
    report = done["partner_profile_url"]
    assert report.startswith(live_server.url) and f"/reports/attempts/{attempt.pk}/" in report
    path = report[len(live_server.url):]
    # The report opens for a manager of the track only (and not for anyone holding the link).
    manager, other = UserFactory(username="meg", role=roles.HIRING_MANAGER), UserFactory(
        username="oz", role=roles.HIRING_MANAGER)
    services.track_manager_add(track_slug="mini", user=manager)
    services.track_manager_add(track_slug="another-track", user=other)
    assert Client().get(path).status_code == 302  # to sign in
    c = Client()
    c.force_login(other)
    assert c.get(path).status_code == 404
    c.force_login(manager)
    assert c.get(path).status_code == 200


def test_greenhouse_errors_scopes_and_tracks(live_server, mini):
    base = f"{live_server.url}/api/v1/greenhouse"
    key = api_services.api_key_create(name="Greenhouse", scopes=["tracks:read", "invitations:write"],
                                      track_slugs=["mini"], created_by=None)
    gh = _gh(key)
    # response_error: Greenhouse tells us it could not use an answer; kept for support.
    notice = {"api_call": "test_status", "errors": ["partner_score must be numeric"], "partner_interview_id": "x"}
    assert gh.post(f"{base}/response_error", json=notice, timeout=10).status_code == 200
    assert GreenhouseErrorNotice.objects.get().body == notice
    # No reports:read: test_status is refused with Greenhouse's error shape.
    refused = gh.get(f"{base}/test_status", params={"partner_interview_id": "x"}, timeout=10)
    assert refused.status_code == 403 and "reports:read" in refused.json()["errors"][0]
    # An unknown test, a bad body, a wrong key.
    bad = gh.post(f"{base}/send_test", json={"partner_test_id": "advanced-ml-speech",
                                             "candidate": {"first_name": "A", "last_name": "B", "email": "nope"}},
                  timeout=10)
    assert bad.status_code == 400 and any("email" in e for e in bad.json()["errors"])
    assert any("partner_test_id" in e or "email" in e for e in bad.json()["errors"])
    wrong = requests.get(f"{base}/list_tests", auth=("itk_nothing_here", ""), timeout=10)
    assert wrong.status_code == 401 and wrong.json()["errors"]
    # A key for another track sees no test and cannot read this one's status.
    other = api_services.api_key_create(name="Other", scopes=["tracks:read", "invitations:write", "reports:read"],
                                        track_slugs=["mini"], created_by=None)
    services.track_managers_set(user=other.user, track_slugs={"another-track"})
    assert _gh(other).get(f"{base}/list_tests", timeout=10).json() == []
    pid = gh.post(f"{base}/send_test", timeout=10, json={
        "partner_test_id": "mini", "candidate": {"first_name": "C", "last_name": "D", "email": "c@example.com"}}
    ).json()["partner_interview_id"]
    assert _gh(other).get(f"{base}/test_status", params={"partner_interview_id": pid}, timeout=10).status_code == 404

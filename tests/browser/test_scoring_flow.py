"""Interviewers score in Chromium: partial saves with htmx, blind mode until submit, then the panel."""

from __future__ import annotations

import re

import pytest

from assessments import roles, services
from assessments.models import Question, Scorecard, Track
from tests.factories import UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WRITTEN = "asr-objectives-streaming"


def _login(page, app_server, username):
    page.goto(f"{app_server.url}/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill("pw-for-tests-only")
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("heading", name="Tracks").wait_for()


def test_blind_scoring_in_the_browser(chromium, app_server, synced_content, artifacts_dir):
    roles.roles_ensure()
    track = Track.objects.get(slug="advanced-ml-speech", is_current=True)
    cand = services.candidate_create(full_name="Rita Real", email="rita@example.com")
    attempt = services.attempt_start(invitation=services.invitation_create(candidate=cand, track=track))
    q = Question.objects.get(slug=WRITTEN, is_current=True)
    services.response_save(attempt=attempt, question=q, body="Transducers stream; CTC needs an LM.", base_revision=0)
    services.attempt_submit(attempt=attempt)
    ann, bob = UserFactory(username="ann", role=roles.INTERVIEWER), UserFactory(username="bob", role=roles.INTERVIEWER)
    for who in (ann, bob):
        services.assignment_create(attempt=attempt, interviewer=who, question=q)
    dims = list(q.rubric.dimensions.order_by("order"))
    lo = min(q.rubric.levels.values_list("score", flat=True))

    # Bob scores and submits first.
    page = chromium.new_page(viewport={"width": 1280, "height": 900})
    _login(page, app_server, "bob")
    page.get_by_role("link", name="My queue").click()
    page.get_by_role("link", name=cand.code).click()
    assert "Rita Real" not in page.content()  # anonymised review
    for dim in dims:
        page.locator(f"input[name='level-{q.pk}-{dim.slug}'][value='{lo + 1}']").check()
    page.get_by_label("Yes", exact=True).check()
    page.get_by_test_id("save-status").filter(has_text=re.compile("Draft saved")).wait_for()  # htmx partial save
    assert Scorecard.objects.get(interviewer=bob).scores.count() == len(dims)
    page.get_by_test_id("submit-scorecard").click()
    page.get_by_test_id("locked").wait_for()
    page.close()

    # Ann is blind to Bob's scorecard until she submits her own.
    page = chromium.new_page(viewport={"width": 1280, "height": 900})
    _login(page, app_server, "ann")
    page.goto(f"{app_server.url}/scoring/attempts/{attempt.pk}/")
    page.get_by_test_id("blind-note").wait_for()
    assert page.get_by_test_id("other-scorecard").count() == 0
    # The lowest level needs evidence: the form says so and saves nothing.
    page.locator(f"input[name='level-{q.pk}-{dims[0].slug}'][value='{lo}']").check()
    page.get_by_test_id("save-status").filter(has_text=re.compile("write the evidence")).wait_for()
    assert not Scorecard.objects.filter(interviewer=ann, scores__isnull=False).exists()
    page.get_by_label("Evidence", exact=False).first.fill("Could not say why CTC needs an external LM.")
    for dim in dims[1:]:
        page.locator(f"input[name='level-{q.pk}-{dim.slug}'][value='{lo + 1}']").check()
    page.get_by_label("No", exact=True).check()
    page.screenshot(path=str(artifacts_dir / "scoring-blind.png"), full_page=True)
    page.get_by_test_id("submit-scorecard").click()
    page.get_by_test_id("other-scorecard").wait_for()
    assert "bob" in page.get_by_test_id("other-scorecard").inner_text()
    page.screenshot(path=str(artifacts_dir / "scoring-submitted.png"), full_page=True)
    page.close()

    # A manager of the track reads the report with both scorecards.
    meg = UserFactory(username="meg", role=roles.HIRING_MANAGER)
    services.track_manager_add(track_slug=track.slug, user=meg)
    page = chromium.new_page(viewport={"width": 1280, "height": 900})
    _login(page, app_server, "meg")
    page.get_by_role("link", name="Compare candidates").click()
    page.get_by_role("link", name=re.compile("Rita Real")).click()
    page.get_by_test_id("signal").wait_for()
    assert "90% interval" in page.get_by_test_id("signal").inner_text()
    page.screenshot(path=str(artifacts_dir / "report.png"), full_page=True)

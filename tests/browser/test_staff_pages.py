"""Chromium, driven by Playwright, against a live server: log in and read the track as an interviewer."""

from __future__ import annotations

import pytest

from assessments import roles
from tests.factories import UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_interviewer_logs_in_and_reads_guidance(browser_page, app_server, synced_content, artifacts_dir):
    UserFactory(username="ivy", role=roles.INTERVIEWER)
    page = browser_page
    page.goto(f"{app_server.url}/")
    assert "/login/" in page.url
    page.get_by_label("Username").fill("ivy")
    page.get_by_label("Password").fill("wrong password")
    page.get_by_role("button", name="Log in").click()
    assert page.get_by_role("alert").inner_text().startswith("Your username and password didn't match")
    page.get_by_label("Password").fill("pw-for-tests-only")
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("heading", name="Tracks").wait_for()
    page.screenshot(path=str(artifacts_dir / "home.png"), full_page=True)
    page.get_by_role("link", name="Advanced ML & Speech ML Engineering").click()
    page.get_by_role("heading", name="System design").wait_for()
    page.screenshot(path=str(artifacts_dir / "track.png"), full_page=True)
    page.locator("a[href*='/questions/softmax-cross-entropy-bug/']").first.click()
    guidance = page.get_by_test_id("guidance")
    guidance.wait_for()
    assert "never shown to candidates" in guidance.inner_text()
    assert "def training_step" in page.content()
    page.screenshot(path=str(artifacts_dir / "question.png"), full_page=True)
    page.get_by_role("button", name="Log out").click()
    page.wait_for_url("**/login/")
    page.get_by_role("heading", name="Log in").wait_for()


def test_a_manager_reads_code_similarity_side_by_side(chromium, app_server, synced_content, artifacts_dir):
    """Issue 16: the similarity view in Chromium: the flagged pair, then its matched lines side by side."""
    from assessments import services
    from assessments.models import Track
    from tests.assessments.test_similarity import _renamed, _reordered_with_comments
    from tests.webapp.test_similarity_view import LAB, VARIANTS, _submit

    roles.roles_ensure()
    track = Track.objects.get(slug="advanced-ml-speech", is_current=True)
    original = (VARIANTS / "right" / "groupby.py").read_text()
    _submit(track, "Olga Original", original)
    _submit(track, "Cody Copier", _reordered_with_comments(_renamed(original)))
    UserFactory(username="meg", role=roles.HIRING_MANAGER)
    from django.contrib.auth import get_user_model

    services.track_manager_add(track_slug=track.slug, user=get_user_model().objects.get(username="meg"))
    page = chromium.new_page(viewport={"width": 1366, "height": 900})
    page.goto(f"{app_server.url}/login/")
    page.get_by_label("Username").fill("meg")
    page.get_by_label("Password").fill("pw-for-tests-only")
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("heading", name="Tracks").wait_for()
    page.goto(f"{app_server.url}/reports/tracks/{track.slug}/")
    page.get_by_role("link", name="Code similarity").click()
    lab = page.get_by_test_id(f"similarity-{LAB}")
    lab.get_by_text("Cody Copier").wait_for()
    lab.get_by_role("link", name="Side by side").click()
    page.get_by_test_id("side-a").wait_for()
    assert page.locator("[data-testid=side-a] .hit").count() >= 4
    assert page.locator("[data-testid=side-b] .hit").count() >= 4
    page.screenshot(path=str(artifacts_dir / "similarity-side-by-side.png"), full_page=False)

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

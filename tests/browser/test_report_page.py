"""Issue 16: the report a hiring committee reads in a minute: the summary fits one 1366x900 screen for the demo's
strongest candidate, and the per-question detail is one click away."""

from __future__ import annotations

import pytest

from assessments import roles, services
from assessments.demo import demo_panel_ensure
from assessments.models import Attempt, QuestionKind, Track
from tests.factories import UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_report_summary_fits_one_screen_and_the_detail_is_one_click_away(chromium, app_server, synced_content,
                                                                            artifacts_dir):
    roles.roles_ensure()
    track = Track.objects.get(slug="advanced-ml-speech", is_current=True)
    interviewers = [UserFactory(username=u, role=roles.INTERVIEWER) for u in ("interviewer", "interviewer2")]
    manager = UserFactory(username="manager", role=roles.HIRING_MANAGER)
    demo_panel_ensure(track=track, interviewers=interviewers, manager=manager)
    strongest = Attempt.objects.get(invitation__candidate__full_name="Avery Strong")
    # What the demo's worker writes once it has graded the reference solutions this candidate handed in.
    for sub in strongest.submissions.select_related("question"):
        if sub.question.kind == QuestionKind.CODING:
            services.submission_automated_score_record(submission=sub, verdict="passed", score=1.0, source="test",
                                                       details={})

    page = chromium.new_page(viewport={"width": 1366, "height": 900})
    page.goto(f"{app_server.url}/login/")
    page.get_by_label("Username").fill("manager")
    page.get_by_label("Password").fill("pw-for-tests-only")
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("heading", name="Tracks").wait_for()
    page.goto(f"{app_server.url}/reports/attempts/{strongest.pk}/")
    summary = page.get_by_test_id("report-summary")
    summary.wait_for()
    page.screenshot(path=str(artifacts_dir / "report-first-screen.png"))
    box = summary.bounding_box()
    assert box is not None and box["y"] >= 0 and box["y"] + box["height"] <= 900, box
    assert box["x"] + box["width"] <= 1366
    # What the first screen must say: the signal and its interval, the recommendations side by side, the six
    # competencies, and a quote from the evidence.
    text = summary.inner_text()
    assert "90% interval" in text and "6 of 6 labs graded" in text
    recs = page.get_by_test_id("recommendations").locator("li")
    assert recs.count() == 2 and "interviewer" in recs.nth(0).inner_text()
    assert page.get_by_test_id("competencies").locator("tbody tr").count() == 6
    assert "named the trade-off" in page.get_by_test_id("strengths").inner_text()

    # The per-question detail: hidden, then one click away.
    dimensions = page.get_by_test_id("dimensions")
    assert not dimensions.is_visible()
    page.get_by_text("Per-question detail").click()
    dimensions.wait_for(state="visible")
    assert dimensions.locator("tbody tr").count() > 20
    assert "_" not in dimensions.locator("tbody tr td").first.inner_text()  # titles, not internal slugs

    # A recommendation links to its scorecard inside the detail: following it opens the detail again.
    page.reload()
    assert not dimensions.is_visible()
    page.get_by_test_id("recommendations").get_by_role("link", name="interviewer2").click()
    page.locator("#card-interviewer2").wait_for(state="visible")

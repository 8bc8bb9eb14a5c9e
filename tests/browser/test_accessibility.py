"""Accessibility of every candidate page (issue 14): an axe-core audit (WCAG 2.2 A/AA rules) with no serious or
critical violation, and a whole exam done with the keyboard only: start, answer, code (leaving the editor's Tab
trap with Escape then Tab), run the visible tests, submit."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from assessments import services
from assessments.models import Attempt, Response, Track
from tests.conftest import require_service

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

AXE = Path(__file__).resolve().parents[1] / "a11y" / "node_modules" / "axe-core" / "axe.min.js"
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]


@pytest.fixture
def axe_source() -> str:
    require_service("axe-core", AXE.exists(), f"{AXE} is missing: run `npm ci` in tests/a11y")
    return AXE.read_text()


@pytest.fixture
def invitation(synced_content):
    track = Track.objects.get(slug="advanced-ml-speech", is_current=True)
    candidate = services.candidate_create(full_name="Ada Access", email="ada@example.com")
    return services.invitation_create(candidate=candidate, track=track)


def _audit(page, axe_source: str, label: str) -> list[str]:
    """The serious and critical violations on the page as it is now, one line each."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.add_script_tag(content=axe_source)
    found = page.evaluate("tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", TAGS)
    return [f"{label}: {v['id']} ({v['impact']}): {v['help']} — "
            + "; ".join(n["target"][0] if isinstance(n["target"][0], str) else json.dumps(n["target"])
                        for n in v["nodes"][:3])
            for v in found["violations"] if v["impact"] in ("serious", "critical")]


def test_every_candidate_page_passes_the_axe_audit(chromium, app_server, invitation, axe_source, artifacts_dir):
    # The exam's CSP forbids inline scripts; the audit's own script is let in by the test browser only.
    context = chromium.new_context(bypass_csp=True, viewport={"width": 1366, "height": 900})
    page = context.new_page()
    base = f"{app_server.url}/exam/{invitation.token}"
    problems: list[str] = []
    page.goto(f"{base}/")
    problems += _audit(page, axe_source, "landing")
    page.get_by_label(re.compile("I have read the above")).check()
    page.get_by_role("button", name="Start the exam").click()
    page.wait_for_url(re.compile(r"/questions/[a-z0-9-]+/$"))
    problems += _audit(page, axe_source, "written question")
    # The clock is not read out every second; the 5- and 1-minute warnings go to the polite status line.
    assert page.locator("[role=timer]").get_attribute("aria-live") == "off"
    assert page.get_by_test_id("save-state").get_attribute("aria-live") == "polite"
    # Question numbers up to 17 fit beside the list (they were clipped to "0.", "1.").
    assert page.evaluate("parseFloat(getComputedStyle(document.querySelector('.exam-nav ol')).paddingLeft)"
                         " >= 2 * parseFloat(getComputedStyle(document.querySelector('.exam-nav ol')).fontSize)")
    for slug in ("softmax-cross-entropy-bug", "asr-domain-terms"):
        page.goto(f"{base}/questions/{slug}/")
        page.locator(".cm-editor").wait_for()
        problems += _audit(page, axe_source, f"coding question {slug}")
    page.set_viewport_size({"width": 390, "height": 844})
    problems += _audit(page, axe_source, "coding question at 390 px")
    page.set_viewport_size({"width": 1366, "height": 900})
    page.goto(f"{base}/submit/")
    problems += _audit(page, axe_source, "submit")
    page.get_by_label(re.compile("I am ready")).check()
    page.get_by_role("button", name="Submit exam").click()
    page.get_by_test_id("done").wait_for()
    problems += _audit(page, axe_source, "done")
    page.goto(f"{app_server.url}/exam/not-a-real-token/")
    problems += _audit(page, axe_source, "invalid link")
    assert not problems, "\n".join(problems)
    context.close()


def _tab_to(page, selector: str, *, limit: int = 250, backwards: bool = False) -> None:
    """Press Tab until the focused element matches the selector, as a keyboard user would: in the code editor,
    where Tab indents, first Escape (the documented way out)."""
    for _ in range(limit):
        if page.evaluate("s => !!document.activeElement && document.activeElement.matches(s)", selector):
            return
        if page.evaluate("document.activeElement && document.activeElement.classList.contains('cm-content')"):
            page.keyboard.press("Escape")
        page.keyboard.press("Shift+Tab" if backwards else "Tab")
    raise AssertionError(f"{selector} is not reachable with the Tab key")


def test_a_whole_exam_with_the_keyboard_only(chromium, app_server, invitation, grading_worker):
    page = chromium.new_page(viewport={"width": 1366, "height": 900})
    page.goto(f"{app_server.url}/exam/{invitation.token}/")
    _tab_to(page, "input[name=consent]")
    page.keyboard.press("Space")
    _tab_to(page, "form[data-testid=start-form] button[type=submit]")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/questions/[a-z0-9-]+/$"))
    attempt = Attempt.objects.get(invitation=invitation)
    slug = page.url.rstrip("/").rsplit("/", 1)[-1]

    # The skip link is the first stop and leads to the content.
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.classList.contains('skip-link')")
    _tab_to(page, "textarea#answer")
    page.keyboard.type("Typed with the keyboard only.")
    page.get_by_test_id("save-state").filter(has_text=re.compile("Saved at")).wait_for()
    assert Response.objects.get(attempt=attempt, question__slug=slug).body == "Typed with the keyboard only."

    # To the first coding lab through the question list.
    _tab_to(page, "nav.exam-nav a[href$='/questions/softmax-cross-entropy-bug/']")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile("softmax-cross-entropy-bug/$"))
    page.locator(".cm-editor").wait_for()
    _tab_to(page, ".cm-content")
    page.keyboard.press("Control+End")
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")  # inside the editor Tab indents...
    page.keyboard.type("# keyboard")
    assert page.evaluate("document.activeElement.classList.contains('cm-content')")
    page.keyboard.press("Escape")  # ...and Escape, then Tab, moves on (documented under the editor)
    page.keyboard.press("Tab")
    assert not page.evaluate("document.activeElement.classList.contains('cm-content')")
    page.get_by_test_id("save-state").filter(has_text=re.compile("Saved at")).wait_for()
    assert "    # keyboard" in Response.objects.get(attempt=attempt, question__slug="softmax-cross-entropy-bug").body
    _tab_to(page, "button[data-testid=run-tests]")
    page.keyboard.press("Enter")
    page.get_by_test_id("run-verdict").wait_for(timeout=240_000)

    # Submit: the link in the bar (reached backwards, it is near the top), the confirmation, the button.
    _tab_to(page, "a[href$='/submit/']", backwards=True)
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile("/submit/$"))
    _tab_to(page, "input[name=confirm]")
    page.keyboard.press("Space")
    _tab_to(page, "form[data-testid=submit-form] button[type=submit]")
    page.keyboard.press("Enter")
    page.get_by_test_id("done").wait_for()
    attempt.refresh_from_db()
    assert attempt.status == "submitted"

"""A candidate's exam in Chromium against a live server: start, autosave, reload, offline, a stale
second tab, visible tests through the real worker and sandbox, the deadline, and submit."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from assessments import services
from assessments.models import Attempt, AttemptStatus, Response, SubmitReason, Track
from tests.browser.helpers import until

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SAVED = re.compile(r"Saved at")


@pytest.fixture
def invitation(synced_content):
    track = Track.objects.get(slug="advanced-ml-speech", is_current=True)
    candidate = services.candidate_create(full_name="Bea Browser", email="bea@example.com")
    return services.invitation_create(candidate=candidate, track=track)


def _start(page, app_server, invitation) -> Attempt:
    page.goto(f"{app_server.url}/exam/{invitation.token}/")
    page.get_by_label(re.compile("I have read the above")).check()
    page.get_by_role("button", name="Start the exam").click()
    page.wait_for_url(re.compile(r"/questions/[a-z0-9-]+/$"))
    return Attempt.objects.get(invitation=invitation)


def _answer(attempt: Attempt, slug: str) -> Response | None:
    return Response.objects.filter(attempt=attempt, question__slug=slug).first()


def test_candidate_types_reloads_goes_offline_and_submits(chromium, app_server, invitation, artifacts_dir: Path):
    context = chromium.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto(f"{app_server.url}/exam/{invitation.token}/")
    page.get_by_role("heading", name="What is recorded").wait_for()
    page.screenshot(path=str(artifacts_dir / "exam-landing.png"), full_page=True)
    # Starting without consent is refused by the browser's required check and by the server.
    attempt = _start(page, app_server, invitation)
    slug = page.url.rstrip("/").rsplit("/", 1)[-1]
    box = page.get_by_label("Your answer")

    # Type: the page saves by itself and says so.
    box.press_sequentially("CTC marginalises over alignments.", delay=5)
    page.get_by_test_id("save-state").filter(has_text=SAVED).wait_for()
    assert _answer(attempt, slug).body == "CTC marginalises over alignments."
    countdown = page.locator("#countdown").inner_text()
    assert re.fullmatch(r"\d+:\d\d:\d\d|\d+:\d\d", countdown), countdown
    page.screenshot(path=str(artifacts_dir / "exam-question.png"), full_page=True)

    # Reload: the text is back (from the server).
    page.reload()
    assert page.get_by_label("Your answer").input_value() == "CTC marginalises over alignments."

    # Offline: keep typing; the page says it is offline and keeps the text; back online it sends.
    context.set_offline(True)
    box = page.get_by_label("Your answer")
    box.press("End")
    box.press_sequentially(" Blank tokens absorb frames.", delay=5)
    page.get_by_test_id("offline-banner").wait_for(state="visible")
    kept = page.evaluate("Object.entries(localStorage).filter(([k]) => k.startsWith('it-exam:'))")
    assert kept and "Blank tokens absorb frames." in kept[0][1]
    assert "Blank tokens" not in _answer(attempt, slug).body
    context.set_offline(False)
    page.get_by_test_id("save-state").filter(has_text=SAVED).wait_for(timeout=30_000)
    full = "CTC marginalises over alignments. Blank tokens absorb frames."
    assert _answer(attempt, slug).body == full
    page.get_by_test_id("offline-banner").wait_for(state="hidden")

    # A second tab on the same answer, opened before this tab's next save: its save is refused.
    other = context.new_page()
    other.goto(page.url)
    box.press("End")
    box.press_sequentially(" First tab wins.", delay=5)
    page.get_by_test_id("save-state").filter(has_text=SAVED).wait_for()
    other_box = other.get_by_label("Your answer")
    other_box.press("End")
    other_box.press_sequentially(" Second tab.", delay=5)
    conflict = other.get_by_test_id("conflict")
    conflict.wait_for(state="visible")
    assert "First tab wins." in conflict.inner_text()
    assert _answer(attempt, slug).body == full + " First tab wins."
    other.screenshot(path=str(artifacts_dir / "exam-conflict.png"), full_page=True)
    other.get_by_role("button", name="Keep what I typed here").click()
    other.get_by_test_id("save-state").filter(has_text=SAVED).wait_for()
    assert _answer(attempt, slug).body == full + " Second tab."
    other.close()

    # Submit with confirmation; the confirmation page shows no grading details.
    page.get_by_role("link", name="Submit exam…").click()
    page.get_by_label(re.compile("I am ready")).check()
    page.get_by_role("button", name="Submit exam").click()
    page.get_by_test_id("done").wait_for()
    page.screenshot(path=str(artifacts_dir / "exam-submitted.png"), full_page=True)
    attempt.refresh_from_db()
    assert attempt.status == AttemptStatus.SUBMITTED and attempt.submit_reason == SubmitReason.CANDIDATE
    assert attempt.submissions.get(question__slug=slug).body == full + " Second tab."
    assert "hidden" not in page.get_by_test_id("done").inner_text().lower()
    context.close()


@pytest.mark.slow
def test_deadline_passes_and_the_exam_submits_itself(chromium, app_server, invitation, settings, artifacts_dir):
    settings.EXAM_SAVE_GRACE_SECONDS = 1
    page = chromium.new_page(viewport={"width": 390, "height": 844})  # a narrow window, phone-sized
    csp_errors: list[str] = []
    page.on("console", lambda m: csp_errors.append(m.text) if "Content Security Policy" in m.text else None)
    attempt = _start(page, app_server, invitation)
    slug = page.url.rstrip("/").rsplit("/", 1)[-1]
    # A short time limit: 6 seconds from now.
    Attempt.objects.filter(pk=attempt.pk).update(deadline_at=timezone.now() + timedelta(seconds=6))
    page.reload()
    # Keyboard only: the skip link comes first and leads to the content; no horizontal scrolling.
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to content"
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    page.screenshot(path=str(artifacts_dir / "exam-narrow.png"), full_page=False)
    page.get_by_label("Your answer").press_sequentially("typed just before time ran out", delay=5)
    page.get_by_test_id("closed").wait_for(state="visible", timeout=15_000)
    page.get_by_test_id("done").wait_for(timeout=20_000)
    attempt.refresh_from_db()
    assert attempt.status == AttemptStatus.SUBMITTED and attempt.submit_reason == SubmitReason.DEADLINE
    assert attempt.submissions.get(question__slug=slug).body == "typed just before time ran out"
    assert not csp_errors, csp_errors




@pytest.mark.slow
def test_run_visible_tests_on_the_find_the_bug_lab(chromium, app_server, invitation, grading_worker, artifacts_dir):
    from django.conf import settings as dj

    page = chromium.new_page(viewport={"width": 1280, "height": 900})
    csp_errors: list[str] = []
    page.on("console", lambda m: csp_errors.append(m.text) if "Content Security Policy" in m.text else None)
    attempt = _start(page, app_server, invitation)
    page.goto(f"{app_server.url}/exam/{invitation.token}/questions/softmax-cross-entropy-bug/")
    editor = page.locator(".cm-editor")
    editor.wait_for()
    assert not page.locator("textarea#answer").is_visible()  # CodeMirror replaced it

    # Typing in the editor autosaves the code (and keeps a snapshot).
    page.locator(".cm-content").click()
    page.keyboard.press("Control+End")
    page.keyboard.type("\n# checked the log-sum-exp\n")
    page.get_by_test_id("save-state").filter(has_text=SAVED).wait_for()
    assert "# checked the log-sum-exp" in _answer(attempt, "softmax-cross-entropy-bug").body

    # The starter's bug fails the visible tests...
    page.get_by_role("button", name="Run visible tests").click()
    verdict = page.get_by_test_id("run-verdict")
    verdict.wait_for(timeout=240_000)
    assert verdict.inner_text() == "failed"
    page.screenshot(path=str(artifacts_dir / "exam-coding-run.png"), full_page=True)

    # ...and the fixed code passes them.
    reference = (dj.CONTENT_EXERCISES_DIR / "softmax-cross-entropy-bug" / "reference" / "solution.py").read_text()
    page.evaluate("text => document.querySelector('textarea#answer').itEditor.setValue(text)", reference)
    page.get_by_role("button", name="Run visible tests").click()
    page.get_by_test_id("run-verdict").filter(has_text="passed").wait_for(timeout=240_000)
    assert not csp_errors, csp_errors


def test_text_typed_while_the_server_is_unreachable_survives_a_reload(chromium, app_server, invitation):
    context = chromium.new_context()
    page = context.new_page()
    attempt = _start(page, app_server, invitation)
    slug = page.url.rstrip("/").rsplit("/", 1)[-1]
    # The save endpoint fails (server down, proxy error): the text stays in this browser only.
    page.route("**/answers/**", lambda route: route.abort("connectionrefused"))
    page.get_by_label("Your answer").press_sequentially("kept while the server was down", delay=5)
    page.get_by_test_id("save-state").filter(has_text=re.compile("kept in this browser")).wait_for()
    assert _answer(attempt, slug) is None
    # The candidate reloads once the server is back (and confirms leaving a page with unsent text):
    # the page restores the text from the browser's storage and saves it.
    page.unroute("**/answers/**")
    dialogs = []
    page.on("dialog", lambda d: (dialogs.append(d.type), d.accept()))
    page.reload()
    assert dialogs == ["beforeunload"]
    assert page.get_by_label("Your answer").input_value() == "kept while the server was down"
    page.get_by_test_id("save-state").filter(has_text=SAVED).wait_for()
    assert _answer(attempt, slug).body == "kept while the server was down"
    context.close()


def test_moving_between_questions_is_not_leaving_the_tab_but_a_real_switch_is(chromium, app_server, invitation):
    """Issue 14: clicking Next four times and submitting showed "5 tab switch(es)". Only a real departure (another
    tab in front) counts, once, and coming back is recorded with it; pastes are recorded as they happen."""
    from assessments.models import IntegrityEvent

    context = chromium.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    attempt = _start(page, app_server, invitation)
    for _ in range(4):
        page.locator("a[rel=next]").first.click()
        page.wait_for_load_state("load")
    page.get_by_label("Your answer").fill("navigation only")
    page.get_by_test_id("save-state").filter(has_text=SAVED).wait_for()
    page.wait_for_timeout(2500)  # the signal batch is sent 2 s after the last event
    assert not IntegrityEvent.objects.filter(attempt=attempt, kind__in=["focus_lost", "focus_regained"]).exists()

    # A real switch: another tab comes to the front, then the exam again. Real focus, as a desktop browser has it
    # (Playwright otherwise tells every page it is focused): the tab in front takes the focus from the exam.
    context.new_cdp_session(page).send("Emulation.setFocusEmulationEnabled", {"enabled": False})
    other = context.new_page()
    other.goto("about:blank")
    other.bring_to_front()
    until(page, "!document.hasFocus()")
    page.bring_to_front()
    until(page, "document.hasFocus()")
    page.wait_for_timeout(2500)
    kinds = list(IntegrityEvent.objects.filter(attempt=attempt).order_by("pk").values_list("kind", flat=True))
    assert kinds == ["focus_lost", "focus_regained"], kinds
    context.close()


def test_the_coding_workspace_shows_output_and_the_first_error_with_its_line(
        chromium, app_server, invitation, grading_worker, artifacts_dir):
    """Issue 14, finding 2: print() output and a syntax error's line are shown after Run, and the line is selected
    in the editor; the workspace fits 1366 and 390 px wide (screenshots kept), with no sideways scrolling."""
    from django.conf import settings as dj

    page = chromium.new_page(viewport={"width": 1366, "height": 900})
    _start(page, app_server, invitation)
    page.goto(f"{app_server.url}/exam/{invitation.token}/questions/softmax-cross-entropy-bug/")
    page.locator(".cm-editor").wait_for()
    reference = (dj.CONTENT_EXERCISES_DIR / "softmax-cross-entropy-bug" / "reference" / "solution.py").read_text()
    code = "print('hello from the candidate')\n" + reference.rstrip("\n") + "\n\n\ndef broken(:\n    pass\n"
    broken_line = code.count("\n") - 1
    page.evaluate("text => document.querySelector('textarea#answer').itEditor.setValue(text)", code)
    page.get_by_role("button", name="Run visible tests").click()
    error = page.get_by_test_id("first-error")
    error.wait_for(timeout=240_000)
    assert f"SyntaxError at line {broken_line} of solution.py" in error.inner_text()
    selected = "(() => { const v = document.querySelector('textarea#answer').itEditor.view;" \
               " return v.state.doc.lineAt(v.state.selection.main.head).number; })()"
    assert page.evaluate(selected) == broken_line  # selected by itself: the candidate was not typing
    page.evaluate("document.querySelector('textarea#answer').itEditor.view.dispatch({selection: {anchor: 0}})")
    page.get_by_role("button", name=f"Show line {broken_line} in the editor").click()
    assert page.evaluate(selected) == broken_line

    # Fixed: the tests pass and what the code printed is shown.
    page.evaluate("text => document.querySelector('textarea#answer').itEditor.setValue(text)",
                  "print('hello from the candidate')\n" + reference)
    page.get_by_role("button", name="Run visible tests").click()
    page.get_by_test_id("run-verdict").filter(has_text="passed").wait_for(timeout=240_000)
    assert "hello from the candidate" in page.get_by_test_id("run-output").inner_text()
    assert not page.get_by_test_id("first-error").count()
    # Prompt beside the editor at 1366 px; the clock stays in view while scrolled down to the results.
    prompt, editor = page.locator(".prompt-pane").bounding_box(), page.locator(".cm-editor").bounding_box()
    assert prompt["x"] + prompt["width"] <= editor["x"], (prompt, editor)
    page.get_by_test_id("run-output").scroll_into_view_if_needed()
    assert page.locator("#countdown").is_visible() and 0 <= page.locator("#countdown").bounding_box()["y"] < 80
    page.screenshot(path=str(artifacts_dir / "workspace-1366.png"), full_page=False)
    page.set_viewport_size({"width": 390, "height": 844})
    page.wait_for_timeout(200)
    wide = page.evaluate("""() => {
        const w = document.documentElement.clientWidth;
        return [...document.querySelectorAll('body *')]
          .filter(e => e.getBoundingClientRect().right > w + 1 && !e.closest('.cm-scroller, pre, .table-scroll'))
          .slice(0, 5).map(e => e.tagName + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right));
    }""")  # what sticks out, if anything, for the failure message
    assert page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth"), wide
    assert page.locator(".topbar").bounding_box()["height"] < 60  # the sticky bar stays one short line on a phone
    page.locator(".cm-editor").scroll_into_view_if_needed()
    page.screenshot(path=str(artifacts_dir / "workspace-390.png"), full_page=False)
    page.get_by_test_id("run-output").scroll_into_view_if_needed()
    page.screenshot(path=str(artifacts_dir / "workspace-390-results.png"), full_page=False)

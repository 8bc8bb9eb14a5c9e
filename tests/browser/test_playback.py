"""An interviewer replays how a candidate's code grew, in Chromium: the scrubber by keyboard, Play at 32x with the
idle stretch skipped, and the paste and run marks that move the scrubber."""

from __future__ import annotations

import re
import time
from datetime import timedelta

import pytest
from django.utils import timezone

from assessments import roles, services
from assessments.models import Question, Track
from graders import services as run_services
from graders.result import GradingResult, Outcome, Suite, TestResult, Verdict
from tests.browser.test_accessibility import AXE, _audit
from tests.factories import UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LAB = "softmax-cross-entropy-bug"
BODIES = [
    "import torch\n",
    "import torch\n\ndef training_step(model, batch):\n    pass\n",
    "import torch\n\ndef training_step(model, batch):\n    logits = model(batch.x)\n",
    "import torch\n\ndef training_step(model, batch):\n    logits = model(batch.x)\n"
    "    loss = torch.nn.functional.cross_entropy(logits, batch.y)\n",
    "import torch\n\ndef training_step(model, batch):\n    logits = model(batch.x)\n"
    "    loss = torch.nn.functional.cross_entropy(logits, batch.y)\n    loss.backward()\n    return loss\n",
]
# Seconds after the start: 20 s apart, but a 300 s idle stretch before the fourth (30 s on the timeline).
SAVED_AT = [60, 80, 100, 400, 420]


def _login(page, app_server, username):
    page.goto(f"{app_server.url}/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill("pw-for-tests-only")
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("heading", name="Tracks").wait_for()


def test_replay_a_lab_in_the_browser(chromium, app_server, synced_content, artifacts_dir, settings):
    settings.EXAM_SNAPSHOT_INTERVAL_S = 10
    roles.roles_ensure()
    track = Track.objects.get(slug="advanced-ml-speech", is_current=True)
    cand = services.candidate_create(full_name="Pat Playback", email="pat@example.com")
    started = timezone.now() - timedelta(minutes=30)
    attempt = services.attempt_start(invitation=services.invitation_create(candidate=cand, track=track), now=started)
    lab = Question.objects.get(slug=LAB, is_current=True)
    for revision, (body, seconds) in enumerate(zip(BODIES, SAVED_AT, strict=True)):
        services.response_save(attempt=attempt, question=lab, body=body, base_revision=revision,
                               now=started + timedelta(seconds=seconds))
    assert attempt.snapshots.count() == len(BODIES)
    # A paste 5 s after the second snapshot, and a visible run on the final code (now, after every save).
    services.integrity_event_record(attempt=attempt, kind="paste", question=lab, chars=57,
                                    now=started + timedelta(seconds=85))
    run = run_services.visible_run_request(attempt=attempt, question=lab, body=BODIES[-1])
    _, delivery = run_services.grading_run_claim(run_id=str(run.pk))
    run_services.grading_run_store_result(
        run_id=str(run.pk), delivery=delivery, backend="local", image="",
        result=GradingResult(suite=Suite.VISIBLE, verdict=Verdict.FAILED, score=0.0,
                             tests=(TestResult("test_loss_is_scalar", Outcome.FAILED),)))
    services.attempt_submit(attempt=attempt)
    ivy = UserFactory(username="ivy", role=roles.INTERVIEWER)
    services.assignment_create(attempt=attempt, interviewer=ivy, question=lab)

    page = chromium.new_page(viewport={"width": 1280, "height": 900})
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    _login(page, app_server, "ivy")
    page.goto(f"{app_server.url}/scoring/attempts/{attempt.pk}/playback/{LAB}/")
    page.get_by_text("Idle gaps over 30 s skipped").wait_for()
    scrubber = page.get_by_label("Snapshot", exact=True)
    code = page.get_by_test_id("playback-code")
    status = page.get_by_test_id("playback-status")
    assert scrubber.input_value() == "4" and code.text_content() == BODIES[4]  # opens on the final code

    # The keyboard moves the scrubber one snapshot at a time.
    scrubber.focus()
    page.keyboard.press("Home")
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    assert scrubber.input_value() == "2"
    assert code.text_content() == BODIES[2]
    assert status.text_content() == "Snapshot 3 of 5 · revision 3 · 1:40 since the start"
    assert scrubber.get_attribute("aria-valuetext") == "Snapshot 3 of 5, revision 3, 1:40 since the start"
    # The line added since the previous snapshot is highlighted, and only it.
    assert code.locator(".line.changed").all_text_contents() == ["    logits = model(batch.x)"]

    # Marks: the paste shows the code as it stood (snapshot 2, saved 5 s before it), the run the final code.
    paste, run_mark = page.get_by_test_id("mark-paste"), page.get_by_test_id("mark-run")
    assert paste.text_content().startswith("Pasted 57 characters at 1:25")
    assert run_mark.text_content().startswith("Ran the visible tests: failed")
    assert page.locator(".playback-ticks .tick-paste").count() == 1
    assert page.locator(".playback-ticks .tick-run").count() == 1
    run_mark.click()
    assert scrubber.input_value() == "4" and code.text_content() == BODIES[4]
    paste.click()
    assert scrubber.input_value() == "1" and code.text_content() == BODIES[1]
    # Lines 2 to 4 are new in snapshot 2 (its first has only "import torch"); the final newline is no line.
    assert code.locator(".line").count() == 4
    assert code.locator(".line.changed").all_text_contents() == ["", "def training_step(model, batch):", "    pass"]
    page.screenshot(path=str(artifacts_dir / "playback-paste.png"), full_page=True)

    # Play at 32x from the first snapshot: 20 + 20 + 30 (the 300 s idle stretch) + 20 = 90 s of timeline,
    # about 2.8 s; without the skip it would take 360 / 32 = 11.25 s.
    scrubber.fill("0")
    assert code.text_content() == BODIES[0]
    page.get_by_label("Speed").select_option("32")
    began = time.monotonic()
    page.get_by_test_id("play").click()
    assert page.get_by_test_id("play").text_content() == "Pause"
    page.get_by_test_id("play").filter(has_text=re.compile("^Play$")).wait_for(timeout=15_000)
    took = time.monotonic() - began
    assert scrubber.input_value() == "4" and code.text_content() == BODIES[4]
    assert status.text_content().startswith("Snapshot 5 of 5")
    assert 2.3 < took < 8, took
    page.screenshot(path=str(artifacts_dir / "playback.png"), full_page=True)
    assert errors == []  # nothing refused by the page's CSP (no inline script or style), no script error
    page.close()

    # Without JavaScript the page is a form: the marks and "Show this snapshot" load the chosen snapshot.
    context = chromium.new_context(java_script_enabled=False, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    _login(page, app_server, "ivy")
    page.goto(f"{app_server.url}/scoring/attempts/{attempt.pk}/playback/{LAB}/")
    assert page.get_by_test_id("play").is_hidden() and page.get_by_test_id("speed").is_hidden()
    page.get_by_test_id("mark-paste").click()
    page.wait_for_url(re.compile(r"jump=1"))
    assert page.get_by_test_id("playback-code").text_content() == BODIES[1]
    assert page.get_by_label("Snapshot", exact=True).input_value() == "1"
    page.get_by_label("Snapshot", exact=True).fill("3")
    page.get_by_role("button", name="Show this snapshot").click()
    page.wait_for_url(re.compile(r"at=3"))
    assert page.get_by_test_id("playback-code").text_content() == BODIES[3]
    context.close()

    if AXE.exists():  # tests/a11y's `npm ci`: the candidate pages' audit requires it, this one uses it if there
        # The audit's own script is let in by this context only; the page above ran under the site's CSP.
        context = chromium.new_context(bypass_csp=True, viewport={"width": 1280, "height": 900})
        page = context.new_page()
        _login(page, app_server, "ivy")
        page.goto(f"{app_server.url}/scoring/attempts/{attempt.pk}/playback/{LAB}/")
        page.get_by_test_id("play").wait_for()
        assert _audit(page, AXE.read_text(), "playback") == []
        context.close()

"""The exam page under failure, in Chromium (issue 14, finding 6): a 429 or 503 answer to a save is retried when
the server says and the text lands; a refused CSRF check (the cookie replaced under the page) is explained and
recovers by itself; a failed run says why where its result would be."""

from __future__ import annotations

import re

import pytest

from assessments import services
from assessments.models import Track
from tests.browser.test_exam_flow import SAVED, _answer, _start

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def invitation(synced_content):
    track = Track.objects.get(slug="advanced-ml-speech", is_current=True)
    candidate = services.candidate_create(full_name="Rhea Retry", email="rhea@example.com")
    return services.invitation_create(candidate=candidate, track=track)


def test_busy_and_unavailable_answers_are_retried_and_the_text_lands(chromium, app_server, invitation):
    page = chromium.new_page()
    attempt = _start(page, app_server, invitation)
    slug = page.url.rstrip("/").rsplit("/", 1)[-1]
    answers = [
        (429, {"code": "too_many_saves", "error": "Saving paused for a moment."}),
        (503, {"code": "unavailable", "error": "The service is briefly unavailable."}),
    ]
    seen: list[int] = []

    def flaky(route):
        if answers:
            status, body = answers.pop(0)
            seen.append(status)
            route.fulfill(status=status, json=body, headers={"Retry-After": "1"})
        else:
            route.continue_()

    page.route("**/answers/**", flaky)
    page.get_by_label("Your answer").fill("lands after a busy server")
    state = page.get_by_test_id("save-state")
    state.filter(has_text=re.compile("kept in this browser, retrying in 1 s")).wait_for()
    state.filter(has_text=SAVED).wait_for(timeout=15_000)
    assert seen == [429, 503]
    assert _answer(attempt, slug).body == "lands after a busy server"
    assert not page.get_by_test_id("closed").is_visible()


def test_a_server_error_keeps_the_text_and_retries(chromium, app_server, invitation):
    page = chromium.new_page()
    attempt = _start(page, app_server, invitation)
    slug = page.url.rstrip("/").rsplit("/", 1)[-1]
    failures = [1, 1]

    def broken(route):
        if failures:
            failures.pop()
            route.fulfill(status=500, body="<h1>Server Error (500)</h1>", content_type="text/html")
        else:
            route.continue_()

    page.route("**/answers/**", broken)
    page.get_by_label("Your answer").fill("survives two 500s")
    page.get_by_test_id("save-state").filter(has_text=re.compile(r"the server had a problem \(error 500\)")).wait_for()
    page.get_by_test_id("save-state").filter(has_text=SAVED).wait_for(timeout=15_000)
    assert _answer(attempt, slug).body == "survives two 500s"


def test_a_refused_csrf_check_recovers_without_losing_the_text(chromium, app_server, invitation):
    context = chromium.new_context()
    page = context.new_page()
    attempt = _start(page, app_server, invitation)
    slug = page.url.rstrip("/").rsplit("/", 1)[-1]
    # Another window (or cleared cookies) replaced the CSRF cookie: this page's token no longer matches it.
    context.add_cookies([{"name": "csrftoken", "value": "Z" * 32, "url": app_server.url}])
    refusals: list[int] = []
    page.on("response", lambda r: refusals.append(r.status) if "/answers/" in r.url and r.status == 403 else None)
    page.get_by_label("Your answer").fill("typed after the cookie changed")
    page.get_by_test_id("save-state").filter(has_text=SAVED).wait_for(timeout=15_000)
    assert refusals == [403]  # refused once, then the fresh token worked
    assert _answer(attempt, slug).body == "typed after the cookie changed"
    assert not page.get_by_test_id("closed").is_visible()  # not mistaken for a closed exam
    # The next save uses the new token straight away.
    page.get_by_label("Your answer").fill("and the next one")
    page.get_by_test_id("save-state").filter(has_text=SAVED).wait_for()
    assert refusals == [403] and _answer(attempt, slug).body == "and the next one"
    context.close()


def test_a_failed_run_request_says_why(chromium, app_server, invitation):
    page = chromium.new_page()
    _start(page, app_server, invitation)
    page.goto(f"{app_server.url}/exam/{invitation.token}/questions/softmax-cross-entropy-bug/")
    page.locator(".cm-editor").wait_for()
    page.route("**/runs/**", lambda route: route.fulfill(status=503, json={
        "code": "unavailable", "error": "The service is briefly unavailable. Try again in a moment."}))
    page.get_by_role("button", name="Run visible tests").click()
    page.get_by_test_id("run-result").filter(has_text="briefly unavailable").wait_for()


def test_waiting_for_a_run_shows_the_place_in_line_and_the_time_waited(chromium, app_server, invitation):
    """Issue 14, finding 3: two other candidates' runs are ahead in the queue (no worker is taking them), so this
    run waits third in line; the page says so and the seconds waited move on by themselves."""
    from assessments.models import Question
    from graders import services as run_services

    lab = Question.objects.get(slug="softmax-cross-entropy-bug", is_current=True)
    for name in ("Ahead One", "Ahead Two"):
        other = services.invitation_create(
            candidate=services.candidate_create(full_name=name, email=f"{name.split()[1].lower()}@example.com"),
            track=invitation.track)
        run_services.visible_run_request(attempt=services.attempt_start(invitation=other), question=lab, body="x = 1\n")
    page = chromium.new_page()
    _start(page, app_server, invitation)
    page.goto(f"{app_server.url}/exam/{invitation.token}/questions/softmax-cross-entropy-bug/")
    page.locator(".cm-editor").wait_for()
    page.get_by_role("button", name="Run visible tests").click()
    progress = page.get_by_test_id("run-progress")
    progress.filter(has_text=re.compile(r"Queued: position 3 in line, \d+ s so far")).wait_for()
    first = int(re.search(r"(\d+) s so far", progress.inner_text()).group(1))
    progress.filter(has_text=re.compile(rf"position 3 in line, (?!{first} s)\d+ s so far")).wait_for(timeout=5000)

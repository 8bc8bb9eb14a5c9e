"""The scoring page in Chromium on the real track (issue 16, finding 2): the outline and its progress, "Not
answered" in one click, errors that jump to their dimension, the save state always in view, the run history."""

from __future__ import annotations

import re

import pytest

from assessments import roles, services
from assessments.models import DimensionScore, Question, QuestionKind, ResponseSnapshot, SectionQuestion, Track
from assessments.services.scoring import NOT_ANSWERED
from graders import services as run_services
from graders.result import GradingResult, Outcome, Suite, TestResult, Verdict
from tests.browser.helpers import until
from tests.browser.test_accessibility import _audit, axe_source  # noqa: F401  (axe_source: the fixture)
from tests.factories import UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WRITTEN = "asr-objectives-streaming"
CODING = "softmax-cross-entropy-bug"
BLANK = {"wer-by-slice", "transfer-to-speech"}   # a coding lab and a written question left blank
WIDE = {"width": 1366, "height": 900}


def _login(page, app_server, username):
    page.goto(f"{app_server.url}/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill("pw-for-tests-only")
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("heading", name="Tracks").wait_for()


def _visible_run(attempt, question, passed: int, failed: int):
    """A visible-test run the candidate made during the exam, stored as a worker would store it."""
    run = run_services.grading_run_create(question=question, attempt=attempt, suite="visible",
                                          candidate_files={question.coding_config.entrypoint: "x"})
    _, delivery = run_services.grading_run_claim(run_id=str(run.pk))
    tests = tuple(TestResult(f"test_ok_{i}", Outcome.PASSED) for i in range(passed)) + tuple(
        TestResult(f"test_bad_{i}", Outcome.FAILED, "assert 1 == 2") for i in range(failed))
    result = GradingResult(suite=Suite.VISIBLE, verdict=Verdict.FAILED if failed else Verdict.PASSED, score=0.5,
                           tests=tests)
    run_services.grading_run_store_result(run_id=str(run.pk), delivery=delivery, result=result, backend="local",
                                          image="")


@pytest.fixture
def sheet(synced_content):
    """The demo-sized exam: every question of the track answered but two, one interviewer assigned to all of it."""
    roles.roles_ensure()
    track = Track.objects.get(slug="advanced-ml-speech", is_current=True)
    cand = services.candidate_create(full_name="Rita Real", email="rita@example.com")
    attempt = services.attempt_start(invitation=services.invitation_create(candidate=cand, track=track))
    for p in SectionQuestion.objects.filter(section__track=track).select_related("question"):
        q = p.question
        if q.kind == QuestionKind.LIVE or q.slug in BLANK:
            continue
        body = q.starter_files.get(q.coding_config.entrypoint, "") if q.is_coding else "A considered answer. " * 20
        services.response_save(attempt=attempt, question=q, body=body, base_revision=0)
    coding = Question.objects.get(slug=CODING, is_current=True)
    services.response_save(attempt=attempt, question=coding, body="def training_step(m, b):\n    return 1\n",
                           base_revision=1)
    _visible_run(attempt, coding, passed=1, failed=2)
    _visible_run(attempt, coding, passed=3, failed=0)
    services.attempt_submit(attempt=attempt)
    ann = UserFactory(username="ann", role=roles.INTERVIEWER)
    services.assignment_create(attempt=attempt, interviewer=ann)
    return {"attempt": attempt, "track": track, "ann": ann, "coding": coding,
            "written": Question.objects.get(slug=WRITTEN, is_current=True),
            "blank": Question.objects.get(slug="wer-by-slice", is_current=True)}


def _open(chromium, app_server, sheet, viewport=WIDE, **context):
    page = chromium.new_context(viewport=viewport, **context).new_page()
    _login(page, app_server, "ann")
    page.goto(f"{app_server.url}/scoring/attempts/{sheet['attempt'].pk}/")
    return page


def _in_viewport(page, locator) -> bool:
    box = locator.bounding_box()
    height = page.viewport_size["height"]
    return box is not None and box["y"] >= 0 and box["y"] + box["height"] <= height


def _saved(page, action):
    """Run `action` and wait for the htmx save it causes to come back."""
    with page.expect_response(lambda r: r.url.endswith("/save/") and r.request.method == "POST"):
        action()
    until(page, "!document.getElementById('save-status').textContent.includes('Saving')")
    page.get_by_test_id("save-status").filter(has_text=re.compile(r"Draft saved at|Not saved")).wait_for()


def test_outline_progress_not_answered_and_the_bar_in_view(chromium, app_server, sheet, artifacts_dir):
    placements = list(SectionQuestion.objects.filter(section__track=sheet["track"]).select_related("question")
                      .order_by("section__order", "order"))
    page = _open(chromium, app_server, sheet)
    print(f"scoring page height at 1366x900: {page.evaluate('document.body.scrollHeight')} px")

    # Every question is in the outline, in exam order, the blank ones marked.
    items = page.get_by_test_id("outline-item")
    assert items.count() == len(placements) > 10
    assert [t.strip() for t in items.locator("a").all_inner_texts()] == [
        f"Q{i} {p.question.title}" for i, p in enumerate(placements, start=1)]
    assert page.get_by_test_id("outline-not-answered").count() == len(BLANK)

    # Halfway down the page the save state, Submit and the outline are still in view.
    page.evaluate("window.scrollTo(0, document.body.scrollHeight / 2)")
    page.wait_for_timeout(100)
    assert page.evaluate("window.scrollY") > 5000
    assert _in_viewport(page, page.get_by_test_id("save-status"))
    assert _in_viewport(page, page.get_by_test_id("submit-scorecard"))
    assert _in_viewport(page, page.get_by_test_id("outline").locator("summary"))

    # Scoring a dimension moves the question's count and the overall one, and saves it.
    q = sheet["written"]
    dims = list(q.rubric.dimensions.order_by("order"))
    lo = min(q.rubric.levels.values_list("score", flat=True))
    entry = page.locator(f"[data-outline-qid='{q.pk}']")
    assert entry.get_by_test_id("outline-progress").inner_text() == f"0/{len(dims)}"
    _saved(page, lambda: page.locator(f"input[name='level-{q.pk}-{dims[0].slug}'][value='{lo + 1}']").check())
    assert entry.get_by_test_id("outline-progress").inner_text() == f"1/{len(dims)}"
    assert page.get_by_test_id("bar-progress").inner_text().startswith("1 / ")
    assert DimensionScore.objects.filter(scorecard__interviewer=sheet["ann"]).count() == 1

    # "Not answered" scores every dimension of the blank lab in one click.
    blank = sheet["blank"]
    blank_dims = list(blank.rubric.dimensions.values_list("slug", flat=True))
    blank_lo = min(blank.rubric.levels.values_list("score", flat=True))
    _saved(page, lambda: page.locator(f"[data-not-answered='{blank.pk}']").click())
    assert "Draft saved at" in page.get_by_test_id("save-status").inner_text()
    rows = DimensionScore.objects.filter(scorecard__interviewer=sheet["ann"], question=blank)
    assert sorted(rows.values_list("dimension__slug", flat=True)) == sorted(blank_dims)
    assert set(rows.values_list("level__score", "evidence")) == {(blank_lo, NOT_ANSWERED)}
    done = page.locator(f"[data-outline-qid='{blank.pk}']")
    assert done.get_by_test_id("outline-progress").inner_text() == f"{len(blank_dims)}/{len(blank_dims)}"
    assert "complete" in done.get_attribute("class")
    assert page.get_by_test_id("bar-progress").inner_text().startswith(f"{1 + len(blank_dims)} / ")
    page.screenshot(path=str(artifacts_dir / "scoring-page.png"))
    page.close()


def test_a_failed_submit_points_at_the_dimension(chromium, app_server, sheet, artifacts_dir):
    q = sheet["written"]
    number = 1 + [p.question_id for p in SectionQuestion.objects.filter(section__track=sheet["track"])
                  .order_by("section__order", "order")].index(q.pk)
    dims = list(q.rubric.dimensions.order_by("order"))
    lo = min(q.rubric.levels.values_list("score", flat=True))
    page = _open(chromium, app_server, sheet)
    # The lowest level without evidence: the autosave already says which dimension, then Submit does too.
    _saved(page, lambda: page.locator(f"input[name='level-{q.pk}-{dims[1].slug}'][value='{lo}']").check())
    status = page.get_by_test_id("save-status").inner_text()
    assert "Not saved: 1 problem" in status and dims[1].title in status
    page.get_by_test_id("submit-scorecard").click()
    summary = page.get_by_test_id("form-errors")
    summary.wait_for()
    assert "Nothing was saved: 1 problem" in summary.inner_text()
    link = summary.get_by_test_id("error-link")
    assert link.inner_text() == f"Q{number} {q.title} · {dims[1].title}"
    fieldset = page.locator(f"#f-q{q.pk}-{dims[1].slug}")
    assert "write the evidence" in fieldset.get_by_test_id("dimension-error").inner_text()
    assert "has-error" in page.locator(f"[data-outline-qid='{q.pk}']").get_attribute("class")
    page.evaluate("window.scrollTo(0, document.body.scrollHeight)")   # away from it, then the link brings it back
    link.click()
    until(page, f"location.hash === '#f-q{q.pk}-{dims[1].slug}'")
    assert _in_viewport(page, fieldset.locator("legend"))
    assert _in_viewport(page, fieldset.get_by_test_id("dimension-error"))
    page.screenshot(path=str(artifacts_dir / "scoring-error.png"))
    assert not DimensionScore.objects.filter(scorecard__interviewer=sheet["ann"]).exists()
    page.close()


def test_a_coding_question_shows_its_run_history_and_snapshots(chromium, app_server, sheet, artifacts_dir):
    coding = sheet["coding"]
    page = _open(chromium, app_server, sheet)
    section = page.locator(f"#item-{coding.pk}")
    history = section.get_by_test_id("run-history")
    history.scroll_into_view_if_needed()
    visible = history.locator("tr[data-suite='visible']")
    assert visible.count() == 2
    assert "1 passed, 2 failed" in visible.nth(0).inner_text() and "failed" in visible.nth(0).inner_text()
    assert "3 passed, 0 failed" in visible.nth(1).inner_text() and "passed" in visible.nth(1).inner_text()
    assert history.locator("tr[data-suite='hidden']").count() == 1   # the final grading, queued at submit
    assert "Final hidden grading" in history.locator("tr[data-suite='hidden']").inner_text()
    snapshots = ResponseSnapshot.objects.filter(attempt=sheet["attempt"], question=coding).count()
    assert snapshots >= 1
    text = history.get_by_test_id("snapshots").inner_text()
    assert text.startswith(f"{snapshots} snapshot{'s' if snapshots != 1 else ''} of the code recorded")
    assert "def training_step" in section.locator("pre.answer-code").inner_text()   # the final code
    section.screenshot(path=str(artifacts_dir / "scoring-coding.png"))
    page.close()


def test_the_scoring_page_passes_the_axe_audit(chromium, app_server, sheet, axe_source):  # noqa: F811
    page = _open(chromium, app_server, sheet, bypass_csp=True)   # the site's CSP would refuse the audit's script
    problems = _audit(page, axe_source, "scoring page")
    page.get_by_test_id("submit-scorecard").click()   # nothing scored: the error state, every dimension flagged
    page.get_by_test_id("form-errors").wait_for()
    problems += _audit(page, axe_source, "scoring page with errors")
    page.set_viewport_size({"width": 390, "height": 844})
    problems += _audit(page, axe_source, "scoring page at 390 px")
    assert not problems, "\n".join(problems)
    page.close()


def test_on_a_phone_the_outline_folds_and_the_bar_stays(chromium, app_server, sheet, artifacts_dir):
    page = _open(chromium, app_server, sheet, viewport={"width": 390, "height": 844})
    outline = page.get_by_test_id("outline")
    assert not outline.get_by_test_id("outline-item").first.is_visible()   # folded: the questions come first
    outline.locator("summary").click()
    q = sheet["written"]
    link = outline.locator(f"a[href='#item-{q.pk}']")
    link.click()
    until(page, f"location.hash === '#item-{q.pk}'")
    assert not link.is_visible()                                             # folded again after the jump
    assert _in_viewport(page, page.locator(f"#q-{q.pk}"))                    # the question is not under it
    page.evaluate("window.scrollTo(0, document.body.scrollHeight / 2)")
    assert _in_viewport(page, page.get_by_test_id("save-status"))
    assert _in_viewport(page, page.get_by_test_id("submit-scorecard"))
    page.screenshot(path=str(artifacts_dir / "scoring-page-phone.png"))
    page.close()

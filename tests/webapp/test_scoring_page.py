"""The interviewer's scoring page (issue 16, finding 2): "Not answered" in one click for a blank answer, errors
that name and point at their dimension, the outline's progress, the coding run history, bounded queries.

The fixture `world` (tests/webapp/test_scoring.py) is a submitted attempt with a written and a coding answer; every
other question of the track is blank."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import NoReverseMatch, reverse

from assessments import roles, services
from assessments.models import DimensionScore, Question, ResponseSnapshot, Scorecard, SectionQuestion
from assessments.services.scoring import NOT_ANSWERED, scorecard_not_answered
from graders import services as run_services
from graders.result import GradingResult, Outcome, Suite, TestResult, Verdict
from tests.factories import UserFactory
from tests.webapp.test_scoring import _full_post, _levels, world  # noqa: F401  (world: the shared fixture)

pytestmark = pytest.mark.django_db

BLANK = "wer-by-slice"   # a coding lab the fixture's candidate left blank


@pytest.fixture
def blank(world):  # noqa: F811
    q = Question.objects.get(slug=BLANK, is_current=True)
    assert not world["attempt"].submissions.get(question=q).body.strip()
    services.assignment_create(attempt=world["attempt"], interviewer=world["a"], question=q)
    return q


def _page(client, world, who="a"):  # noqa: F811
    client.force_login(world[who])
    return client.get(reverse("scoring-attempt", args=[world["attempt"].pk]))


def _fieldset(html: str, qid: int, slug: str) -> str:
    """The HTML of one dimension's fieldset on the page."""
    start = html.index(f'id="f-q{qid}-{slug}"')
    return html[start:html.index("</fieldset>", start)]


# --- "Not answered" ---------------------------------------------------------------------------------------


def test_not_answered_scores_every_dimension_at_the_lowest_level(world, blank):  # noqa: F811
    card = services.scorecard_open(attempt=world["attempt"], interviewer=world["a"])
    dims, lo, _ = _levels(blank)
    scorecard_not_answered(scorecard=card, by=world["a"], question_id=blank.pk)
    rows = DimensionScore.objects.filter(scorecard=card, question=blank)
    assert sorted(rows.values_list("dimension__slug", flat=True)) == sorted(dims)
    assert set(rows.values_list("level__score", "evidence")) == {(lo, NOT_ANSWERED)}


def test_not_answered_is_refused_for_an_answered_question_and_a_live_round(world, blank):  # noqa: F811
    section = world["track"].sections.get(slug="live-round")
    services.assignment_create(attempt=world["attempt"], interviewer=world["a"], section=section)
    live = section.items.first().question
    card = services.scorecard_open(attempt=world["attempt"], interviewer=world["a"])
    written = world["written"]
    with pytest.raises(services.ScorecardInvalid) as exc:
        scorecard_not_answered(scorecard=card, by=world["a"], question_id=written.pk)
    assert list(exc.value.errors) == [f"not-answered-{written.pk}"]
    assert "answered this question" in exc.value.errors[f"not-answered-{written.pk}"]
    with pytest.raises(services.ScorecardInvalid) as exc:
        scorecard_not_answered(scorecard=card, by=world["a"], question_id=live.pk)
    assert "live round" in exc.value.errors[f"not-answered-{live.pk}"]
    assert not card.scores.exists()


def test_not_answered_for_a_question_not_assigned_or_on_another_scorecard_is_refused(world, blank):  # noqa: F811
    card = services.scorecard_open(attempt=world["attempt"], interviewer=world["a"])
    unassigned = Question.objects.get(slug="ctc-greedy-decode", is_current=True)
    with pytest.raises(services.ScorecardInvalid, match="not assigned"):
        scorecard_not_answered(scorecard=card, by=world["a"], question_id=unassigned.pk)
    with pytest.raises(services.ScoringError, match="another interviewer"):
        scorecard_not_answered(scorecard=card, by=world["b"], question_id=blank.pk)
    assert not DimensionScore.objects.exists()


def test_the_lowest_level_on_a_blank_answer_needs_no_typed_evidence(world, blank):  # noqa: F811
    card = services.scorecard_open(attempt=world["attempt"], interviewer=world["a"])
    (dim, *_), lo, _ = _levels(blank)
    services.scorecard_save(scorecard=card, by=world["a"], scores=[
        services.ScoreInput(question_id=blank.pk, dimension_slug=dim, level=lo, evidence="")])
    assert card.scores.get().evidence == NOT_ANSWERED
    wdim = _levels(world["written"])[0][0]
    with pytest.raises(services.ScorecardInvalid, match="write the evidence"):  # an answered one still does
        services.scorecard_save(scorecard=card, by=world["a"], scores=[
            services.ScoreInput(question_id=world["written"].pk, dimension_slug=wdim, level=lo, evidence="")])


def test_the_not_answered_button_posts_through_the_form(client, world, blank):  # noqa: F811
    client.force_login(world["a"])
    url = reverse("scoring-save", args=[world["attempt"].pk])
    page = _page(client, world).content.decode()
    assert f'name="not-answered-{blank.pk}"' in page                     # offered for the blank lab
    assert f'name="not-answered-{world["written"].pk}"' not in page      # not for the answered one
    resp = client.post(url, {f"not-answered-{blank.pk}": "1"}, HTTP_HX_REQUEST="true")
    assert "Draft saved" in resp.content.decode()
    dims, lo, _ = _levels(blank)
    assert DimensionScore.objects.filter(question=blank, level__score=lo, evidence=NOT_ANSWERED).count() == len(dims)
    # Without JavaScript: a plain post comes back to the question it scored.
    resp = client.post(url, {f"not-answered-{blank.pk}": "1"})
    assert resp.status_code == 302 and resp["Location"].endswith(f"#item-{blank.pk}")
    # For the answered question the fragment says why, and points at the question.
    resp = client.post(url, {f"not-answered-{world['written'].pk}": "1"}, HTTP_HX_REQUEST="true").content.decode()
    assert "Not saved: 1 problem" in resp and f'href="#item-{world["written"].pk}"' in resp
    assert not DimensionScore.objects.filter(question=world["written"]).exists()


# --- errors that point at their dimension ------------------------------------------------------------------


def test_save_errors_are_keyed_per_dimension_and_name_it(world):  # noqa: F811
    q = world["written"]
    dims = list(q.rubric.dimensions.order_by("order"))
    _, lo, hi = _levels(q)
    card = services.scorecard_open(attempt=world["attempt"], interviewer=world["a"])
    with pytest.raises(services.ScorecardInvalid) as exc:
        services.scorecard_save(scorecard=card, by=world["a"], scores=[
            services.ScoreInput(question_id=q.pk, dimension_slug=dims[0].slug, level=lo, evidence=" "),
            services.ScoreInput(question_id=q.pk, dimension_slug=dims[1].slug, level=hi + 3),
            services.ScoreInput(question_id=q.pk, dimension_slug=dims[2].slug, level=lo + 1)])
    errors = exc.value.errors
    assert set(errors) == {f"q{q.pk}-{dims[0].slug}", f"q{q.pk}-{dims[1].slug}"}
    assert errors[f"q{q.pk}-{dims[0].slug}"].startswith(f"{dims[0].title}: ")
    assert errors[f"q{q.pk}-{dims[1].slug}"].startswith(f"{dims[1].title}: level {hi + 3} is not on this rubric")


def test_submit_errors_are_keyed_per_dimension(world):  # noqa: F811
    q = world["written"]
    dims = list(q.rubric.dimensions.order_by("order"))
    card = services.scorecard_open(attempt=world["attempt"], interviewer=world["a"])
    services.scorecard_save(scorecard=card, by=world["a"], scores=[
        services.ScoreInput(question_id=q.pk, dimension_slug=dims[0].slug, level=_levels(q)[1] + 1)])
    with pytest.raises(services.ScorecardInvalid) as exc:
        services.scorecard_submit(scorecard=card, by=world["a"])
    expected = {f"q{q.pk}-{d.slug}" for d in dims[1:]} | {"recommendation"}
    assert set(exc.value.errors) == expected
    assert all(f"'{d.title}'" in exc.value.errors[f"q{q.pk}-{d.slug}"] for d in dims[1:])


def test_a_failed_submit_shows_each_error_at_its_dimension_with_a_summary_linking_there(client, world):  # noqa: F811
    q = world["written"]
    dims = list(q.rubric.dimensions.order_by("order"))
    _, lo, _ = _levels(q)
    post = _full_post(q)
    post[f"evidence-{q.pk}-{dims[0].slug}"] = ""
    post[f"level-{q.pk}-{dims[0].slug}"] = str(lo)       # lowest level without evidence
    del post[f"level-{q.pk}-{dims[1].slug}"]             # no level (reported by the submit, once the save holds)
    client.force_login(world["a"])
    resp = client.post(reverse("scoring-submit", args=[world["attempt"].pk]), post)
    html = resp.content.decode()
    assert resp.status_code == 422
    summary = html[html.index('data-testid="form-errors"'):]
    summary = summary[:summary.index("</div>")]
    assert "Nothing was saved: 1 problem" in summary
    assert f'<a href="#f-q{q.pk}-{dims[0].slug}" data-testid="error-link">Q1 {q.title} · {dims[0].title}</a>' in summary
    assert "write the evidence" in _fieldset(html, q.pk, dims[0].slug)
    assert "dimension-error" not in _fieldset(html, q.pk, dims[1].slug)
    assert re.search(rf'data-outline-qid="{q.pk}"[^>]*class="[^"]*has-error', html)   # the outline marks it
    # The evidence added, the save holds and the submit reports the level still missing, at its dimension.
    post[f"evidence-{q.pk}-{dims[0].slug}"] = "Could not say why CTC needs an LM."
    html = client.post(reverse("scoring-submit", args=[world["attempt"].pk]), post).content.decode()
    assert "Saved as a draft, not submitted: 1 problem" in html
    assert f'href="#f-q{q.pk}-{dims[1].slug}"' in html and "has no level yet" in _fieldset(html, q.pk, dims[1].slug)
    assert Scorecard.objects.get(interviewer=world["a"]).status == "draft"


# --- outline, run history, queries ---------------------------------------------------------------------------


def test_outline_lists_every_assigned_question_with_its_progress(client, world, blank):  # noqa: F811
    q = world["written"]
    dims, lo, _ = _levels(q)
    card = services.scorecard_open(attempt=world["attempt"], interviewer=world["a"])
    services.scorecard_save(scorecard=card, by=world["a"], scores=[
        services.ScoreInput(question_id=q.pk, dimension_slug=d, level=lo + 1) for d in dims[:2]])
    html = _page(client, world).content.decode()
    outline = html[html.index('data-testid="outline"'):html.index("</nav>", html.index('data-testid="outline"'))]
    assert outline.count('data-testid="outline-item"') == 2
    assert f'<span data-scored>2</span>/<span data-total>{len(dims)}</span>' in outline
    assert f'<span data-scored>0</span>/<span data-total>{len(_levels(blank)[0])}</span>' in outline
    assert outline.count('data-testid="outline-not-answered"') == 1
    assert f"2</span> / {len(dims) + len(_levels(blank)[0])} dimensions scored" in html   # the sticky bar


def _result(passed: int, failed: int, suite: Suite) -> GradingResult:
    tests = tuple(TestResult(f"test_{i}", Outcome.PASSED) for i in range(passed)) + tuple(
        TestResult(f"test_f{i}", Outcome.FAILED, "assert 1 == 2") for i in range(failed))
    return GradingResult(suite=suite, verdict=Verdict.FAILED if failed else Verdict.PASSED, score=0.5, tests=tests)


def _stored_run(question, attempt, suite, passed, failed, capture):
    with capture(execute=False):
        run = run_services.grading_run_create(question=question, attempt=attempt, suite=suite,
                                              candidate_files={"solution.py": "x"})
    _, delivery = run_services.grading_run_claim(run_id=str(run.pk))
    run_services.grading_run_store_result(run_id=str(run.pk), delivery=delivery, backend="local", image="",
                                          result=_result(passed, failed, Suite(suite)))
    return run


def test_a_coding_question_shows_its_runs_and_snapshots(client, world, django_capture_on_commit_callbacks):  # noqa: F811
    coding = world["coding"]
    services.assignment_create(attempt=world["attempt"], interviewer=world["a"], question=coding)
    _stored_run(coding, world["attempt"], "visible", 1, 2, django_capture_on_commit_callbacks)
    _stored_run(coding, world["attempt"], "visible", 3, 0, django_capture_on_commit_callbacks)
    _stored_run(coding, world["attempt"], "hidden", 4, 1, django_capture_on_commit_callbacks)
    html = _page(client, world).content.decode()
    history = html[html.index('data-testid="run-history"'):]
    rows = re.findall(r'<tr data-testid="run-row" data-suite="(\w+)">(.*?)</tr>', history, re.S)
    assert [s for s, _ in rows] == ["visible", "visible", "hidden"]                 # oldest first
    assert "1 passed, 2 failed" in rows[0][1] and "failed" in rows[0][1].split("</td>")[2]
    assert "3 passed, 0 failed" in rows[1][1] and "Final hidden grading" in rows[2][1]
    snapshots = ResponseSnapshot.objects.filter(attempt=world["attempt"], question=coding).count()
    assert snapshots == 1   # one save of the code in the fixture
    assert "1 snapshot of the code recorded" in history
    try:
        url = reverse("attempt-playback", args=[world["attempt"].pk, coding.slug])
    except NoReverseMatch:  # the playback page is not routed in this build: no link rather than a broken one
        assert 'data-testid="playback-link"' not in history
    else:
        assert f'href="{url}" data-testid="playback-link">Play back the edits</a>' in history


def test_the_page_costs_the_same_queries_for_one_section_or_the_whole_attempt(client, world):  # noqa: F811
    section = world["track"].sections.get(slug="live-round")
    services.assignment_create(attempt=world["attempt"], interviewer=world["b"], section=section)
    client.force_login(world["b"])   # b: the written question and the live round
    with CaptureQueriesContext(connection) as few:
        html = client.get(reverse("scoring-attempt", args=[world["attempt"].pk])).content.decode()
    assert html.count('data-testid="outline-item"') == 1 + section.items.count()
    services.assignment_create(attempt=world["attempt"], interviewer=world["b"])   # the whole attempt
    with CaptureQueriesContext(connection) as every:
        html = client.get(reverse("scoring-attempt", args=[world["attempt"].pk])).content.decode()
    placements = SectionQuestion.objects.filter(section__track=world["track"]).count()
    assert html.count('data-testid="outline-item"') == placements > 10
    assert len(every) == len(few), [q["sql"][:120] for q in every.captured_queries]


# --- who may see it --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["stranger", "manager", "other_manager"])
def test_the_page_and_not_answered_are_refused_to_the_wrong_role(client, world, blank, who):  # noqa: F811
    assert _page(client, world, who).status_code in (403, 404)
    resp = client.post(reverse("scoring-save", args=[world["attempt"].pk]), {f"not-answered-{blank.pk}": "1"},
                       HTTP_HX_REQUEST="true")
    assert resp.status_code in (403, 404)
    assert not DimensionScore.objects.exists()


def test_another_interviewer_cannot_score_not_answered_on_a_question_they_are_not_assigned(client, world, blank):  # noqa: F811
    other = UserFactory(username="ivy", role=roles.INTERVIEWER)
    services.assignment_create(attempt=world["attempt"], interviewer=other, question=world["written"])
    client.force_login(other)
    resp = client.post(reverse("scoring-save", args=[world["attempt"].pk]), {f"not-answered-{blank.pk}": "1"},
                       HTTP_HX_REQUEST="true")
    # Not on ivy's sheet: the form ignores the key, so nothing is scored for that question.
    assert resp.status_code == 200
    assert not DimensionScore.objects.filter(question=blank).exists()

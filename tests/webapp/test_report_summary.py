"""The report's first screen and the comparison: competencies, recommendations, quotes, incomplete ranked apart."""

from __future__ import annotations

import csv
import io

import pytest
from django.urls import reverse

from api.serializers import ComparisonRowSerializer
from assessments import reporting, roles, selectors, services
from assessments.models import Question, QuestionKind, SectionQuestion, Track
from assessments.reporting import AutoScore, Evidence, Rating
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

WRITTEN = "asr-objectives-streaming"


# --- the maths, by hand ------------------------------------------------------------------------------------------


def test_competency_rows_restrict_the_signal_to_tagged_questions():
    ratings = [  # q1 on 1..5 (0, .25, .5, .75, 1); q2 on 0..2
        Rating("q1", "d", "ann", 5, 1, 5), Rating("q1", "d", "bob", 3, 1, 5),
        Rating("q2", "d", "ann", 2, 0, 2), Rating("q2", "d", "bob", 0, 0, 2),
    ]
    autos = [AutoScore("lab", 0.4)]
    rows = reporting.competency_rows(
        ratings, autos, tagging={"q1": ["a"], "q2": ["a", "b"], "lab": ["b"]},
        names={"a": "Alpha", "b": "Beta", "c": "Gamma"}, bars={}, w_auto=0.5, w_human=0.5)
    a, b, c = rows
    # Alpha: items q1/d mean (1 + .5)/2 = .75 and q2/d mean (1 + 0)/2 = .5 -> human .625; no lab.
    assert a.human == pytest.approx(0.625) and a.automated is None and a.combined == pytest.approx(0.625)
    # Raters' own readings of Alpha: ann (1 + 1)/2 = 1, bob (.5 + 0)/2 = .25 -> spread .75.
    assert a.spread == pytest.approx(0.75) and a.raters == 2 and (a.evidence, a.questions) == (2, 2)
    # Beta: human .5 (q2 only), automated .4, combined .45; ann 1 vs bob 0 -> spread 1.
    assert b.human == pytest.approx(0.5) and b.automated == pytest.approx(0.4) and b.combined == pytest.approx(0.45)
    assert b.spread == pytest.approx(1.0)
    assert (c.combined, c.spread, c.evidence, c.questions) == (None, None, 0, 0) and not c.has_evidence


def test_competency_level_uses_the_leveled_questions_only():
    ratings = [Rating("q1", "d", "ann", 4, 1, 5), Rating("q1", "d", "bob", 3, 1, 5), Rating("q2", "d", "ann", 0, 0, 2)]
    bars = {"q1": {3: "senior", 5: "staff"}, "q2": {}}
    (row,) = reporting.competency_rows(ratings, [], tagging={"q1": ["a"], "q2": ["a"]}, names={"a": "A"}, bars=bars,
                                       w_auto=0.5, w_human=0.5)
    assert row.level == "senior"  # median_low of 4, 3 = 3 clears "senior", not "staff"; q2's 0 does not vote
    assert row.spread is not None


def test_quotes_pick_the_extremes_with_text_one_per_dimension():
    ev = [
        Evidence("Q1", "Depth", "ann", 5, 1, 5, "Derived the CTC forward pass unprompted."),
        Evidence("Q1", "Depth", "bob", 4, 1, 5, "Good derivation."),          # same dimension, less extreme
        Evidence("Q2", "Clarity", "ann", 4, 1, 5, ""),                        # no text: never quoted
        Evidence("Q3", "Rigour", "bob", 1, 1, 5, "No baseline; " + "word " * 60),
        Evidence("Q4", "Design", "ann", 3, 1, 5, "Middling."),                # neither
        Evidence("Q5", "Depth", "bob", 5, 1, 5, "derived the CTC  forward pass unprompted."),  # same words again
    ]
    strengths, concerns = reporting.quotes(ev, max_chars=60)
    assert [(e.question, e.rater) for e in strengths] == [("Q1", "ann")]
    assert [e.question for e in concerns] == ["Q3"]
    assert concerns[0].text.endswith("…") and len(concerns[0].text) <= 60 and "  " not in concerns[0].text


# --- the database: comparison and pages --------------------------------------------------------------------------


def _attempt(track, name, *, lab_score=None):
    cand = services.candidate_create(full_name=name, email=f"{name.split()[0].lower()}@example.com")
    attempt = services.attempt_start(invitation=services.invitation_create(candidate=cand, track=track))
    written = Question.objects.get(slug=WRITTEN, is_current=True)
    services.response_save(attempt=attempt, question=written, body=f"{name}'s answer on CTC.", base_revision=0)
    subs = services.attempt_submit(attempt=attempt)
    if lab_score is not None:
        for sub in subs:
            if sub.question.kind == QuestionKind.CODING:
                services.submission_automated_score_record(submission=sub, verdict="passed" if lab_score == 1 else
                                                           "failed", score=lab_score, source="test", details={})
    return attempt


def _score(attempt, who, level_offset, recommendation, evidence):
    q = Question.objects.get(slug=WRITTEN, is_current=True)
    services.assignment_create(attempt=attempt, interviewer=who, question=q)
    levels = sorted(q.rubric.levels.values_list("score", flat=True))
    card = services.scorecard_open(attempt=attempt, interviewer=who)
    scores = [services.ScoreInput(question_id=q.pk, dimension_slug=d, level=levels[level_offset], evidence=evidence)
              for d in q.rubric.dimensions.values_list("slug", flat=True)]
    services.scorecard_save(scorecard=card, by=who, scores=scores, recommendation=recommendation, summary="")
    services.scorecard_submit(scorecard=card, by=who)


@pytest.fixture
def cohort(synced_content):
    roles.roles_ensure()
    track = Track.objects.get(slug="advanced-ml-speech", is_current=True)
    ann, bob = UserFactory(username="ann", role=roles.INTERVIEWER), UserFactory(username="bob", role=roles.INTERVIEWER)
    strong = _attempt(track, "Ada Strong", lab_score=0.9)
    _score(strong, ann, -1, "strong_yes", "Derived the CTC independence assumption and its cost.")
    _score(strong, bob, -2, "yes", "Clear on streaming trade-offs.")
    weak = _attempt(track, "Wes Weak", lab_score=0.2)
    _score(weak, ann, 0, "no", "Could not say what CTC assumes.")
    # Every lab passed but nobody has scored it yet: the highest figure, and incomplete.
    pending = _attempt(track, "Pat Pending", lab_score=1.0)
    services.assignment_create(attempt=pending, interviewer=bob,
                               question=Question.objects.get(slug=WRITTEN, is_current=True))
    manager = UserFactory(username="meg", role=roles.HIRING_MANAGER)
    services.track_manager_add(track_slug=track.slug, user=manager)
    return {"track": track, "strong": strong, "weak": weak, "pending": pending, "manager": manager}


def test_incomplete_attempts_rank_apart_whatever_their_figure(cohort):
    rows = selectors.comparison(track_slug="advanced-ml-speech", user=cohort["manager"])
    assert [r.attempt for r in rows] == [cohort["strong"], cohort["weak"], cohort["pending"]]
    pending = rows[-1]
    assert pending.combined == pytest.approx(1.0) and not pending.complete
    assert pending.incomplete == ["1 assigned scorecard(s) missing", "No submitted scorecards yet"]
    assert rows[0].recommendations == [("ann", "Strong yes"), ("bob", "Yes")]
    assert pending.recommendations == [("—", "pending")]
    # Ascending too: the incomplete one still comes after every complete one.
    rows = selectors.comparison(track_slug="advanced-ml-speech", user=cohort["manager"], sort="combined")
    assert [r.attempt for r in rows] == [cohort["weak"], cohort["strong"], cohort["pending"]]


def test_comparison_page_csv_and_api_carry_recommendations_and_incomplete(client, cohort):
    client.force_login(cohort["manager"])
    html = client.get(reverse("report-track", args=["advanced-ml-speech"])).content.decode()
    assert html.count('data-testid="incomplete-group"') == 1 and html.count('data-testid="incomplete-row"') == 1
    order = [html.index(s) for s in ("Ada Strong", "Wes Weak", "incomplete-group", "Pat Pending")]
    assert order == sorted(order)
    assert "Strong yes" in html and "pending" in html
    rows = list(csv.DictReader(io.StringIO(client.get(
        reverse("report-track-csv", args=["advanced-ml-speech"])).content.decode())))
    by_name = {r["candidate"].split(" (")[0]: r for r in rows}  # the label carries the candidate's code
    assert by_name["Ada Strong"]["status"] == "complete"
    assert by_name["Ada Strong"]["recommendations"] == "ann: Strong yes; bob: Yes"
    assert by_name["Pat Pending"]["status"] == "incomplete"
    assert by_name["Pat Pending"]["incomplete_reasons"] == ("1 assigned scorecard(s) missing; "
                                                            "No submitted scorecards yet")
    # The API's export (the same rows, as JSON).
    data = ComparisonRowSerializer(selectors.comparison(track_slug="advanced-ml-speech", user=cohort["manager"]),
                                   many=True).data
    assert [d["complete"] for d in data] == [True, True, False]
    assert data[0]["recommendations"] == [{"interviewer": "ann", "recommendation": "Strong yes"},
                                          {"interviewer": "bob", "recommendation": "Yes"}]
    assert data[2]["recommendations"] == [{"interviewer": None, "recommendation": "pending"}]
    assert data[2]["incomplete_reasons"] == ["1 assigned scorecard(s) missing", "No submitted scorecards yet"]


def test_report_first_screen_has_competencies_recommendations_quotes_and_detail(client, cohort):
    client.force_login(cohort["manager"])
    resp = client.get(reverse("report-attempt", args=[cohort["strong"].pk]))
    html = resp.content.decode()
    summary = html[html.index('data-testid="report-summary"'):html.index('data-testid="detail"')]
    track_competencies = set(SectionQuestion.objects.filter(section__track=cohort["track"]).values_list(
        "question__competencies__name", flat=True))
    assert len(track_competencies) == 6
    for name in track_competencies:
        assert name in summary
    assert "Strong yes" in summary and "bob" in summary
    assert "Derived the CTC independence assumption" in summary  # a strength, quoted
    assert "6 of 6 labs graded" in summary
    # The 79-row dimension table is behind the click, not on the first screen.
    assert 'data-testid="dimensions"' not in summary and 'data-testid="dimensions"' in html
    assert reverse("attempt-playback", args=[cohort["strong"].pk, "ctc-greedy-decode"]) in html  # the edits, replayed
    weak = client.get(reverse("report-attempt", args=[cohort["weak"].pk])).content.decode()
    assert "Could not say what CTC assumes." in weak[weak.index('data-testid="concerns"'):]
    pending = client.get(reverse("report-attempt", args=[cohort["pending"].pk])).content.decode()
    assert 'data-testid="incomplete"' in pending


def test_quotes_cover_different_answers_before_a_second_from_the_same():
    ev = [Evidence("Q1", d, "ann", 5, 1, 5, f"Q1 {d} was excellent.") for d in ("A", "B", "C")]
    ev.append(Evidence("Q2", "A", "bob", 4, 1, 5, "Q2 was good."))
    strengths, _ = reporting.quotes(ev, n=2)
    assert [e.question for e in strengths] == ["Q1", "Q2"]


def test_the_comparison_is_ranked_over_everyone_and_shown_a_page_at_a_time(client, cohort, monkeypatch):
    from webapp.views import reports as report_views

    monkeypatch.setattr(report_views, "COMPARISON_PAGE_SIZE", 2)
    client.force_login(cohort["manager"])
    url = reverse("report-track", args=["advanced-ml-speech"])
    first = client.get(url).content.decode()
    assert "Ada Strong" in first and "Wes Weak" in first and "Pat Pending" not in first
    assert "1–2 of 3" in first and "page=2" in first
    second = client.get(url, {"page": 2}).content.decode()
    assert "Pat Pending" in second and "Ada Strong" not in second and 'data-testid="incomplete-group"' in second
    assert client.get(url, {"page": "x"}).status_code == 200  # a bad page number shows the first

"""Interviewers score blind on rubric forms; managers read reports, comparison, calibration, exports."""

from __future__ import annotations

import csv
import io

import pytest
from django.urls import reverse

from assessments import access, roles, services
from assessments.models import (
    DimensionScore,
    IntegrityEvent,
    Question,
    Scorecard,
    SectionQuestion,
    Track,
)
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

WRITTEN = "asr-objectives-streaming"
CODING = "softmax-cross-entropy-bug"


@pytest.fixture
def world(synced_content):
    """A submitted attempt with a written and a coding answer, two assigned interviewers, managers."""
    roles.roles_ensure()
    track = Track.objects.get(slug="advanced-ml-speech", is_current=True)
    cand = services.candidate_create(full_name="Sam Secret", email="sam@example.com")
    invitation = services.invitation_create(candidate=cand, track=track)
    attempt = services.attempt_start(invitation=invitation)
    written = Question.objects.get(slug=WRITTEN, is_current=True)
    coding = Question.objects.get(slug=CODING, is_current=True)
    services.response_save(attempt=attempt, question=written, body="CTC assumes **independence**.", base_revision=0)
    services.response_save(attempt=attempt, question=coding, body="def training_step(m, b): ...", base_revision=0)
    services.integrity_event_record(attempt=attempt, kind="paste", question=written, chars=812)
    subs = {s.question_id: s for s in services.attempt_submit(attempt=attempt)}
    services.submission_automated_score_record(
        submission=subs[coding.pk], verdict="failed", score=0.4, source="test",
        details={"tests": [{"name": "test_logits_not_probs", "outcome": "failed"}]})
    a, b = UserFactory(username="ann", role=roles.INTERVIEWER), UserFactory(username="bob", role=roles.INTERVIEWER)
    stranger = UserFactory(username="sid", role=roles.INTERVIEWER)
    for who in (a, b):
        services.assignment_create(attempt=attempt, interviewer=who, question=written)
    manager = UserFactory(username="meg", role=roles.HIRING_MANAGER)
    services.track_manager_add(track_slug=track.slug, user=manager)
    other_manager = UserFactory(username="oz", role=roles.HIRING_MANAGER)
    services.track_manager_add(track_slug="another-track", user=other_manager)
    admin = UserFactory(username="root", is_superuser=True, is_staff=True)
    return {"track": track, "attempt": attempt, "token": invitation.token, "written": written, "coding": coding,
            "a": a, "b": b,
            "stranger": stranger, "manager": manager, "other_manager": other_manager, "admin": admin}


def _levels(question: Question) -> tuple[list[str], int, int]:
    dims = list(question.rubric.dimensions.values_list("slug", flat=True))
    scores = list(question.rubric.levels.values_list("score", flat=True))
    return dims, min(scores), max(scores)


def _full_post(question: Question, level: int | None = None, **extra) -> dict:
    dims, lo, hi = _levels(question)
    level = level if level is not None else lo + 1
    data = {f"level-{question.pk}-{d}": str(level) for d in dims}
    data.update({f"evidence-{question.pk}-{d}": "Named the conditional independence assumption." for d in dims})
    data.update({"recommendation": "yes", "summary": "Solid."})
    data.update(extra)
    return data


def _score(client, world, who, level=None):
    client.force_login(world[who])
    return client.post(reverse("scoring-submit", args=[world["attempt"].pk]), _full_post(world["written"], level))


# --- the interviewer's side -------------------------------------------------------------------------


def test_queue_lists_assigned_submitted_attempts_until_scored(client, world):
    client.force_login(world["a"])
    html = client.get(reverse("scoring-queue")).content.decode()
    assert world["attempt"].invitation.candidate.code in html
    assert "Sam Secret" not in html  # anonymised review
    _score(client, world, "a")
    assert world["attempt"].invitation.candidate.code not in client.get(reverse("scoring-queue")).content.decode()


def test_scoring_page_shows_answer_guidance_rubric_and_signals(client, world):
    services.assignment_create(attempt=world["attempt"], interviewer=world["a"], question=world["coding"])
    client.force_login(world["a"])
    resp = client.get(reverse("scoring-attempt", args=[world["attempt"].pk]))
    html = resp.content.decode()
    assert resp.status_code == 200
    assert "<strong>independence</strong>" in html            # the answer, rendered and sanitised
    assert "Interviewer guidance" in html and world["written"].guidance["strong_answer"][0][:30] in html
    descriptor = world["written"].rubric.dimensions.first().descriptors.first().text
    assert descriptor[:30] in html
    assert "test_logits_not_probs" in html and "0.40" in html  # automated results by test name
    assert "pasted 1 time (812 chars)" in html
    assert "Sam Secret" not in html and world["attempt"].invitation.candidate.code in html
    assert 'data-testid="blind-note"' in html


def test_partial_save_then_submit_locks(client, world):
    client.force_login(world["a"])
    q = world["written"]
    dims, lo, hi = _levels(q)
    resp = client.post(reverse("scoring-save", args=[world["attempt"].pk]),
                       {f"level-{q.pk}-{dims[0]}": str(lo + 1)}, HTTP_HX_REQUEST="true")
    assert resp.status_code == 200 and "Draft saved" in resp.content.decode()
    card = Scorecard.objects.get(interviewer=world["a"])
    assert card.status == "draft" and card.scores.count() == 1
    incomplete = client.post(reverse("scoring-submit", args=[world["attempt"].pk]), {})
    assert incomplete.status_code == 422
    text = incomplete.content.decode()
    assert "has no level yet" in text and "Choose an overall recommendation" in text
    assert _score(client, world, "a").status_code == 302
    card.refresh_from_db()
    assert card.status == "submitted" and card.scores.count() == len(dims)
    again = client.post(reverse("scoring-submit", args=[world["attempt"].pk]), _full_post(q, lo + 2), follow=True)
    assert "locked" in again.content.decode()
    assert set(card.scores.values_list("level__score", flat=True)) == {lo + 1}


@pytest.mark.parametrize("case", ["outside_rubric", "lowest_without_evidence", "highest_without_evidence"])
def test_bad_input_is_refused_and_saves_nothing(client, world, case):
    q = world["written"]
    dims, lo, hi = _levels(q)
    post = _full_post(q)
    if case == "outside_rubric":
        post[f"level-{q.pk}-{dims[-1]}"] = str(hi + 5)
        expected = "is not on this rubric"
    else:
        post[f"level-{q.pk}-{dims[-1]}"] = str(lo if case.startswith("lowest") else hi)
        post[f"evidence-{q.pk}-{dims[-1]}"] = "  "
        expected = "write the evidence"
    client.force_login(world["a"])
    resp = client.post(reverse("scoring-save", args=[world["attempt"].pk]), post)
    html = resp.content.decode()
    assert resp.status_code == 422 and expected in html and "Nothing was saved" in html
    assert not DimensionScore.objects.filter(scorecard__interviewer=world["a"]).exists()


def test_a_score_for_an_unassigned_question_is_refused(world):
    card = services.scorecard_open(attempt=world["attempt"], interviewer=world["a"])
    dims, lo, _ = _levels(world["written"])
    other = next(i.question for i in SectionQuestion.objects.filter(section__track=world["track"])
                 .select_related("question") if i.question.rubric_id and i.question.pk != world["written"].pk)
    with pytest.raises(services.ScorecardInvalid, match="not assigned"):
        services.scorecard_save(scorecard=card, by=world["a"], scores=[
            services.ScoreInput(question_id=world["written"].pk, dimension_slug=dims[0], level=lo + 1),
            services.ScoreInput(question_id=other.pk, dimension_slug=other.rubric.dimensions.first().slug,
                                level=lo + 1)])
    assert not card.scores.exists()
    with pytest.raises(services.ScoringError, match="another interviewer"):
        services.scorecard_save(scorecard=card, by=world["b"], scores=[])


def test_blind_until_own_scorecard_is_submitted(client, world):
    _score(client, world, "a", level=None)
    client.force_login(world["b"])
    page = client.get(reverse("scoring-attempt", args=[world["attempt"].pk])).content.decode()
    assert "Named the conditional independence" not in page and 'data-testid="other-scorecard"' not in page
    assert "Hidden until you submit" in page
    _score(client, world, "b")
    page = client.get(reverse("scoring-attempt", args=[world["attempt"].pk])).content.decode()
    assert 'data-testid="other-scorecard"' in page and "ann" in page


def test_amendment_keeps_the_submitted_version_and_needs_a_reason(client, world):
    _score(client, world, "a")
    url = reverse("scoring-amend", args=[world["attempt"].pk])
    assert "Say why" in client.post(url, {"reason": " "}, follow=True).content.decode()
    client.post(url, {"reason": "Re-read the answer"})
    cards = list(Scorecard.objects.filter(interviewer=world["a"]).order_by("created_at"))
    assert [c.status for c in cards] == ["submitted", "draft"]
    assert cards[1].supersedes == cards[0] and cards[1].amendment_reason == "Re-read the answer"
    assert cards[1].scores.count() == cards[0].scores.count()


def test_scoring_an_attempt_still_in_progress_is_refused(world):
    cand = services.candidate_create(full_name="Early Bird", email="early@example.com")
    attempt = services.attempt_start(invitation=services.invitation_create(candidate=cand, track=world["track"]))
    services.assignment_create(attempt=attempt, interviewer=world["a"])
    with pytest.raises(services.ScoringError, match="still in progress"):
        services.scorecard_open(attempt=attempt, interviewer=world["a"])


# --- the manager's side -----------------------------------------------------------------------------


def test_report_combines_signals_with_uncertainty_and_flags(client, world):
    _score(client, world, "a", level=None)
    dims, lo, hi = _levels(world["written"])
    client.force_login(world["b"])
    client.post(reverse("scoring-submit", args=[world["attempt"].pk]),
                _full_post(world["written"], hi, **{f"evidence-{world['written'].pk}-{d}": "Excellent." for d in dims}))
    client.force_login(world["manager"])
    html = client.get(reverse("report-attempt", args=[world["attempt"].pk])).content.decode()
    assert "Sam Secret" in html                       # managers see names
    assert "90% interval" in html and "<svg" in html
    assert "Raters disagree by 2+ levels" in html or hi - (lo + 1) < 2
    assert "Integrity evidence (not a verdict)" in html and "812 chars" in html
    assert "#card-ann" in html and 'id="card-ann"' in html  # figures link to their evidence


def test_comparison_csv_and_calibration(client, world):
    _score(client, world, "a")
    _score(client, world, "b", level=_levels(world["written"])[1] + 2)
    cand = services.candidate_create(full_name="=HYPERLINK(\"http://x\")", email="x@example.com")
    attempt = services.attempt_start(invitation=services.invitation_create(candidate=cand, track=world["track"]))
    services.attempt_submit(attempt=attempt)
    client.force_login(world["manager"])
    page = client.get(reverse("report-track", args=["advanced-ml-speech"]), {"sort": "candidate"})
    assert page.status_code == 200 and "Sam Secret" in page.content.decode()
    resp = client.get(reverse("report-track-csv", args=["advanced-ml-speech"]))
    rows = list(csv.reader(io.StringIO(resp.content.decode())))
    assert rows[0][:7] == ["attempt", "candidate", "submitted_at", "status", "automated", "human", "combined"]
    assert len(rows) == 3
    assert any(r[1].startswith("'=HYPERLINK") for r in rows[1:])  # no formula injection
    col = {name: i for i, name in enumerate(rows[0])}
    by_attempt = {int(r[0]): r for r in rows[1:]}
    scored, unscored = by_attempt[world["attempt"].pk], by_attempt[attempt.pk]
    assert "ann: " in scored[col["recommendations"]] and "bob: " in scored[col["recommendations"]]
    assert unscored[col["status"]] == "incomplete"
    assert "No submitted scorecards yet" in unscored[col["incomplete_reasons"]]
    cal = client.get(reverse("report-calibration", args=["advanced-ml-speech"])).content.decode()
    assert "Krippendorff" in cal and "ann" in cal and "bob" in cal


def test_pdf_export(client, world):
    _score(client, world, "a")
    client.force_login(world["manager"])
    resp = client.get(reverse("report-attempt-pdf", args=[world["attempt"].pk]))
    assert resp.status_code == 200 and resp.content[:5] == b"%PDF-"


def test_panel_assigns_interviewers_by_scope(client, world):
    client.force_login(world["manager"])
    section = world["track"].sections.get(slug="live-round")
    resp = client.post(reverse("attempt-panel", args=[world["attempt"].pk]),
                       {"interviewer": world["stranger"].pk, "scope": f"section-{section.pk}"}, follow=True)
    assert "is assigned" in resp.content.decode()
    live = section.items.first().question
    assert access.assigned_question_ids(attempt=world["attempt"], interviewer=world["stranger"]) == {live.pk}
    bad = client.post(reverse("attempt-panel", args=[world["attempt"].pk]),
                      {"interviewer": world["manager"].pk, "scope": "all"}, follow=True)
    assert "Pick an interviewer" in bad.content.decode()


def test_live_round_notes_are_saved(client, world):
    section = world["track"].sections.get(slug="live-round")
    services.assignment_create(attempt=world["attempt"], interviewer=world["a"], section=section)
    live = section.items.first().question
    client.force_login(world["a"])
    client.post(reverse("scoring-save", args=[world["attempt"].pk]), {f"notes-{live.pk}": "Asked about barge-in."},
                HTTP_HX_REQUEST="true")
    assert Scorecard.objects.get(interviewer=world["a"]).notes == {str(live.pk): "Asked about barge-in."}


# --- access: every page, every role -----------------------------------------------------------------

ROLES = ["anonymous", "candidate", "assigned", "unassigned", "manager", "other_manager", "admin"]
PAGES = {
    # page: roles that get 200; everyone else is redirected to log in (anonymous) or refused (403/404)
    "scoring-queue": {"assigned", "unassigned", "admin"},  # an admin may score too (an empty queue)
    "scoring-attempt": {"assigned"},
    "attempt-panel": {"manager", "admin"},
    "report-attempt": {"manager", "admin"},
    "report-attempt-pdf": {"manager", "admin"},
    "report-track": {"manager", "admin"},
    "report-track-csv": {"manager", "admin"},
    "report-calibration": {"manager", "admin"},
}


def _url_for(page: str, world) -> str:
    if page == "scoring-queue":
        return reverse(page)
    if page.startswith("report-track") or page == "report-calibration":
        return reverse(page, args=["advanced-ml-speech"])
    return reverse(page, args=[world["attempt"].pk])


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("page", sorted(PAGES))
def test_permission_matrix(client, world, page, role):
    who = {"assigned": "a", "unassigned": "stranger", "manager": "manager", "other_manager": "other_manager",
           "admin": "admin"}.get(role)
    if who:
        client.force_login(world[who])
    if role == "candidate":  # holding a valid invitation link (its session) gives no staff access
        assert client.get(reverse("exam-landing", kwargs={"token": world["token"]})).status_code == 302
    resp = client.get(_url_for(page, world))
    if role in PAGES[page]:
        assert resp.status_code == 200, (page, role, resp.status_code)
    elif role in ("anonymous", "candidate"):
        assert resp.status_code == 302 and "/login/" in resp["Location"], (page, role, resp.status_code)
    else:
        assert resp.status_code in (403, 404), (page, role, resp.status_code)


@pytest.mark.parametrize("page", ["scoring-attempt", "scoring-save", "scoring-submit", "report-attempt",
                                  "report-attempt-pdf", "attempt-panel"])
def test_ids_of_another_attempt_are_refused(client, world, page):
    """An interviewer assigned elsewhere, or a manager of another track, cannot reach this attempt by id."""
    client.force_login(world["stranger"] if page.startswith("scoring") else world["other_manager"])
    url = reverse(page, args=[world["attempt"].pk])
    resp = client.post(url, _full_post(world["written"])) if page in ("scoring-save", "scoring-submit") \
        else client.get(url)
    assert resp.status_code == 404
    assert not Scorecard.objects.filter(interviewer=world["stranger"]).exists()
    assert not IntegrityEvent.objects.filter(attempt=world["attempt"], kind="focus_lost").exists()


def test_demo_data_fills_the_report_and_calibration(client, synced_content, settings):
    from io import StringIO

    from django.core.management import call_command

    settings.DEBUG = True
    call_command("seed_demo", stdout=StringIO())
    call_command("seed_demo", stdout=StringIO())  # idempotent
    assert Scorecard.objects.filter(status="submitted").count() == 7  # 4 attempts x 2 raters, one missing
    from django.contrib.auth import get_user_model

    client.force_login(get_user_model().objects.get(username="manager"))
    page = client.get(reverse("report-track", args=["advanced-ml-speech"])).content.decode()
    assert page.count('href="/reports/attempts/') == 4 and "scorecard(s) missing" in page
    cal = client.get(reverse("report-calibration", args=["advanced-ml-speech"])).content.decode()
    assert "interviewer2" in cal and "not enough data" not in cal.split("Inter-rater agreement")[1][:400]

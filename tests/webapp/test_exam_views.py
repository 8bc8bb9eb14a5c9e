"""The candidate's exam through Django's test client: links, start, autosave, runs, submit, limits."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from assessments import services
from assessments.models import (
    Attempt,
    AttemptStatus,
    IntegrityEvent,
    Response,
    ResponseSnapshot,
    SectionQuestion,
    SubmitReason,
    Track,
)
from graders.models import GradingRun, RunStatus

pytestmark = pytest.mark.django_db

JSON = {"HTTP_ACCEPT": "application/json"}


@pytest.fixture(autouse=True)
def _clear_rate_limits():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def track(synced_content):
    return Track.objects.get(slug="advanced-ml-speech", is_current=True)


@pytest.fixture
def invitation(track):
    candidate = services.candidate_create(full_name="Cora Candidate", email="cora@example.com")
    return services.invitation_create(candidate=candidate, track=track)


def _url(name, invitation, **kw):
    return reverse(name, kwargs={"token": invitation.token, **kw})


def _questions(track, kind):
    return [i.question for i in SectionQuestion.objects.filter(section__track=track)
            .select_related("question").order_by("section__order", "order") if i.question.kind == kind]


@pytest.fixture
def started(client, invitation):
    resp = client.post(_url("exam-start", invitation), {"consent": "on"})
    assert resp.status_code == 302
    return Attempt.objects.get(invitation=invitation)


# --- links ---------------------------------------------------------------------------------------


def test_landing_shows_sections_times_notice_and_consent(client, invitation, track):
    resp = client.get(_url("exam-landing", invitation))
    assert resp.status_code == 200
    html = resp.content.decode()
    assert escape(track.title) in html and "What is recorded" in html and "Privacy" in html
    assert 'name="consent"' in html
    assert f"{track.timed_minutes()} minutes" in html
    for section in track.sections.all():
        live_only = all(i.question.kind == "live" for i in section.items.all())
        assert (escape(section.title) in html) != live_only  # live rounds are not on the candidate's clock
    assert "Content-Security-Policy" in resp.headers
    assert "'unsafe-inline'" not in resp.headers["Content-Security-Policy"]


@pytest.mark.parametrize("mangle", [lambda t: t[:-3] + "abc", lambda t: t[:20], lambda t: "x" + t])
def test_tampered_link_gets_a_clear_page(client, invitation, mangle):
    resp = client.get(reverse("exam-landing", kwargs={"token": mangle(invitation.token)}))
    assert resp.status_code == 404
    assert "This link is not valid" in resp.content.decode()


def test_expired_and_withdrawn_links_say_why(client, invitation):
    invitation.expires_at = timezone.now() - timedelta(minutes=1)
    invitation.save()
    resp = client.get(_url("exam-landing", invitation))
    assert resp.status_code == 410 and "expired" in resp.content.decode()
    assert client.post(_url("exam-start", invitation), {"consent": "on"}).status_code == 302
    assert not Attempt.objects.filter(invitation=invitation).exists()
    invitation.expires_at = timezone.now() + timedelta(days=1)
    invitation.revoked_at = timezone.now()
    invitation.save()
    assert "withdrawn" in client.get(_url("exam-landing", invitation)).content.decode()


def test_start_needs_consent(client, invitation):
    resp = client.post(_url("exam-start", invitation), {}, follow=True)
    assert "tick the box" in resp.content.decode()
    assert not Attempt.objects.filter(invitation=invitation).exists()


def test_start_sets_the_deadline_on_the_server_and_reopening_resumes(client, invitation, track, started):
    assert started.consented_at is not None
    assert started.deadline_at - started.started_at == timedelta(minutes=track.timed_minutes())
    # Another device (a fresh client) with the same link lands in the same attempt.
    from django.test import Client

    other = Client()
    resp = other.get(_url("exam-landing", invitation))
    assert resp.status_code == 302 and resp["Location"].endswith("/questions/")
    resp = other.get(resp["Location"])
    assert resp.status_code == 302 and "/questions/" in resp["Location"]
    assert Attempt.objects.filter(invitation=invitation).count() == 1
    assert client.post(_url("exam-start", invitation), {"consent": "on"}).status_code == 302
    assert Attempt.objects.filter(invitation=invitation).count() == 1


def test_failed_token_lookups_are_rate_limited_per_address(client, invitation, settings):
    settings.INVITATION_LOOKUP_FAILURES = 3
    for _ in range(3):
        assert client.get("/exam/not-a-token/").status_code == 404
    resp = client.get("/exam/not-a-token/")
    assert resp.status_code == 429 and resp["Retry-After"]
    # A good link is never refused: the token is checked before the limiter (a candidate may share an address
    # with a guesser, or every candidate the proxy's).
    assert client.get(_url("exam-landing", invitation)).status_code == 200
    assert client.get("/exam/not-a-token/", REMOTE_ADDR="10.0.0.9").status_code == 404


# --- the exam page and autosave --------------------------------------------------------------------


def test_question_page_renders_sanitised_prompt_and_no_guidance(client, invitation, track, started):
    q = _questions(track, "written")[0]
    resp = client.get(_url("exam-question", invitation, slug=q.slug))
    html = resp.content.decode()
    assert resp.status_code == 200 and escape(q.title) in html
    assert 'id="countdown"' in html and 'data-deadline="' in html
    for hint in (q.guidance.get("strong_answer") or [])[:2]:
        assert hint[:40] not in html
    assert "<script>" not in html  # CSP: no inline script


def test_coding_page_has_starter_code_visible_tests_and_no_hidden_ones(client, invitation, track, started):
    q = next(q for q in _questions(track, "coding") if q.slug == "softmax-cross-entropy-bug")
    html = client.get(_url("exam-question", invitation, slug=q.slug)).content.decode()
    assert "data-code" in html and "Run visible tests" in html
    starter = q.starter_files[q.coding_config.entrypoint]
    assert starter.splitlines()[0][:30].replace('"', "&quot;") in html
    assert "tests/visible/" in html and "tests/hidden/" not in html


def test_the_question_page_never_loads_the_hidden_tests(client, invitation, track, started):
    """The visible tests are public copies on the question row: the page reads nothing from QuestionFiles."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    q = next(q for q in _questions(track, "coding") if q.slug == "softmax-cross-entropy-bug")
    with CaptureQueriesContext(connection) as ctx:
        html = client.get(_url("exam-question", invitation, slug=q.slug)).content.decode()
    assert "tests/visible/" in html
    assert not [c["sql"] for c in ctx.captured_queries if "questionfiles" in c["sql"].lower()]


def test_autosave_counts_revisions_and_refuses_a_stale_one(client, invitation, track, started):
    q = _questions(track, "written")[0]
    url = _url("exam-answer", invitation, slug=q.slug)
    first = client.post(url, {"body": "one", "base_revision": 0}, **JSON)
    assert first.status_code == 200 and first.json()["revision"] == 1
    assert {"saved_at", "server_now", "deadline_at"} <= set(first.json())
    assert client.post(url, {"body": "one two", "base_revision": 1}, **JSON).json()["revision"] == 2
    stale = client.post(url, {"body": "from another tab", "base_revision": 1}, **JSON)
    assert stale.status_code == 409
    body = stale.json()
    assert (body["code"], body["current_revision"], body["current_body"]) == ("stale_revision", 2, "one two")
    assert Response.objects.get(attempt=started, question=q).body == "one two"
    # Resolving: resend based on the current revision.
    assert client.post(url, {"body": "from another tab", "base_revision": 2}, **JSON).status_code == 200


def test_plain_form_post_saves_without_javascript(client, invitation, track, started):
    q = _questions(track, "written")[0]
    resp = client.post(_url("exam-answer", invitation, slug=q.slug), {"body": "no js\r\nhere", "base_revision": 0},
                       follow=True)
    assert resp.status_code == 200 and "Saved at" in resp.content.decode()
    assert Response.objects.get(attempt=started, question=q).body == "no js\nhere"
    stale = client.post(_url("exam-answer", invitation, slug=q.slug), {"body": "mine", "base_revision": 0})
    assert stale.status_code == 409
    html = stale.content.decode()
    assert "Two versions" in html and "mine" in html and "no js" in html


def test_save_after_the_deadline_is_refused_with_the_reason(client, invitation, track, started, settings):
    q = _questions(track, "written")[0]
    Attempt.objects.filter(pk=started.pk).update(
        started_at=timezone.now() - timedelta(hours=3),
        deadline_at=timezone.now() - timedelta(seconds=settings.EXAM_SAVE_GRACE_SECONDS + 1))
    resp = client.post(_url("exam-answer", invitation, slug=q.slug), {"body": "late", "base_revision": 0}, **JSON)
    # The on-read check submitted the attempt first, so the reason is "already submitted".
    assert resp.status_code == 403 and resp.json()["code"] in {"deadline_passed", "attempt_closed"}
    started.refresh_from_db()
    assert started.status == AttemptStatus.SUBMITTED and started.submit_reason == SubmitReason.DEADLINE
    assert not Response.objects.filter(attempt=started, question=q).exists()


def test_deadline_refusal_inside_service(track, invitation):
    attempt = services.attempt_start(invitation=invitation)
    q = _questions(track, "written")[0]
    late = attempt.deadline_at + timedelta(seconds=30)
    with pytest.raises(services.DeadlinePassed, match="Time is up"):
        services.response_save(attempt=attempt, question=q, body="x", base_revision=0, now=late)


def test_too_long_and_malformed_saves_lose_nothing(client, invitation, track, started, settings):
    settings.EXAM_MAX_ANSWER_CHARS = 10
    q = _questions(track, "written")[0]
    url = _url("exam-answer", invitation, slug=q.slug)
    assert client.post(url, {"body": "short", "base_revision": 0}, **JSON).status_code == 200
    resp = client.post(url, {"body": "x" * 11, "base_revision": 1}, **JSON)
    assert resp.status_code == 413 and "longer than" in resp.json()["error"]
    assert client.post(url, {"body": "y"}, **JSON).status_code == 400
    assert Response.objects.get(attempt=started, question=q).body == "short"


def test_live_rounds_and_other_tracks_questions_are_not_reachable(client, invitation, track, started):
    live = _questions(track, "live")
    assert live, "the track has a live round"
    assert client.get(_url("exam-question", invitation, slug=live[0].slug)).status_code == 404
    assert client.post(_url("exam-answer", invitation, slug=live[0].slug), {"body": "x", "base_revision": 0},
                       **JSON).status_code == 404
    assert client.get(_url("exam-question", invitation, slug="no-such-question")).status_code == 404


def test_a_candidate_reaches_only_their_own_attempt(client, invitation, track, started):
    other_inv = services.invitation_create(
        candidate=services.candidate_create(full_name="Otto Other", email="otto@example.com"), track=track)
    other = services.attempt_start(invitation=other_inv)
    coding = next(q for q in _questions(track, "coding") if q.slug == "softmax-cross-entropy-bug")
    with_run = GradingRun.objects.create(question=coding, attempt=other, suite="visible",
                                         candidate_files={"solution.py": "x"}, queue="grading-cpu")
    # Otto's run id through Cora's link: refused.
    assert client.get(_url("exam-run-status", invitation, run_id=str(with_run.pk))).status_code == 404
    assert client.get(_url("exam-run-status", invitation, run_id="not-a-uuid")).status_code == 404
    # Cora's saves never land in Otto's attempt.
    q = _questions(track, "written")[0]
    client.post(_url("exam-answer", invitation, slug=q.slug), {"body": "cora", "base_revision": 0}, **JSON)
    assert not Response.objects.filter(attempt=other).exists()


def test_writes_need_csrf(invitation, track, started):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    q = _questions(track, "written")[0]
    resp = strict.post(_url("exam-answer", invitation, slug=q.slug), {"body": "x", "base_revision": 0}, **JSON)
    assert resp.status_code == 403
    assert strict.post(_url("exam-start", invitation), {"consent": "on"}).status_code == 403


# --- visible tests -------------------------------------------------------------------------------


def test_run_visible_tests_queues_one_run_at_a_time_and_polling_stops_when_final(
        client, invitation, track, started, django_capture_on_commit_callbacks):
    q = next(q for q in _questions(track, "coding") if q.slug == "softmax-cross-entropy-bug")
    url = _url("exam-run", invitation, slug=q.slug)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        first = client.post(url, {"body": "print('hi')"}, HTTP_HX_REQUEST="true")
        again = client.post(url, {"body": "print('again')"}, HTTP_HX_REQUEST="true")
    assert first.status_code == 200 and again.status_code == 200
    assert len(callbacks) == 1  # one task queued on commit
    run = GradingRun.objects.get(attempt=started)
    # The second click, while the first waits in line, updates it: it tests the newest code, in the same place.
    assert run.suite == "visible" and run.candidate_files == {"solution.py": "print('again')"}
    assert run.queue == "grading-visible"
    html = first.content.decode()
    assert 'hx-trigger="every 1s"' in html and str(run.pk) in html and "position 1" in html
    status_url = _url("exam-run-status", invitation, run_id=str(run.pk))
    assert client.get(status_url, HTTP_HX_REQUEST="true").status_code == 200
    GradingRun.objects.filter(pk=run.pk).update(
        status=RunStatus.DONE, verdict="failed", score=0.5, finished_at=timezone.now(),
        result={"verdict": "failed", "score": 0.5, "tests": [
            {"name": "test_a", "outcome": "passed", "message": ""},
            {"name": "test_b", "outcome": "failed", "message": "assert 1 == 2"}]})
    final = client.get(status_url, HTTP_HX_REQUEST="true")
    assert final.status_code == 286
    text = final.content.decode()
    assert "test_a" in text and "assert 1 == 2" in text and "every 1s" not in text


def test_run_without_javascript_redirects_to_the_page_with_the_run(client, invitation, track, started):
    q = next(q for q in _questions(track, "coding") if q.slug == "softmax-cross-entropy-bug")
    resp = client.post(_url("exam-run", invitation, slug=q.slug), {"body": "x = 1"})
    run = GradingRun.objects.get(attempt=started)
    assert resp.status_code == 302 and f"?run={run.pk}" in resp["Location"]
    page = client.get(resp["Location"].split("#")[0]).content.decode()
    assert "Queued: <strong>position 1</strong> in line" in page


def test_runs_are_capped_per_question(client, invitation, track, started, settings):
    settings.EXAM_MAX_VISIBLE_RUNS = 1
    q = next(q for q in _questions(track, "coding") if q.slug == "softmax-cross-entropy-bug")
    client.post(_url("exam-run", invitation, slug=q.slug), {"body": "x"}, HTTP_HX_REQUEST="true")
    GradingRun.objects.filter(attempt=started).update(status=RunStatus.ERROR, finished_at=timezone.now())
    resp = client.post(_url("exam-run", invitation, slug=q.slug), {"body": "x"}, HTTP_HX_REQUEST="true")
    assert "the limit" in resp.content.decode()
    assert GradingRun.objects.filter(attempt=started).count() == 1


# --- signals, snapshots, submit ------------------------------------------------------------------


def test_integrity_signals_are_recorded_and_capped(client, invitation, track, started, settings):
    import json

    q = _questions(track, "written")[0]
    events = [{"kind": "focus_lost", "question": q.slug, "at": "2026-11-26T10:00:00Z"},
              {"kind": "paste", "chars": 1234, "question": q.slug},
              {"kind": "focus_regained"}, {"kind": "made_up"}, "junk"]
    resp = client.post(_url("exam-signals", invitation), {"events": json.dumps(events)})
    assert resp.status_code == 200 and resp.json() == {"recorded": 3}
    paste = IntegrityEvent.objects.get(attempt=started, kind="paste")
    assert paste.chars == 1234 and paste.question == q
    settings.EXAM_MAX_INTEGRITY_EVENTS = 3
    client.post(_url("exam-signals", invitation), {"events": json.dumps(events)})
    assert IntegrityEvent.objects.filter(attempt=started).count() == 3
    assert client.post(_url("exam-signals", invitation), {"events": "{"}).status_code == 400


def test_code_saves_keep_a_snapshot_history(client, invitation, track, started, settings):
    settings.EXAM_SNAPSHOT_INTERVAL_S = 0
    q = next(q for q in _questions(track, "coding") if q.slug == "softmax-cross-entropy-bug")
    url = _url("exam-answer", invitation, slug=q.slug)
    for rev, body in enumerate(["a = 1", "a = 1\nb = 2", "a = 1\nb = 3", "a = 1\nb = 3"]):
        assert client.post(url, {"body": body, "base_revision": rev}, **JSON).status_code == 200
    snaps = list(ResponseSnapshot.objects.filter(attempt=started, question=q).values_list("revision", "body"))
    assert snaps == [(1, "a = 1"), (2, "a = 1\nb = 2"), (3, "a = 1\nb = 3")]  # an unchanged save adds nothing


def test_snapshots_are_bounded_however_often_a_client_saves(client, invitation, track, started, settings):
    """Issue 13: 100 saves of 199,000 characters grew the table 2.8 MB/s from one token."""
    q = next(q for q in _questions(track, "coding") if q.slug == "softmax-cross-entropy-bug")
    url = _url("exam-answer", invitation, slug=q.slug)
    big = "x" * 199_000
    for rev in range(30):  # within one interval: one row, holding the latest text
        assert client.post(url, {"body": f"{big}{rev}", "base_revision": rev}, **JSON).status_code == 200
    rows = list(ResponseSnapshot.objects.filter(attempt=started, question=q).values_list("revision", "body"))
    assert len(rows) == 1 and rows[0] == (30, f"{big}29")
    # Past the byte cap no new row is written, but the latest text still is.
    settings.EXAM_SNAPSHOT_INTERVAL_S, settings.EXAM_SNAPSHOT_MAX_BYTES = 0, 500_000
    for rev in range(30, 40):
        assert client.post(url, {"body": f"{big}{rev}", "base_revision": rev}, **JSON).status_code == 200
    total = sum(len(b) for b in ResponseSnapshot.objects.filter(attempt=started).values_list("body", flat=True))
    assert total <= 500_000 and ResponseSnapshot.objects.filter(attempt=started).latest("revision").body.endswith("39")


def test_saving_in_a_loop_is_paused_with_a_reason_and_nothing_is_lost(client, invitation, track, started, settings):
    from django.core.cache import cache

    cache.clear()
    settings.EXAM_SAVES_PER_MINUTE = 5
    q = _questions(track, "written")[0]
    url = _url("exam-answer", invitation, slug=q.slug)
    codes = [client.post(url, {"body": f"v{r}", "base_revision": r}, **JSON).status_code for r in range(5)]
    assert codes == [200] * 5
    resp = client.post(url, {"body": "v5", "base_revision": 5}, **JSON)
    assert resp.status_code == 429 and resp["Retry-After"] and resp.json()["code"] == "too_many_saves"
    assert "your text is kept" in resp.json()["error"]
    assert started.responses.get(question=q).body == "v4"  # what was saved stays; the page retries the rest


def test_submit_freezes_answers_and_shows_confirmation(client, invitation, track, started):
    q = _questions(track, "written")[0]
    client.post(_url("exam-answer", invitation, slug=q.slug), {"body": "final words", "base_revision": 0}, **JSON)
    review = client.get(_url("exam-submit", invitation))
    assert review.status_code == 200 and "1 of" in review.content.decode()
    resp = client.post(_url("exam-submit", invitation), follow=True)
    assert resp.status_code == 200 and "has been submitted" in resp.content.decode()
    started.refresh_from_db()
    assert started.status == AttemptStatus.SUBMITTED and started.submit_reason == SubmitReason.CANDIDATE
    assert started.submissions.get(question=q).body == "final words"
    # Later writes are refused; the link now leads to the confirmation.
    late = client.post(_url("exam-answer", invitation, slug=q.slug), {"body": "more", "base_revision": 1}, **JSON)
    assert late.status_code == 403 and late.json()["code"] == "attempt_closed"
    assert client.get(_url("exam-landing", invitation))["Location"].endswith("/done/")


def test_deadline_sweep_submits_with_the_browser_closed(track, invitation, settings):
    attempt = services.attempt_start(invitation=invitation)
    q = _questions(track, "written")[0]
    services.response_save(attempt=attempt, question=q, body="last saved", base_revision=0)
    assert services.attempts_close_due() == 0
    later = attempt.deadline_at + timedelta(seconds=settings.EXAM_SAVE_GRACE_SECONDS)
    assert services.attempts_close_due(now=later) == 1
    assert services.attempts_close_due(now=later) == 0  # idempotent
    attempt.refresh_from_db()
    assert attempt.status == AttemptStatus.SUBMITTED and attempt.submit_reason == SubmitReason.DEADLINE
    assert attempt.submitted_at == attempt.deadline_at
    assert attempt.submissions.get(question=q).body == "last saved"


def test_the_sweep_is_on_the_beat_schedule(settings):
    from webapp.celery import app

    app.loader.import_default_modules()
    entry = settings.CELERY_BEAT_SCHEDULE["close-attempts-past-deadline"]
    assert entry["task"] in app.tasks


def test_extra_time_moves_the_deadline(track, invitation):
    attempt = services.attempt_start(invitation=invitation)
    before = attempt.deadline_at
    attempt = services.attempt_extend(attempt=attempt, minutes=15)
    assert attempt.deadline_at - before == timedelta(minutes=15) and attempt.extra_minutes == 15
    with pytest.raises(services.AssessmentError):
        services.attempt_extend(attempt=attempt, minutes=0)
    services.attempt_submit(attempt=attempt)
    with pytest.raises(services.AttemptClosed):
        services.attempt_extend(attempt=attempt, minutes=5)


# --- staff: invitations --------------------------------------------------------------------------


def test_hiring_manager_creates_an_invitation_and_gets_the_link(client, track, mailoutbox):
    from assessments import roles
    from assessments.services import track_manager_add
    from tests.factories import UserFactory

    roles.roles_ensure()
    manager = UserFactory(role=roles.HIRING_MANAGER)
    track_manager_add(track_slug=track.slug, user=manager)
    client.force_login(manager)
    resp = client.post(reverse("invitation-new"), {
        "full_name": "Nia New", "email": "Nia@Example.com", "track": track.pk, "expires_in_days": 7,
        "extra_time_minutes": 20, "send_email": "on"})
    assert resp.status_code == 200
    html = resp.content.decode()
    assert "/exam/" in html and "Nia New" in html
    assert len(mailoutbox) == 1 and "/exam/" in mailoutbox[0].body and mailoutbox[0].to == ["nia@example.com"]
    mail = mailoutbox[0]
    assert mail.subject == f"Your invitation: {track.title}" and mail.body.startswith("Hello Nia New,")
    assert "&quot;" not in mail.body and f'"{track.title}"' in mail.body  # plain text, not HTML-escaped
    assert resp["Cache-Control"] == "no-store"
    listing = client.get(reverse("invitation-list")).content.decode()
    assert "Nia New" in listing and "not started" in listing
    assert "/exam/" not in listing  # links are shown once: only their hash is kept


def test_invitation_form_errors_are_clear(client, track):
    from assessments import roles
    from assessments.services import track_manager_add
    from tests.factories import UserFactory

    roles.roles_ensure()
    manager = UserFactory(role=roles.HIRING_MANAGER)
    track_manager_add(track_slug=track.slug, user=manager)
    client.force_login(manager)
    now = timezone.now()
    resp = client.post(reverse("invitation-new"), {
        "full_name": "X", "email": "not-an-email", "track": track.pk, "expires_in_days": 7, "extra_time_minutes": 0,
        "window_opens_at": (now + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M"),
        "window_closes_at": (now + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")})
    html = resp.content.decode()
    assert resp.status_code == 200 and "valid email" in html and "must be after the earliest start" in html


def test_interviewers_cannot_create_invitations(client):
    from assessments import roles
    from tests.factories import UserFactory

    roles.roles_ensure()
    client.force_login(UserFactory(role=roles.INTERVIEWER))
    assert client.get(reverse("invitation-new")).status_code == 403
    assert client.get(reverse("invitation-list")).status_code == 403


def test_seed_demo_prints_a_working_invitation_link(client, synced_content, settings):
    from io import StringIO

    from django.core.management import call_command

    settings.DEBUG = True
    out = StringIO()
    call_command("seed_demo", "--base-url", "http://127.0.0.1:8000", stdout=out)
    link = next(line.strip() for line in out.getvalue().splitlines() if "/exam/" in line)
    path = link.removeprefix("http://127.0.0.1:8000")
    assert client.get(path).status_code == 200
    # Once the demo exam is submitted, the next run prints a fresh link instead of a dead one.
    client.post(path + "start/", {"consent": "on"})
    client.post(path + "submit/")
    out = StringIO()
    call_command("seed_demo", "--base-url", "http://127.0.0.1:8000", stdout=out)
    fresh = next(line.strip() for line in out.getvalue().splitlines() if "/exam/" in line)
    assert fresh != link and client.get(fresh.removeprefix("http://127.0.0.1:8000")).status_code == 200


def test_admin_gives_extra_time_and_withdraws_links(client, invitation, started):
    from tests.factories import UserFactory

    admin_user = UserFactory(username="root", is_staff=True, is_superuser=True)
    client.force_login(admin_user)
    before = started.deadline_at
    resp = client.post(reverse("admin:assessments_attempt_changelist"),
                       {"action": "add_15_minutes", "_selected_action": [started.pk]}, follow=True)
    assert resp.status_code == 200
    started.refresh_from_db()
    assert started.deadline_at - before == timedelta(minutes=15) and started.extra_minutes == 15
    client.post(reverse("admin:assessments_invitation_changelist"),
                {"action": "withdraw", "_selected_action": [invitation.pk]})
    invitation.refresh_from_db()
    assert invitation.revoked_at is not None


def test_signals_accept_a_json_body_too(client, invitation, track, started):
    import json

    resp = client.post(_url("exam-signals", invitation), json.dumps([{"kind": "focus_lost"}]),
                       content_type="application/json")
    assert resp.status_code == 200 and resp.json() == {"recorded": 1}


def test_example_clips_play_in_the_page_and_nothing_else_can_be_fetched(client, invitation, track, started):
    """Issue 14, finding 2: the WER lab's example clips are playable in the page (a candidate has no terminal), and
    the file endpoint serves only the listed visible files of a question on this attempt's clock."""
    page = client.get(_url("exam-question", invitation, slug="asr-domain-terms"))
    html = page.content.decode()
    clip = _url("exam-visible-file", invitation, slug="asr-domain-terms", path="tests/visible/examples/ex1.wav")
    assert f'<audio controls preload="none" src="{clip}">' in html
    assert "Our Kubernetes nodes need more memory." in html  # examples.json, shown inline
    audio = client.get(clip)
    assert audio.status_code == 200 and audio["Content-Type"] == "audio/wav" and audio.content[:4] == b"RIFF"
    transcripts = client.get(_url("exam-visible-file", invitation, slug="asr-domain-terms",
                                  path="tests/visible/examples/examples.json"))
    assert transcripts["Content-Type"] == "application/json; charset=utf-8"
    assert transcripts.json()[0]["text"] == "Our Kubernetes nodes need more memory."
    for path in ("tests/hidden/test_asr_domain_terms_hidden.py", "reference/solution.py",
                 "tests/visible/../hidden/x.py", "bench/wer/manifest.json", "question.yaml",
                 "tests/visible/test_asr_domain_terms_visible.py"):
        assert client.get(_url("exam-visible-file", invitation, slug="asr-domain-terms", path=path)).status_code == 404
    # Another lab's slug with this lab's file, and a question not on this exam: refused as well.
    assert client.get(_url("exam-visible-file", invitation, slug="wer-by-slice",
                           path="tests/visible/examples/ex1.wav")).status_code == 404
    assert client.get(_url("exam-visible-file", invitation, slug="live-speech-systems-deep-dive",
                           path="tests/visible/examples/ex1.wav")).status_code == 404


def test_example_files_need_a_started_attempt(client, invitation, track):
    url = _url("exam-visible-file", invitation, slug="asr-domain-terms", path="tests/visible/examples/ex1.wav")
    assert client.get(url).status_code == 302  # to the landing page: not started, nothing served


def test_an_example_file_whose_name_holds_a_double_underscore_is_served_whole(track):
    """A JSON key transform reads "__" as nesting; such a name is read from the whole mapping instead."""
    from assessments import selectors
    from assessments.models import Question, QuestionFiles

    lab = Question.objects.get(slug="asr-domain-terms", is_current=True)
    files = QuestionFiles.objects.get(question=lab)
    files.files["tests/visible/examples/a__b.txt"] = "double underscore"
    files.save()
    lab.visible_files = [*lab.visible_files, {"path": "tests/visible/examples/a__b.txt", "type": "text/plain",
                                              "audio": False}]
    lab.save(update_fields=["visible_files"])
    data, kind = selectors.exam_visible_file(question=lab, path="tests/visible/examples/a__b.txt")
    assert data == b"double underscore" and kind == "text/plain; charset=utf-8"

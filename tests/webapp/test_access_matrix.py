"""Who may open what: every URL of the app, the Django admin included, for every kind of visitor.

The matrix names, for each URL, the visitors who may read it; everyone else must be turned away (login redirect,
403, 404 or 405) without a byte of the candidate's data. A URL the matrix does not name fails the test, so a new
page cannot ship without its rule. Also here: the leaks and abuse issue 13 found, each as a test.
"""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.core.cache import cache
from django.test import Client, override_settings
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from assessments import roles, services
from assessments.models import Question, Scorecard, Track
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

WRITTEN = "asr-objectives-streaming"
SECRET_NAME = "Sam Secret"
VISITORS = ("anonymous", "candidate", "interviewer", "stranger", "manager", "no_track_manager", "other_manager",
            "admin")
STAFF = ("interviewer", "stranger", "manager", "no_track_manager", "other_manager", "admin")


@pytest.fixture
def world(synced_content):
    roles.roles_ensure()
    track = Track.objects.get(slug="advanced-ml-speech", is_current=True)
    cand = services.candidate_create(full_name=SECRET_NAME, email="sam.secret@example.com")
    invitation = services.invitation_create(candidate=cand, track=track)
    attempt = services.attempt_start(invitation=invitation)
    written = Question.objects.get(slug=WRITTEN, is_current=True)
    services.response_save(attempt=attempt, question=written, body="My answer marker ZQX-81.", base_revision=0)
    services.attempt_submit(attempt=attempt)
    users = {
        "interviewer": UserFactory(username="ann", role=roles.INTERVIEWER),
        "stranger": UserFactory(username="sid", role=roles.INTERVIEWER),
        "manager": UserFactory(username="meg", role=roles.HIRING_MANAGER),
        # is_staff as the demo made managers before: must not open the admin
        "no_track_manager": UserFactory(username="nat", role=roles.HIRING_MANAGER, is_staff=True),
        "other_manager": UserFactory(username="oz", role=roles.HIRING_MANAGER),
        "admin": UserFactory(username="root", role=roles.ADMIN, is_staff=True),
    }
    services.assignment_create(attempt=attempt, interviewer=users["interviewer"], question=written)
    services.track_manager_add(track_slug=track.slug, user=users["manager"])
    services.track_manager_add(track_slug="another-track", user=users["other_manager"])
    card = services.scorecard_open(attempt=attempt, interviewer=users["interviewer"])
    other_inv = services.invitation_create(candidate=services.candidate_create(full_name="Other Person",
                                                                              email="o@example.com"), track=track)
    from api.webhooks import endpoint_create

    endpoint = endpoint_create(url="http://127.0.0.1:9/hook", event_types=["attempt.started"], track_slugs=[])
    return {"track": track, "attempt": attempt, "invitation": invitation, "token": invitation.token,
            "endpoint": endpoint, "users": users, "card": card, "written": written, "other_invitation": other_inv}


def client_for(world, who: str) -> Client:
    c = Client()
    if who == "candidate":  # holding a valid exam link (and the session it gives) opens no staff page
        inv = world["other_invitation"]
        assert c.get(reverse("exam-landing", args=[inv.token])).status_code == 200
    elif who != "anonymous":
        c.force_login(world["users"][who])
    return c


# url name -> (kwargs from the world, visitors who may read it). "token" URLs are the candidate's: anyone holding
# the token may use them (it is the key), and no staff page ever shows one (test below).
def _matrix(w) -> dict[str, tuple[dict, set[str]]]:
    a, t = w["attempt"].pk, w["track"].slug
    written = w["written"].slug
    staff = set(STAFF)
    managers_of_track = {"manager", "admin"}
    all_managers = {"manager", "no_track_manager", "other_manager", "admin"}
    return {
        "home": ({}, staff),
        "logout": ({}, set()),  # POST only
        "track-detail": ({"slug": t}, staff),
        "track-version": ({"slug": t, "version": 1}, staff),
        "question-detail": ({"slug": written}, staff),
        "question-version": ({"slug": written, "version": 1}, staff),
        "rubric-detail": ({"slug": w["written"].rubric.slug}, staff),
        "invitation-list": ({}, {"manager", "no_track_manager", "other_manager", "admin"}),
        "invitation-new": ({}, {"manager", "no_track_manager", "other_manager", "admin"}),
        "invitation-action": ({"invitation_id": w["invitation"].pk}, set()),  # POST only
        "accommodation-decide": ({"accommodation_id": 1}, set()),  # POST only (tests/webapp/test_accommodations.py)
        "scoring-queue": ({}, {"interviewer", "stranger", "admin"}),
        "scoring-attempt": ({"attempt_id": a}, {"interviewer"}),
        "scoring-save": ({"attempt_id": a}, set()),
        "scoring-submit": ({"attempt_id": a}, set()),
        "scoring-amend": ({"attempt_id": a}, set()),
        # The interviewer is assigned to the written question only: a lab's playback is not theirs (test_playback.py).
        "attempt-playback": ({"attempt_id": a, "slug": "softmax-cross-entropy-bug"}, managers_of_track),
        "attempt-panel": ({"attempt_id": a}, managers_of_track),
        "report-attempt": ({"attempt_id": a}, managers_of_track),
        "report-attempt-pdf": ({"attempt_id": a}, managers_of_track),
        "report-track": ({"slug": t}, managers_of_track),
        "report-track-csv": ({"slug": t}, managers_of_track),
        "report-calibration": ({"slug": t}, managers_of_track),
        "report-items": ({"slug": t}, managers_of_track),
        "report-similarity": ({"slug": t}, managers_of_track),
        "report-similarity-pair": ({"slug": t, "a": 1, "b": 2}, set()),  # (no such pair here: tests/webapp)
        "report-similarity-known": ({"slug": t, "a": 1, "source": "reference"}, set()),  # (no such submission)
        "healthz": ({}, set(VISITORS)),
        # From loopback (the test client's address); other addresses need METRICS_TOKEN (tests/ops/test_metrics.py).
        "metrics": ({}, set(VISITORS)),
        "operations": ({}, {"admin"}),
        "audit-trail": ({}, {"admin"}),
        "privacy-candidate": ({"candidate_id": w["invitation"].candidate_id}, {"admin"}),
        "privacy-candidate-export": ({"candidate_id": w["invitation"].candidate_id}, set()),  # POST only
        "privacy-candidate-erase": ({"candidate_id": w["invitation"].candidate_id}, set()),  # POST only
        # The API with a staff session (the browsable API): the pages' rules. Lists answer every manager, with
        # only their tracks' objects in them (tests/api); objects of other tracks are 404s. Keys: tests/api.
        "api-schema": ({}, set(VISITORS)),
        "api-docs": ({}, set(VISITORS)),
        "api-tracks": ({}, all_managers),
        "api-track": ({"slug": t}, managers_of_track),
        "api-track-comparison": ({"slug": t}, managers_of_track),
        "api-invitations": ({}, all_managers),
        "api-invitation": ({"pk": w["invitation"].pk}, managers_of_track),
        "api-invitation-withdraw": ({"pk": w["invitation"].pk}, set()),  # POST only
        "api-invitation-resend": ({"pk": w["invitation"].pk}, set()),  # POST only
        "api-attempts": ({}, all_managers),
        "api-attempt": ({"pk": a}, managers_of_track),
        "api-attempt-gradings": ({"pk": a}, managers_of_track),
        "api-attempt-scorecards": ({"pk": a}, managers_of_track),
        "api-attempt-report": ({"pk": a}, managers_of_track),
        "api-keys": ({}, {"admin"}),
        "api-key-revoke": ({"key_id": 1}, set()),  # POST only
        # Greenhouse authenticates with an API key (HTTP Basic) only: no session opens these (tests/api).
        "greenhouse-list-tests": ({}, set()),
        "greenhouse-send-test": ({}, set()),
        "greenhouse-test-status": ({}, set()),
        "greenhouse-response-error": ({}, set()),
        "webhooks": ({}, {"admin"}),
        "webhook-endpoint": ({"endpoint_id": w["endpoint"].pk}, {"admin"}),
        "webhook-replay": ({"delivery_id": 1}, set()),  # POST only
    }


EXAM_URLS = {"exam-landing", "exam-start", "exam-resume", "exam-question", "exam-answer", "exam-run",
             "exam-run-status", "exam-signals", "exam-submit", "exam-done", "exam-accommodation",
             "exam-visible-file"}


SIGN_IN_URLS = {"login"}  # the sign-in page: a form for visitors, a redirect home for the signed-in
# Readiness answers every visitor alike, 503 here (no worker has reported): tests/ops/test_readyz.py.
PROBE_URLS = {"readyz"}


def test_the_sign_in_page(world):
    assert Client().get(reverse("login")).status_code == 200
    for who in STAFF:
        resp = client_for(world, who).get(reverse("login"))
        assert resp.status_code == 302 and resp["Location"] == "/", who


def _all_url_names() -> set[str]:
    names: set[str] = set()
    for p in get_resolver().url_patterns:
        if isinstance(p, URLPattern) and p.name:
            names.add(p.name)
        elif isinstance(p, URLResolver) and p.namespace != "admin" and not str(p.pattern).startswith("accounts/"):
            names |= {q.name for q in p.url_patterns if isinstance(q, URLPattern) and q.name}
    return names


def test_the_matrix_names_every_url(world):
    missing = _all_url_names() - set(_matrix(world)) - EXAM_URLS - SIGN_IN_URLS - PROBE_URLS
    assert not missing, f"URLs without an access rule in this matrix: {sorted(missing)}"


def _denied(resp) -> bool:
    if resp.status_code in (401, 403, 404, 405):
        return True
    return resp.status_code == 302 and "/login/" in resp["Location"]


@pytest.mark.parametrize("who", VISITORS)
def test_every_url_for_every_visitor(world, who):
    c = client_for(world, who)
    problems = []
    for name, (kwargs, allowed) in _matrix(world).items():
        resp = c.get(reverse(name, kwargs=kwargs))
        body = resp.content.decode("utf-8", "replace") if not resp.streaming else ""
        if who in allowed:
            if resp.status_code != 200:
                problems.append(f"{name}: {resp.status_code}, expected 200")
        elif not _denied(resp) or SECRET_NAME in body or "ZQX-81" in body:
            problems.append(f"{name}: {resp.status_code}, expected to be turned away")
    assert not problems, f"{who}:\n" + "\n".join(problems)


@pytest.mark.parametrize("who", VISITORS)
def test_the_admin_is_for_admins_only(world, who):
    c = client_for(world, who)
    problems = []
    for model, _ in admin.site._registry.items():
        url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        resp = c.get(url)
        body = resp.content.decode("utf-8", "replace")
        if who == "admin":
            if resp.status_code != 200:
                problems.append(f"{url}: {resp.status_code}")
        elif resp.status_code != 302 or "/admin/login/" not in resp["Location"] or SECRET_NAME in body:
            problems.append(f"{url}: {resp.status_code}, expected the admin login")
    assert not problems, f"{who}:\n" + "\n".join(problems)


def test_no_staff_page_shows_an_exam_link(world):
    token = world["token"]
    for who in STAFF:
        c = client_for(world, who)
        pages = [reverse("invitation-list"), reverse("report-attempt", args=[world["attempt"].pk]),
                 reverse("attempt-panel", args=[world["attempt"].pk]),
                 reverse("admin:assessments_invitation_change", args=[world["invitation"].pk])]
        for url in pages:
            body = c.get(url).content.decode()
            assert token not in body and "/exam/" not in body, f"{who} sees an exam link on {url}"


def test_a_manager_of_no_track_sees_and_issues_no_invitation(world):
    c = client_for(world, "no_track_manager")
    listing = c.get(reverse("invitation-list")).content.decode()
    assert SECRET_NAME not in listing and "You manage no track" in listing
    resp = c.post(reverse("invitation-new"), {"full_name": "X Y", "email": "x@example.com",
                                              "track": world["track"].pk, "expires_in_days": 7,
                                              "extra_time_minutes": 0})
    assert resp.status_code == 200 and "Select a valid choice" in resp.content.decode()
    for other in ("no_track_manager", "other_manager"):
        resp = client_for(world, other).post(reverse("invitation-action", args=[world["invitation"].pk]),
                                             {"action": "withdraw"})
        assert resp.status_code == 404
    world["invitation"].refresh_from_db()
    assert world["invitation"].revoked_at is None


def test_a_manager_withdraws_and_renews_on_their_track(world, mailoutbox):
    c = client_for(world, "manager")
    inv = world["other_invitation"]
    resp = c.post(reverse("invitation-action", args=[inv.pk]), {"action": "renew-email"})
    assert resp.status_code == 200 and resp["Cache-Control"] == "no-store"
    assert len(mailoutbox) == 1 and "/exam/" in mailoutbox[0].body
    new_link = mailoutbox[0].body.split("/exam/")[1].split("/")[0]
    assert Client().get(reverse("exam-landing", args=[new_link])).status_code == 200
    # A started exam keeps its link.
    resp = c.post(reverse("invitation-action", args=[world["invitation"].pk]), {"action": "renew"}, follow=True)
    assert "has started" in resp.content.decode()
    c.post(reverse("invitation-action", args=[inv.pk]), {"action": "withdraw"})
    assert Client().get(reverse("exam-landing", args=[new_link])).status_code == 410 or \
        "withdrawn" in Client().get(reverse("exam-landing", args=[new_link])).content.decode()


def test_admin_scorecards_are_read_only_and_assignments_go_through_the_service(world):
    c = client_for(world, "admin")
    card: Scorecard = world["card"]
    resp = c.post(reverse("admin:assessments_scorecard_change", args=[card.pk]), {"status": "submitted"})
    assert resp.status_code == 403
    candidate_as_interviewer = world["users"]["no_track_manager"]  # not an interviewer
    resp = c.post(reverse("admin:assessments_assignment_add"), {
        "attempt": world["attempt"].pk, "interviewer": candidate_as_interviewer.pk})
    assert resp.status_code == 200 and "is not an interviewer" in resp.content.decode()
    assert not world["attempt"].assignments.filter(interviewer=candidate_as_interviewer).exists()


def test_candidate_data_pages_are_never_cached(world):
    c = client_for(world, "manager")
    for url in (reverse("report-attempt", args=[world["attempt"].pk]),
                reverse("report-attempt-pdf", args=[world["attempt"].pk]),
                reverse("report-track-csv", args=[world["track"].slug]), reverse("invitation-list"),
                reverse("scoring-queue")):
        assert "no-store" in c.get(url)["Cache-Control"], url
    assert "no-store" in Client().get(reverse("exam-landing", args=[world["token"]]))["Cache-Control"]


# --- the invitation-token limiter ----------------------------------------------------------------------------


@override_settings(INVITATION_LOOKUP_FAILURES=5, INVITATION_LOOKUP_WINDOW_S=600)
def test_bad_tokens_are_limited_but_a_valid_token_never_is(world):
    cache.clear()
    c = Client(REMOTE_ADDR="203.0.113.7")
    codes = [c.get(reverse("exam-landing", args=[f"guess-{i}"])).status_code for i in range(8)]
    assert codes[:5] == [404] * 5 and codes[5:] == [429] * 3
    # The genuine candidate behind the same address (a shared office, a proxy) is never refused.
    genuine = c.get(reverse("exam-landing", args=[world["token"]]))
    assert genuine.status_code == 302 and genuine["Location"].endswith("/done/")  # submitted: their receipt
    other = Client(REMOTE_ADDR="203.0.113.8")
    assert other.get(reverse("exam-landing", args=["guess-x"])).status_code == 404


@override_settings(INVITATION_LOOKUP_FAILURES=2, INVITATION_LOOKUP_WINDOW_S=600)
def test_behind_a_trusted_proxy_each_client_has_its_own_bucket(world, settings):
    import ipaddress

    settings.TRUSTED_PROXY_NETWORKS = [ipaddress.ip_network("10.0.0.5/32")]
    cache.clear()
    url = reverse("exam-landing", args=["guess"])
    proxy = {"REMOTE_ADDR": "10.0.0.5"}
    for _ in range(2):
        Client(**proxy).get(url, HTTP_X_FORWARDED_FOR="198.51.100.1")
    assert Client(**proxy).get(url, HTTP_X_FORWARDED_FOR="198.51.100.1").status_code == 429
    assert Client(**proxy).get(url, HTTP_X_FORWARDED_FOR="198.51.100.2").status_code == 404
    # A client cannot pick its bucket: the entry it writes itself (left of the proxy's) is ignored.
    assert Client(**proxy).get(url, HTTP_X_FORWARDED_FOR="1.2.3.4, 198.51.100.1").status_code == 429
    # Without the proxy trusted, the header is ignored altogether.
    settings.TRUSTED_PROXY_NETWORKS = []
    cache.clear()
    for i in range(2):
        Client(REMOTE_ADDR="192.0.2.9").get(url, HTTP_X_FORWARDED_FOR=f"198.51.100.{i}")
    assert Client(REMOTE_ADDR="192.0.2.9").get(url, HTTP_X_FORWARDED_FOR="198.51.100.99").status_code == 429


# --- login throttling ------------------------------------------------------------------------------------------


def test_wrong_passwords_lock_the_account_from_that_address(world):
    from axes.models import AccessAttempt

    user = world["users"]["manager"]
    c = Client(REMOTE_ADDR="203.0.113.50")
    codes = [c.post(reverse("login"), {"login": user.username, "password": "wrong"}).status_code
             for _ in range(5)]
    assert codes == [200, 200, 200, 200, 429]  # AXES_FAILURE_LIMIT = 5: the fifth failure locks
    resp = c.post(reverse("login"), {"login": user.username, "password": "pw-for-tests-only"})
    assert resp.status_code == 429 and "Too many failed sign-ins" in resp.content.decode()
    assert "_auth_user_id" not in c.session
    assert AccessAttempt.objects.filter(username=user.username, ip_address="203.0.113.50").exists()
    # Another address is not locked out by the attacker's failures.
    other = Client(REMOTE_ADDR="203.0.113.51")
    resp = other.post(reverse("login"), {"login": user.username, "password": "pw-for-tests-only"})
    assert resp.status_code == 302 and "_auth_user_id" in other.session


# --- hostile input from the candidate's side -------------------------------------------------------------------


def test_signals_with_naive_or_impossible_times_are_recorded_not_a_500(world):
    import json

    from assessments.models import IntegrityEvent

    inv = world["other_invitation"]
    attempt = services.attempt_start(invitation=inv)
    events = [{"kind": "focus_lost", "at": "2026-12-01T10:00:00"}, {"kind": "focus_lost", "at": "2026-13-45T99:00:00"},
              {"kind": "focus_lost", "at": "not a time"}, {"kind": "focus_lost", "at": 12},
              {"kind": "focus_lost", "at": "x" * 5000}]
    resp = Client().post(reverse("exam-signals", args=[inv.token]), json.dumps(events),
                         content_type="application/json")
    assert resp.status_code == 200, resp.content
    times = list(IntegrityEvent.objects.filter(attempt=attempt).order_by("pk").values_list("client_at", flat=True))
    assert len(times) == 5 and times[0].utcoffset().total_seconds() == 0 and times[0].hour == 10
    assert times[1:] == [None] * 4


def test_an_answer_cannot_wear_the_apps_classes_and_its_headings_sit_below_the_page(world):
    from webapp.markdown import render_markdown
    from webapp.templatetags.content import answer_markdown_filter

    hostile = ('# Title\n\n<span class="pill test-passed">passed</span> <div class="sr-only">hidden</div>\n\n'
               '<a href="javascript:alert(1)" class="button-link">x</a>')
    html = str(answer_markdown_filter(hostile))
    assert "class=" not in html and "javascript:" not in html and "<h4>Title</h4>" in html and "<h1>" not in html
    assert 'class="pill' in str(render_markdown('<span class="pill">trusted content</span>'))

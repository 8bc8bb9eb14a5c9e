"""Pages by role: who sees what, and that content renders safely."""

from __future__ import annotations

import pytest
from django.urls import reverse

from assessments import roles
from tests.factories import UserFactory
from webapp.markdown import render_markdown

pytestmark = pytest.mark.django_db


@pytest.fixture
def interviewer(db):
    return UserFactory(username="ivy", role=roles.INTERVIEWER)


def test_login_page_and_login_flow(client, interviewer):
    page = client.get(reverse("login"))
    assert page.status_code == 200 and b"Candidates use the link in their invitation" in page.content
    bad = client.post(reverse("login"), {"login": "ivy", "password": "wrong"})
    assert b"match. Please try again" in bad.content
    ok = client.post(reverse("login"), {"login": "ivy", "password": "pw-for-tests-only"})
    assert ok.status_code == 302 and ok["Location"] == reverse("home")
    logout = client.post(reverse("logout"))
    assert logout.status_code == 302
    assert client.get(reverse("home")).status_code == 302


def test_pages_require_login(client, synced_content):
    for url in (reverse("home"), reverse("track-detail", args=["advanced-ml-speech"]),
                reverse("question-detail", args=["softmax-cross-entropy-bug"])):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_interviewer_sees_track_guidance_and_hidden_test_names(client, interviewer, synced_content):
    client.force_login(interviewer)
    home = client.get(reverse("home"))
    assert b"Advanced ML &amp; Speech ML Engineering" in home.content
    track = client.get(reverse("track-detail", args=["advanced-ml-speech"]))
    body = track.content.decode()
    for title in ("R&amp;D depth", "System design", "Production incidents", "Coding labs"):
        assert title in body
    # One figure for the clock, the live round apart (the page said "365 minutes in total" of a 320-minute exam).
    assert "320 minutes on the candidate's clock plus a 45-minute live round, scheduled separately" in body
    q = client.get(reverse("question-detail", args=["softmax-cross-entropy-bug"])).content.decode()
    assert 'data-testid="guidance"' in q and "A strong answer covers" in q
    assert "tests/hidden/" in q  # names only
    assert "def training_step" in q  # the starter is shown


def test_user_without_role_gets_403_on_content(client, synced_content):
    client.force_login(UserFactory(username="nobody"))
    assert client.get(reverse("track-detail", args=["advanced-ml-speech"])).status_code == 403
    assert client.get(reverse("question-detail", args=["ctc-greedy-decode"])).status_code == 403


def test_hiring_manager_sees_rubric_with_bar_signals(client, synced_content):
    client.force_login(UserFactory(username="hm", role=roles.HIRING_MANAGER))
    page = client.get(reverse("rubric-detail", args=["systems-leveled"])).content.decode()
    for bar in ("bar: senior", "bar: staff", "bar: principal"):
        assert bar in page


def test_unknown_slugs_are_404(client, interviewer, synced_content):
    client.force_login(interviewer)
    assert client.get(reverse("question-detail", args=["no-such-question"])).status_code == 404
    assert client.get(reverse("track-version", args=["advanced-ml-speech", 99])).status_code == 404


def test_local_sandbox_is_flagged_as_development_only(client, interviewer, settings, synced_content):
    from graders.selectors import sandbox_choice

    settings.SANDBOX_BACKEND = "local"
    sandbox_choice.cache_clear()
    try:
        client.force_login(interviewer)
        body = client.get(reverse("home")).content.decode()
        assert 'data-testid="sandbox-banner"' in body and "not an\n    isolation boundary" in body
    finally:
        sandbox_choice.cache_clear()


def test_markdown_is_sanitised():
    html = render_markdown("**bold** <script>alert(1)</script> [x](javascript:alert(1)) <img src=x onerror=y>")
    assert "<strong>bold</strong>" in html
    assert "<script" not in html and "javascript:" not in html and "onerror" not in html


def test_healthz(client):
    response = client.get(reverse("healthz"))
    assert response.status_code == 200 and response.json()["status"] == "ok"

"""Failure pages say what happened and that nothing is lost (issue 14, finding 6): a database outage is a 503
with Retry-After that renders without the database, a bug is a 500 page rather than "Server Error (500)", an
oversized save is refused with the limit, and a refused CSRF check explains itself and hands out a fresh token."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.db import OperationalError, connection
from django.test import Client
from django.urls import reverse

from assessments import selectors, services
from assessments.models import Attempt, Response, SectionQuestion, Track

pytestmark = pytest.mark.django_db

JSON = {"HTTP_ACCEPT": "application/json"}


@pytest.fixture(autouse=True)
def _clear_rate_limits():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def invitation(synced_content):
    track = Track.objects.get(slug="advanced-ml-speech", is_current=True)
    return services.invitation_create(
        candidate=services.candidate_create(full_name="Fay Failure", email="fay@example.com"), track=track)


@pytest.fixture
def written(invitation):
    return next(i.question for i in SectionQuestion.objects.filter(section__track=invitation.track)
                .select_related("question").order_by("section__order", "order") if i.question.kind == "written")


@pytest.fixture
def started(invitation):
    client = Client(raise_request_exception=False)
    assert client.post(reverse("exam-start", args=[invitation.token]), {"consent": "on"}).status_code == 302
    client.attempt = Attempt.objects.get(invitation=invitation)
    return client


@pytest.fixture
def database_down(monkeypatch):
    """Every query fails to connect, as when PostgreSQL is stopped (the connection is checked before each query)."""
    def refused(*args, **kwargs):
        raise OperationalError('connection to server at "127.0.0.1", port 5432 failed: Connection refused')

    monkeypatch.setattr(connection, "ensure_connection", refused)


def test_a_database_outage_is_a_503_that_says_the_answers_are_safe(started, invitation, written, database_down):
    page = started.get(reverse("exam-question", args=[invitation.token, written.slug]))
    assert page.status_code == 503 and page["Retry-After"] == "10"
    html = page.content.decode()
    assert "Back in a moment" in html and "your saved answers are safe" in html
    assert '<meta http-equiv="refresh" content="10">' in html  # the page asks again by itself
    assert "Server Error" not in html
    save = started.post(reverse("exam-answer", args=[invitation.token, written.slug]),
                        {"body": "during the outage", "base_revision": 0}, **JSON)
    assert save.status_code == 503 and save["Retry-After"] == "10"
    assert save.json()["code"] == "unavailable"


def test_a_bug_is_a_500_page_not_a_bare_error(started, invitation, written, monkeypatch):
    def broken(**kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr(selectors, "exam_question_get", broken)
    page = started.get(reverse("exam-question", args=[invitation.token, written.slug]))
    assert page.status_code == 500
    html = page.content.decode()
    assert "Something went wrong on our side" in html and "kept in this browser" in html
    assert "a bug" not in html  # nothing internal leaks


def test_a_save_over_the_upload_limit_is_refused_with_the_limit(started, invitation, written, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    url = reverse("exam-answer", args=[invitation.token, written.slug])
    assert started.post(url, {"body": "kept", "base_revision": 0}, **JSON).status_code == 200
    huge = started.post(url, {"body": "x" * 5000, "base_revision": 1}, **JSON)
    assert huge.status_code == 413
    assert huge.json()["code"] == "too_long" and "too large to save" in huge.json()["error"]
    assert Response.objects.get(attempt=started.attempt, question=written).body == "kept"
    # Without JavaScript (a plain form post) the page says the same and links back to the question.
    question = reverse("exam-question", args=[invitation.token, written.slug])
    page = started.post(url, {"body": "x" * 5000, "base_revision": 1}, HTTP_REFERER=f"http://testserver{question}")
    assert page.status_code == 413 and b"too large to save" in page.content
    assert f'href="http://testserver/exam/{invitation.token}/questions/{written.slug}/"'.encode() in page.content


def test_a_refused_csrf_check_explains_itself_and_the_fresh_token_works(invitation, written):
    strict = Client(enforce_csrf_checks=True)
    landing = strict.get(reverse("exam-landing", args=[invitation.token]))
    token = landing.context["csrf_token"]
    assert strict.post(reverse("exam-start", args=[invitation.token]), {"consent": "on"},
                       HTTP_X_CSRFTOKEN=str(token)).status_code == 302
    url = reverse("exam-answer", args=[invitation.token, written.slug])
    # The cookie was replaced (cleared cookies, another window): the page's token no longer matches.
    strict.cookies["csrftoken"] = "A" * 32
    refused = strict.post(url, {"body": "after rotation", "base_revision": 0}, HTTP_X_CSRFTOKEN=str(token), **JSON)
    assert refused.status_code == 403
    body = refused.json()
    assert body["code"] == "csrf_failed" and "changed nothing" in body["error"]
    assert not Response.objects.filter(question=written).exists()
    again = strict.post(url, {"body": "after rotation", "base_revision": 0}, HTTP_X_CSRFTOKEN=body["csrf_token"],
                        **JSON)
    assert again.status_code == 200
    assert Response.objects.get(question=written).body == "after rotation"
    # A plain form post gets a page that says what to do, not "CSRF verification failed".
    strict.cookies["csrftoken"] = "B" * 32
    page = strict.post(url, {"body": "x", "base_revision": 1, "csrfmiddlewaretoken": body["csrf_token"]})
    assert page.status_code == 403 and b"Please try that again" in page.content
    assert b"CSRF verification failed" not in page.content

"""The exam does not depend on the cache or the broker being up, and /healthz says what is down."""

from __future__ import annotations

import socket

import pytest
from django.db import OperationalError
from django.urls import reverse

from assessments import services
from assessments.models import Track


def _dead_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # closed again on return: nothing listens there


@pytest.fixture
def cache_down(settings):
    """The cache on a Redis that is not there (connection refused), as when Redis is stopped."""
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                                   "LOCATION": f"redis://127.0.0.1:{_dead_port()}/0",
                                   "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1}}}
    # (Django's setting_changed handler rebuilds the cache connections.)
    yield


@pytest.fixture
def invitation(synced_content):
    track = Track.objects.get(slug="advanced-ml-speech", is_current=True)
    return services.invitation_create(candidate=services.candidate_create(full_name="Kim K", email="kim@example.com"),
                                      track=track)


def test_the_exam_runs_with_the_cache_down(client, invitation, cache_down, caplog):
    token = invitation.token
    assert client.get(reverse("exam-landing", args=[token])).status_code == 200
    assert client.post(reverse("exam-start", args=[token]), {"consent": "on"}).status_code == 302
    page = client.get(reverse("exam-resume", args=[token]), follow=True)
    assert page.status_code == 200
    slug = page.request["PATH_INFO"].rstrip("/").rsplit("/", 1)[-1]
    saved = client.post(reverse("exam-answer", args=[token, slug]), {"body": "CTC ...", "base_revision": 0},
                        HTTP_ACCEPT="application/json")
    assert saved.status_code == 200 and saved.json()["revision"] == 1
    # A bad link is still refused (the limiter lets requests through, it does not let bad tokens in).
    assert client.get(reverse("exam-landing", args=[token[:-3] + "xyz"])).status_code == 404
    assert "rate limiter store unreachable" in caplog.text


def test_healthz_says_ok_degraded_or_down(client, db):
    ok = client.get(reverse("healthz"))
    assert ok.status_code == 200 and ok.json()["status"] == "ok" and ok.json()["database"]["ok"]


def test_healthz_is_degraded_without_cache(client, db, cache_down):
    body = client.get(reverse("healthz"))
    assert body.status_code == 200  # a load balancer keeps the node: exams go on without the cache
    assert body.json()["status"] == "degraded" and not body.json()["cache"]["ok"]


def test_healthz_is_down_without_database(client, monkeypatch, caplog):
    from ops import health

    def refused(*args, **kwargs):
        raise OperationalError("connection refused")

    monkeypatch.setattr(health.connection, "cursor", refused)
    with caplog.at_level("WARNING"):
        body = client.get(reverse("healthz"))
    assert body.status_code == 503 and body.json()["status"] == "down"
    assert "connection refused" in body.json()["database"]["detail"]
    # One warning that says why, not Django's ERROR for a 503 (mailed to ADMINS) on every probe of the outage.
    assert [r.levelname for r in caplog.records if "down: database" in r.getMessage()] == ["WARNING"]
    assert not [r for r in caplog.records if r.levelname == "ERROR"]


def test_probes_answer_any_host_header_and_pages_still_check_it(client, db, settings):
    """Kubernetes and Docker probe a container, and Prometheus scrapes it, by IP address: not an allowed host."""
    settings.ALLOWED_HOSTS = ["interviews.example.com"]
    assert client.get(reverse("healthz"), HTTP_HOST="10.244.1.7:8000").status_code == 200
    assert client.get(reverse("readyz"), HTTP_HOST="10.244.1.7:8000").status_code in (200, 503)
    metrics = client.get("/metrics", HTTP_HOST="10.244.1.7:8000", REMOTE_ADDR="10.244.0.1")
    assert metrics.status_code == 200 and b"interview_track_" in metrics.content
    # A page is not a probe: Django's host check still turns the unknown host away.
    assert client.get(reverse("login"), HTTP_HOST="10.244.1.7:8000").status_code == 400
    # And a scraper from outside the allowed networks still gets the 404, whatever its Host.
    assert client.get("/metrics", HTTP_HOST="10.244.1.7:8000", REMOTE_ADDR="203.0.113.9").status_code == 404

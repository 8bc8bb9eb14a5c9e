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


def test_healthz_is_down_without_database(client, monkeypatch):
    from ops import health

    def refused(*args, **kwargs):
        raise OperationalError("connection refused")

    monkeypatch.setattr(health.connection, "cursor", refused)
    body = client.get(reverse("healthz"))
    assert body.status_code == 503 and body.json()["status"] == "down"
    assert "connection refused" in body.json()["database"]["detail"]

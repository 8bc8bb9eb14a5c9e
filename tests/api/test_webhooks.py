"""Webhooks: events are written with the change (and vanish with a rolled-back one), signed per Standard Webhooks
and verified by a real receiver on loopback with the standardwebhooks library; a receiver that is down for a while
loses nothing and, deduplicating on webhook-id, sees each event once; "once" events are sent once; replay."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.db import transaction
from django.test import Client
from django.urls import reverse
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from api import webhooks
from api.models import EVENT_TYPES, DeliveryStatus, WebhookDelivery, WebhookEvent
from assessments import roles, services
from assessments.models import Track
from assessments.services.events import event_emit, invitations_expired_emit
from tests.conftest import free_port
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

TRACK = "advanced-ml-speech"


class Receiver:
    """A webhook receiver on 127.0.0.1 that verifies every delivery and deduplicates on webhook-id."""

    def __init__(self, secret: str, port: int):
        self.secret, self.port = secret, port
        self.seen: dict[str, dict] = {}  # webhook-id -> body, after dedup
        self.received = 0
        self.rejected = 0
        self.server: ThreadingHTTPServer | None = None

    def start(self) -> None:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's name
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.received += 1
                try:
                    data = Webhook(receiver.secret).verify(body, dict(self.headers))
                except WebhookVerificationError:
                    receiver.rejected += 1
                    self.send_response(400)
                    self.end_headers()
                    return
                receiver.seen.setdefault(self.headers["webhook-id"], data)
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        if self.server:
            self.server.shutdown()
            self.server.server_close()
            self.server = None


@pytest.fixture
def track(synced_content):
    return Track.objects.get(slug=TRACK, is_current=True)


@pytest.fixture
def receiver():
    port = free_port()
    endpoint = webhooks.endpoint_create(url=f"http://127.0.0.1:{port}/hooks", event_types=list(EVENT_TYPES),
                                        track_slugs=[])
    r = Receiver(endpoint.secret, port)
    r.endpoint = endpoint
    yield r
    r.stop()


def _start_and_submit(track) -> None:
    invitation = services.invitation_create(
        candidate=services.candidate_create(full_name="Wes Webhook", email="wes@example.com"), track=track)
    attempt = services.attempt_start(invitation=invitation)
    services.attempt_submit(attempt=attempt)


def _sweep() -> list[str]:
    return [webhooks.delivery_send(delivery_id=pk) for pk in webhooks.deliveries_due()]


def test_a_receiver_down_for_a_while_loses_nothing_and_sees_each_event_once(track, receiver, settings):
    settings.WEBHOOK_BACKOFF_BASE_S, settings.WEBHOOK_BACKOFF_MAX_S = 0.2, 0.4
    _start_and_submit(track)
    assert sorted(WebhookEvent.objects.values_list("type", flat=True)) == ["attempt.started", "attempt.submitted"]
    # Down: every try fails (connection refused) and is logged; nothing is given up on.
    for _ in range(4):
        _sweep()
        time.sleep(0.45)
    down = list(WebhookDelivery.objects.all())
    assert all(d.status == DeliveryStatus.PENDING and d.attempts >= 3 and "ConnectionError" in d.last_error
               for d in down), [(d.status, d.attempts, d.last_error) for d in down]
    assert down[0].tries.count() == down[0].attempts
    # Back up: the next sweep delivers both, signed; the receiver verifies each.
    receiver.start()
    time.sleep(0.45)
    assert sorted(_sweep()) == ["delivered", "delivered"]
    assert receiver.rejected == 0 and len(receiver.seen) == 2
    assert {b["type"] for b in receiver.seen.values()} == {"attempt.started", "attempt.submitted"}
    submitted = next(b for b in receiver.seen.values() if b["type"] == "attempt.submitted")
    assert submitted["data"]["candidate_code"].startswith("C-") and "Wes" not in json.dumps(submitted)
    # A replay (or an at-least-once duplicate) carries the same id: after dedup, still one of each.
    delivery = WebhookDelivery.objects.first()
    webhooks.delivery_replay(delivery=delivery)
    assert _sweep() == ["delivered"]
    assert receiver.received == 3 and len(receiver.seen) == 2
    assert _sweep() == []  # nothing left to send


def test_a_tampered_delivery_fails_verification(track, receiver):
    _start_and_submit(track)
    event = WebhookEvent.objects.get(type="attempt.started")
    body = webhooks.body_of(event)
    headers = webhooks.signed_headers(endpoint=receiver.endpoint, event=event, body=body,
                                      at=event.created_at)
    assert Webhook(receiver.endpoint.secret).verify(body, headers)["type"] == "attempt.started"
    with pytest.raises(WebhookVerificationError):
        Webhook(receiver.endpoint.secret).verify(body.replace("attempt.started", "attempt.submitted"), headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(webhooks.endpoint_create(url="http://127.0.0.1:9/x", event_types=["report.ready"],
                                         track_slugs=[]).secret).verify(body, headers)


def test_an_event_of_a_rolled_back_change_is_never_sent(track, receiver):
    invitation = services.invitation_create(
        candidate=services.candidate_create(full_name="Rob Rollback", email="rob@example.com"), track=track)
    with pytest.raises(RuntimeError), transaction.atomic():
        services.attempt_start(invitation=invitation)
        raise RuntimeError("the request failed after the start")
    assert not WebhookEvent.objects.exists() and not WebhookDelivery.objects.exists()


def test_once_events_are_stored_once_and_tracks_filter_endpoints(track, receiver):
    other = webhooks.endpoint_create(url="http://127.0.0.1:9/other", event_types=["report.ready"],
                                     track_slugs=["another-track"])
    for _ in range(3):
        event_emit(kind="report.ready", subject="attempt:41", track_slug=TRACK, payload={"attempt_id": 41})
    assert WebhookEvent.objects.filter(type="report.ready").count() == 1
    assert not WebhookDelivery.objects.filter(endpoint=other).exists()
    from datetime import timedelta

    from django.utils import timezone

    invitation = services.invitation_create(
        candidate=services.candidate_create(full_name="Eve Expired", email="eve@example.com"), track=track,
        expires_at=timezone.now() + timedelta(seconds=1))
    later = timezone.now() + timedelta(minutes=5)
    assert invitations_expired_emit(now=later, since=later - timedelta(days=1)) == 1
    invitations_expired_emit(now=later, since=later - timedelta(days=1))
    expired = WebhookEvent.objects.filter(type="invitation.expired")
    assert expired.count() == 1 and expired.get().payload["invitation_id"] == invitation.pk


def test_the_sweep_task_queues_what_is_due(track, receiver, monkeypatch):
    from api import tasks

    queued: list[int] = []
    monkeypatch.setattr(tasks.webhook_deliver, "delay", lambda pk: queued.append(pk))
    _start_and_submit(track)
    assert tasks.webhooks_sweep() == 2 and sorted(queued) == sorted(WebhookDelivery.objects.values_list("pk",
                                                                                                       flat=True))


def test_admins_register_endpoints_read_the_log_and_replay(track, receiver):
    admin = UserFactory(username="root", role=roles.ADMIN, is_staff=True)
    c = Client()
    c.force_login(admin)
    page = c.post(reverse("webhooks"), {"url": "https://ats.example.com/hook", "events": ["attempt.submitted"]})
    assert page.status_code == 200 and "whsec_" in page.content.decode()
    bad = c.post(reverse("webhooks"), {"url": "ftp://x", "events": ["attempt.submitted"]}, follow=True)
    assert "must start with https://" in bad.content.decode()
    _start_and_submit(track)
    log = c.get(reverse("webhook-endpoint", args=[receiver.endpoint.pk])).content.decode()
    assert "attempt.submitted" in log and "msg_" in log
    delivery = WebhookDelivery.objects.filter(endpoint=receiver.endpoint).first()
    webhooks.delivery_send(delivery_id=delivery.pk)  # fails: the receiver is not started
    assert c.post(reverse("webhook-replay", args=[delivery.pk])).status_code == 302
    delivery.refresh_from_db()
    assert delivery.status == "pending" and delivery.attempts == 0
    manager = UserFactory(username="meg", role=roles.HIRING_MANAGER)
    m = Client()
    m.force_login(manager)
    assert m.get(reverse("webhooks")).status_code == 403
    assert m.post(reverse("webhook-replay", args=[delivery.pk])).status_code == 403


@pytest.mark.django_db(transaction=True)
def test_a_real_worker_and_beat_deliver_after_the_receiver_comes_back(track, tmp_path):
    """The production path: a Celery worker with beat on the default queue over Redis; deliveries queued after
    commit fail while the receiver is down, the beat sweep retries them, and once it is up each lands once."""
    from tests.conftest import require_service
    from tests.workers import REDIS_URL, database_url_for_tests, redis_available, start_worker, stop_worker, use_broker

    ok, why = redis_available()
    require_service("Redis", ok, why)
    port = free_port()
    endpoint = webhooks.endpoint_create(url=f"http://127.0.0.1:{port}/hooks",
                                        event_types=["attempt.started", "attempt.submitted"], track_slugs=[])
    receiver = Receiver(endpoint.secret, port)
    proc = start_worker(tmp_path / "worker.log", queues="default", beat=True, env={
        "CELERY_BROKER_URL": REDIS_URL, "DATABASE_URL": database_url_for_tests(), "WEBHOOK_SWEEP_S": "1",
        "WEBHOOK_BACKOFF_BASE_S": "0.5", "WEBHOOK_BACKOFF_MAX_S": "1"})
    try:
        with use_broker(REDIS_URL):
            _start_and_submit(track)

            def tried(n: int) -> bool:
                return all(d.attempts >= n for d in WebhookDelivery.objects.all())

            deadline = time.monotonic() + 60
            while not tried(2):
                assert time.monotonic() < deadline, (tmp_path / "worker.log").read_text()[-3000:]
                time.sleep(0.5)
            assert not WebhookDelivery.objects.exclude(status=DeliveryStatus.PENDING).exists()
            receiver.start()
            deadline = time.monotonic() + 60
            while WebhookDelivery.objects.exclude(status=DeliveryStatus.DELIVERED).exists():
                assert time.monotonic() < deadline, (tmp_path / "worker.log").read_text()[-3000:]
                time.sleep(0.5)
    finally:
        receiver.stop()
        stop_worker(proc)
    assert receiver.rejected == 0 and len(receiver.seen) == 2
    assert {b["type"] for b in receiver.seen.values()} == {"attempt.started", "attempt.submitted"}

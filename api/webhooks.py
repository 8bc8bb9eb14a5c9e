"""Webhooks: an outbox written in the same transaction as the change (assessments.signals.domain_event), delivered
by Celery, signed per Standard Webhooks (the standardwebhooks package), retried with exponential backoff until a
2xx or the retry limit, each try logged, replayable. At least once: a receiver deduplicates on webhook-id (the
event's stable id); one that is down for hours loses nothing (the retry limit spans about a day)."""

from __future__ import annotations

import base64
import json
import logging
import secrets
import time
from datetime import datetime, timedelta

import requests
from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.utils import timezone
from standardwebhooks.webhooks import Webhook

from assessments.errors import AssessmentError

from .models import (
    EVENT_TYPES,
    ONCE,
    DeliveryStatus,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEvent,
)

log = logging.getLogger(__name__)
LEASE = timedelta(seconds=90)  # a delivery being sent is not picked again before this (a worker that died: after)


def backoff_s(attempt: int) -> float:
    """Seconds before try `attempt + 1`: exponential from WEBHOOK_BACKOFF_BASE_S, capped at WEBHOOK_BACKOFF_MAX_S."""
    return min(settings.WEBHOOK_BACKOFF_BASE_S * 2 ** max(attempt - 1, 0), settings.WEBHOOK_BACKOFF_MAX_S)


# --- endpoints -------------------------------------------------------------------------------------------------


def endpoint_create(*, url: str, event_types: list[str], track_slugs: list[str], description: str = "",
                    created_by: AbstractBaseUser | None = None) -> WebhookEndpoint:
    if not url.startswith(("https://", "http://")):
        raise AssessmentError("The URL must start with https:// (or http:// on a private network).")
    unknown = sorted(set(event_types) - set(EVENT_TYPES))
    if unknown or not event_types:
        raise AssessmentError(f"Choose at least one event from {', '.join(EVENT_TYPES)}.")
    secret = "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()
    endpoint = WebhookEndpoint(url=url, description=description[:200], event_types=sorted(set(event_types)),
                               track_slugs=sorted(set(track_slugs)), secret=secret, created_by=created_by)
    endpoint.full_clean()
    endpoint.save()
    return endpoint


def endpoint_disable(*, endpoint: WebhookEndpoint) -> WebhookEndpoint:
    endpoint.is_active = False
    endpoint.save(update_fields=["is_active"])
    return endpoint


# --- the outbox: written with the change -----------------------------------------------------------------------


def record_event(*, kind: str, subject: str, track_slug: str, payload: dict, **_) -> WebhookEvent | None:
    """domain_event's receiver: store the event and one delivery per subscribed endpoint, in the caller's
    transaction; queue them once it commits. An event nobody subscribes to is not stored."""
    endpoints = [e for e in WebhookEndpoint.objects.filter(is_active=True)
                 if kind in e.event_types and (not e.track_slugs or track_slug in e.track_slugs)]
    if not endpoints:
        return None
    if kind in ONCE and WebhookEvent.objects.filter(type=kind, subject=subject).exists():
        return None
    try:
        with transaction.atomic():  # a savepoint: a concurrent twin of a "once" event must not break the change
            event = WebhookEvent.objects.create(type=kind, subject=subject, track_slug=track_slug, payload=payload)
    except IntegrityError:
        return None
    now = timezone.now()
    deliveries = WebhookDelivery.objects.bulk_create(
        [WebhookDelivery(event=event, endpoint=e, next_attempt_at=now) for e in endpoints])
    ids = [d.pk for d in deliveries]
    transaction.on_commit(lambda: _enqueue(ids), robust=True)
    return event


def _enqueue(ids: list[int]) -> None:
    from .tasks import webhook_deliver

    for pk in ids:
        try:
            webhook_deliver.delay(pk)
        except Exception:  # noqa: BLE001 - the broker is down: the sweep sends it later, nothing is lost
            log.warning("webhook delivery %s not queued (broker unreachable); the sweep will send it", pk)


# --- sending --------------------------------------------------------------------------------------------------


def body_of(event: WebhookEvent) -> str:
    return json.dumps({"type": event.type, "timestamp": event.created_at.isoformat(), "data": event.payload},
                      separators=(",", ":"), sort_keys=True)


def signed_headers(*, endpoint: WebhookEndpoint, event: WebhookEvent, body: str, at: datetime) -> dict[str, str]:
    signature = Webhook(endpoint.secret).sign(msg_id=event.message_id, timestamp=at, data=body)
    return {"webhook-id": event.message_id, "webhook-timestamp": str(int(at.timestamp())),
            "webhook-signature": signature, "content-type": "application/json",
            "user-agent": "InterviewTrack-Webhooks/1"}


def delivery_send(*, delivery_id: int) -> str:
    """Send one due delivery (taking a lease so no one else sends it meanwhile); returns what happened."""
    now = timezone.now()
    with transaction.atomic():
        delivery = (WebhookDelivery.objects.select_for_update(skip_locked=True).select_related("event", "endpoint")
                    .filter(pk=delivery_id, status=DeliveryStatus.PENDING, next_attempt_at__lte=now).first())
        if delivery is None:
            return "not due"
        delivery.attempts += 1
        delivery.next_attempt_at = now + LEASE
        delivery.save(update_fields=["attempts", "next_attempt_at"])
    event, endpoint = delivery.event, delivery.endpoint
    body = body_of(event)
    started = time.monotonic()
    status_code, error = None, ""
    try:
        response = requests.post(endpoint.url, data=body.encode(), timeout=(5, settings.WEBHOOK_TIMEOUT_S),
                                 headers=signed_headers(endpoint=endpoint, event=event, body=body, at=timezone.now()),
                                 allow_redirects=False)
        status_code = response.status_code
        if not 200 <= status_code < 300:
            error = f"HTTP {status_code}"
    except requests.RequestException as exc:
        error = f"{type(exc).__name__}: {exc}"[:500]
    duration = int((time.monotonic() - started) * 1000)
    with transaction.atomic():
        WebhookAttempt.objects.create(delivery=delivery, at=now, status_code=status_code, error=error[:500],
                                      duration_ms=duration)
        delivery.last_status, delivery.last_error = status_code, error[:500]
        if not error:
            delivery.status, delivery.delivered_at = DeliveryStatus.DELIVERED, timezone.now()
        elif delivery.attempts >= settings.WEBHOOK_MAX_ATTEMPTS:
            delivery.status = DeliveryStatus.FAILED
        else:
            delivery.next_attempt_at = timezone.now() + timedelta(seconds=backoff_s(delivery.attempts))
        delivery.save(update_fields=["status", "delivered_at", "last_status", "last_error", "next_attempt_at"])
    return delivery.status if not error or delivery.status == DeliveryStatus.FAILED else "retry"


def deliveries_due(*, limit: int = 500) -> list[int]:
    """Pending deliveries whose time has come (a retry's backoff elapsed, a lease expired, a lost queue message)."""
    return list(WebhookDelivery.objects.filter(status=DeliveryStatus.PENDING, next_attempt_at__lte=timezone.now())
                .order_by("next_attempt_at").values_list("pk", flat=True)[:limit])


def delivery_replay(*, delivery: WebhookDelivery) -> WebhookDelivery:
    """Send again (same event id: a receiver that has it already drops it)."""
    delivery.status, delivery.next_attempt_at, delivery.attempts = DeliveryStatus.PENDING, timezone.now(), 0
    delivery.save(update_fields=["status", "next_attempt_at", "attempts"])
    transaction.on_commit(lambda: _enqueue([delivery.pk]), robust=True)
    return delivery


def endpoint_deliveries(*, endpoint: WebhookEndpoint, limit: int = 100):
    return (WebhookDelivery.objects.filter(endpoint=endpoint).select_related("event")
            .prefetch_related("tries").order_by("-created_at")[:limit])


def endpoints_list():
    return WebhookEndpoint.objects.order_by("-created_at")


def endpoint_get(*, endpoint_id: int) -> WebhookEndpoint:
    from assessments.errors import NotFound

    endpoint = WebhookEndpoint.objects.filter(pk=endpoint_id).first()
    if endpoint is None:
        raise NotFound("No such endpoint")
    return endpoint


def delivery_get(*, delivery_id: int) -> WebhookDelivery:
    from assessments.errors import NotFound

    delivery = WebhookDelivery.objects.filter(pk=delivery_id).first()
    if delivery is None:
        raise NotFound("No such delivery")
    return delivery

"""Webhook delivery tasks: thin, ids only, safe to run twice (a delivery is leased before it is sent)."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from assessments.services.events import invitations_expired_emit
from assessments.tasking import Queue, task

from . import webhooks


@task(name="api.webhook_deliver", queue=Queue.DEFAULT, time_limit=120)
def webhook_deliver(delivery_id: int) -> str:
    return webhooks.delivery_send(delivery_id=delivery_id)


@task(name="api.webhooks_sweep", queue=Queue.DEFAULT, time_limit=300)
def webhooks_sweep() -> int:
    """Periodic: queue the deliveries that are due (retries after their backoff, anything a broker outage
    dropped), and tell about invitations that expired unused since the last day."""
    now = timezone.now()
    invitations_expired_emit(now=now, since=now - timedelta(days=1))
    due = webhooks.deliveries_due()
    for pk in due:
        webhook_deliver.delay(pk)
    return len(due)

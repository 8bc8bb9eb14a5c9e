"""What the broker holds, asked through Celery's own connection (Redis, or the embedded filesystem broker)."""

from __future__ import annotations

import logging

from celery import current_app

log = logging.getLogger(__name__)


def queue_lengths(queues: list[str]) -> dict[str, int | None]:
    """Messages waiting in each queue (taken by no worker yet); None where the broker could not say.

    A queue the broker does not know is empty: Redis drops a list with its last element, and forgets every
    queue when it restarts without persistence.
    """
    out: dict[str, int | None] = {q: None for q in queues}
    try:
        with current_app.connection_for_read() as conn:
            conn.ensure_connection(max_retries=1)
            channel = conn.default_channel
            for queue in queues:
                try:
                    out[queue] = channel.queue_declare(queue=queue, passive=True).message_count
                except Exception as exc:  # noqa: BLE001 - kombu's ChannelError: no such queue
                    if "NOT_FOUND" in str(exc).upper() or "no queue" in str(exc).lower():
                        out[queue] = 0
                    else:
                        log.info("broker could not count %s: %s", queue, exc)
    except Exception as exc:  # noqa: BLE001 - the broker is away: say nothing rather than guess
        log.info("broker unreachable counting queues: %s", exc)
    return out

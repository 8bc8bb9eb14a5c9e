"""Signals other apps listen to; assessments never imports them (graders queues grading here)."""

from django.dispatch import Signal

# Sent once after attempt_submit's transaction commits, with attempt= and submissions=. A receiver's
# failure is logged and cannot undo the submit: what it does must be repairable later (idempotent).
attempt_submitted = Signal()

# Sent inside the transaction of the change it reports, with kind= ("attempt.started", "attempt.submitted",
# "grading.completed", "scorecard.submitted", "report.ready", "invitation.expired"), subject= (a stable string such
# as "attempt:12"), track_slug= and payload= (JSON-ready). A receiver that writes (the webhook outbox) commits or
# rolls back with the change, so an event is never lost after a commit nor sent for a change that did not happen.
domain_event = Signal()

"""Signals other apps listen to; assessments never imports them (graders queues grading here)."""

from django.dispatch import Signal

# Sent once after attempt_submit's transaction commits, with attempt= and submissions=. A receiver's
# failure is logged and cannot undo the submit: what it does must be repairable later (idempotent).
attempt_submitted = Signal()

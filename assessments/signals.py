"""Signals other apps listen to; assessments never imports them (graders queues grading here)."""

from django.dispatch import Signal

# Sent inside attempt_submit's transaction, once, with attempt= and submissions=.
attempt_submitted = Signal()

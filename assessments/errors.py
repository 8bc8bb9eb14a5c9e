"""Refusals the domain raises, each with a message fit to show the person who asked.

Views, commands, tasks and (later) the API map them to their own responses: a NotFound is a 404
wherever it surfaces, so an object a user may not see is indistinguishable from one that does not exist.
"""

from __future__ import annotations


class AssessmentError(Exception):
    """A refused action with a message fit to show the person who asked."""

    code = "refused"


class NotFound(AssessmentError):
    """No such object, or not one this user may see: callers answer 404 either way."""

    code = "not_found"


class DeadlinePassed(AssessmentError):
    code = "deadline_passed"


class AttemptClosed(AssessmentError):
    code = "attempt_closed"


class StaleRevision(AssessmentError):
    code = "stale_revision"

    def __init__(self, message: str, *, current_revision: int, current_body: str):
        super().__init__(message)
        self.current_revision = current_revision
        self.current_body = current_body


class ConsentRequired(AssessmentError):
    code = "consent_required"


class InvitationUnusable(AssessmentError):
    code = "invitation_unusable"


class InvalidInvitationToken(NotFound):
    """A tampered, truncated or replaced invitation token: refused alike, whatever was wrong."""

    code = "invalid_link"


class ScoringError(AssessmentError):
    code = "scoring_refused"


class ScorecardInvalid(ScoringError):
    """Field errors for a scorecard form: {field name: message}. Nothing was saved."""

    code = "scorecard_invalid"

    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors

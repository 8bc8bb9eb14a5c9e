"""Writes, one module per subdomain. Views, commands, tasks and the admin call these; nothing else writes
assessment rows. Named <entity>_<action>, keyword-only, typed (docs/architecture.md)."""

from ..errors import (
    AssessmentError,
    AttemptClosed,
    ConsentRequired,
    DeadlinePassed,
    InvitationUnusable,
    NotFound,
    ScorecardInvalid,
    ScoringError,
    StaleRevision,
)
from .accommodations import PRESETS as ACCOMMODATION_PRESETS
from .accommodations import accommodation_decide, accommodation_minutes, accommodation_request
from .attempts import (
    attempt_close_if_due,
    attempt_extend,
    attempt_open_check,
    attempt_start,
    attempt_submit,
    attempts_close_due,
    response_save,
)
from .content import SyncReport, content_sync, content_sync_bundle
from .integrity import IntegritySignal, integrity_event_record, integrity_signals_record
from .invitations import (
    candidate_create,
    invitation_create,
    invitation_email_send,
    invitation_issue,
    invitation_link_renew,
    invitations_withdraw,
)
from .privacy import PurgeReport, candidate_purge, result_text_scrub
from .results import submission_automated_score_record
from .scoring import (
    ScoreInput,
    assignment_check,
    assignment_create,
    scorecard_amend,
    scorecard_open,
    scorecard_save,
    scorecard_submit,
    track_manager_add,
    track_managers_set,
)

__all__ = [
    "ACCOMMODATION_PRESETS", "accommodation_decide", "accommodation_minutes", "accommodation_request",
    "AssessmentError", "AttemptClosed", "ConsentRequired", "DeadlinePassed", "IntegritySignal",
    "InvitationUnusable", "NotFound", "ScoreInput", "ScorecardInvalid", "ScoringError", "StaleRevision",
    "SyncReport", "assignment_check", "assignment_create", "attempt_close_if_due", "attempt_extend",
    "attempt_open_check", "attempt_start", "attempt_submit", "attempts_close_due", "candidate_create",
    "content_sync", "content_sync_bundle", "integrity_event_record", "integrity_signals_record",
    "invitation_create", "invitation_email_send", "invitation_link_renew", "invitation_issue",
    "invitations_withdraw", "PurgeReport", "candidate_purge", "response_save", "result_text_scrub",
    "scorecard_amend", "scorecard_open", "scorecard_save",
    "scorecard_submit", "submission_automated_score_record", "track_manager_add", "track_managers_set",
]

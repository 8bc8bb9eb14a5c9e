"""Reads, one module per area, and one read-model per page (`<page>_get`). Views, exports and the API call
these; they never build querysets of their own. Access rules live in assessments.access."""

from ..errors import InvalidInvitationToken, NotFound
from .content import (
    QuestionPage,
    question_get,
    question_page_get,
    question_versions,
    rubric_current_get,
    rubric_get_detail,
    track_get,
    track_list_current,
)
from .exam import (
    ExamItem,
    ExamLanding,
    ExamProgress,
    ExamQuestionPage,
    attempt_for_invitation,
    attempt_question_ids,
    exam_landing_get,
    exam_outline,
    exam_progress_get,
    exam_question,
    exam_question_get,
    exam_questions_by_slug,
    exam_response,
    exam_visible_file,
    invitation_from_token,
)
from .home import Home, home_get
from .invitations import accommodation_for_staff, invitation_list_recent, invitation_tracks
from .reports import (
    AttemptReport,
    Calibration,
    Summary,
    attempt_report,
    attempt_report_get,
    calibration,
    comparison,
    track_signal_distribution,
)
from .scoring import (
    Panel,
    ScoringForm,
    ScoringSheet,
    current_scorecards,
    interviewer_queue,
    own_scorecard,
    panel_get,
    scorecard_history,
    scorecards_visible_to,
    scoring_form_get,
    scoring_sheet_get,
)
from .similarity import LabSimilarity, SideBySide, known_side_by_side, pair_side_by_side, track_similarity

__all__ = [
    "LabSimilarity", "SideBySide", "known_side_by_side", "pair_side_by_side", "track_similarity",
    "accommodation_for_staff",
    "AttemptReport", "Calibration", "ExamItem", "ExamLanding", "ExamProgress", "ExamQuestionPage", "Home",
    "InvalidInvitationToken", "NotFound", "Panel", "QuestionPage", "ScoringForm", "ScoringSheet", "Summary",
    "attempt_for_invitation", "attempt_question_ids", "attempt_report", "attempt_report_get", "calibration",
    "comparison", "current_scorecards", "exam_landing_get", "exam_outline", "exam_progress_get", "exam_question",
    "exam_question_get", "exam_visible_file", "exam_questions_by_slug", "exam_response", "home_get",
    "interviewer_queue",
    "invitation_from_token", "invitation_list_recent", "invitation_tracks", "own_scorecard", "panel_get",
    "question_get",
    "question_page_get", "question_versions", "rubric_current_get", "rubric_get_detail", "scorecard_history",
    "scorecards_visible_to", "scoring_form_get", "scoring_sheet_get", "track_get", "track_list_current",
    "track_signal_distribution",
]

"""The domain's records, one module per subdomain; import them from here (`assessments.models`)."""

from .attempts import (
    Attempt,
    AttemptStatus,
    AutomatedScore,
    ImmutableRecordError,
    IntegrityEvent,
    IntegrityKind,
    Response,
    ResponseSnapshot,
    Submission,
    SubmitReason,
)
from .candidates import (
    INVITATION_SALT,
    Accommodation,
    AccommodationStatus,
    Candidate,
    Invitation,
    legacy_token_hash,
    token_hash,
)
from .content import (
    Competency,
    Question,
    QuestionFiles,
    QuestionKind,
    Rubric,
    RubricDescriptor,
    RubricDimension,
    RubricLevel,
    Section,
    SectionQuestion,
    Track,
    VersionedContent,
)
from .privacy import RetentionPolicy
from .scoring import Assignment, DimensionScore, Recommendation, Scorecard, ScorecardStatus, TrackManager
from .similarity import KnownSolution
from .summaries import AttemptSummary

__all__ = [
    "INVITATION_SALT", "Accommodation", "AccommodationStatus",
    "Assignment", "Attempt", "AttemptStatus", "AttemptSummary", "AutomatedScore", "Candidate", "Competency",
    "DimensionScore", "ImmutableRecordError", "IntegrityEvent", "IntegrityKind", "Invitation",
    "KnownSolution", "Question",
    "QuestionFiles", "QuestionKind", "Recommendation", "Response", "ResponseSnapshot", "RetentionPolicy", "Rubric",
    "RubricDescriptor", "RubricDimension", "RubricLevel", "Scorecard", "ScorecardStatus", "Section", "SectionQuestion",
    "Submission", "SubmitReason", "Track", "TrackManager", "VersionedContent", "legacy_token_hash", "token_hash",
]

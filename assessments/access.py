"""Who may see or do what: every rule in one place, used by pages, exports, the admin and the API alike.

Objects a user may not reach raise NotFound (answered 404 wherever it surfaces), so ids cannot be
probed: "not yours" and "does not exist" look the same. Roles are Django groups (roles.py);
candidates have no account, their invitation token is their only key (selectors.exam).
"""

from __future__ import annotations

from datetime import datetime

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import QuerySet
from django.utils import timezone

from . import roles
from .errors import NotFound
from .models import Assignment, Attempt, Invitation, Scorecard, ScorecardStatus, SectionQuestion, Track, TrackManager

User = AbstractBaseUser | AnonymousUser


def is_admin(user: User) -> bool:
    return bool(user.is_authenticated and (user.is_superuser or user.groups.filter(name=roles.ADMIN).exists()))


def can_see_guidance(user: User) -> bool:
    """Interviewer guidance and hidden test names: staff who score or manage, never candidates."""
    return user.has_perm("assessments.view_guidance")


# --- managers: reports, panels, comparisons --------------------------------------------------------


def managed_track_slugs(*, user: User) -> set[str]:
    """Tracks whose reports and panels this user may read: all for admins, their own for managers."""
    if is_admin(user):
        return set(Track.objects.values_list("slug", flat=True))
    if not user.has_perm("assessments.view_report"):
        return set()
    return set(TrackManager.objects.filter(user=user).values_list("track_slug", flat=True))


def can_manage_attempt(*, user: User, attempt: Attempt) -> bool:
    return attempt.track.slug in managed_track_slugs(user=user)


def attempt_for_manager(*, user: User, attempt_id: int) -> Attempt:
    """An attempt of a track this user manages; NotFound for any other id."""
    attempt = Attempt.objects.select_related("track", "invitation__candidate").filter(pk=attempt_id).first()
    if attempt is None or not can_manage_attempt(user=user, attempt=attempt):
        raise NotFound("No such attempt")
    return attempt


def track_for_manager(*, user: User, slug: str) -> Track:
    """The current version of a track this user manages; NotFound otherwise."""
    if slug not in managed_track_slugs(user=user):
        raise NotFound("No such track")
    track = Track.objects.filter(slug=slug, is_current=True).first()
    if track is None:
        raise NotFound("No such track")
    return track


# --- interviewers: what they were asked to score ----------------------------------------------------


def assigned_question_ids(*, attempt: Attempt, interviewer: User) -> set[int]:
    """The questions of this attempt the interviewer is assigned to score (whole attempt, section or question)."""
    if not interviewer.is_authenticated:
        return set()
    assignments = list(Assignment.objects.filter(attempt=attempt, interviewer=interviewer))
    ids: set[int] = {a.question_id for a in assignments if a.question_id}
    sections = {a.section_id for a in assignments if a.section_id}
    placements = SectionQuestion.objects.filter(section__track_id=attempt.track_id)
    if any(not a.question_id and not a.section_id for a in assignments):
        ids |= set(placements.values_list("question_id", flat=True))
    elif sections:
        ids |= set(placements.filter(section_id__in=sections).values_list("question_id", flat=True))
    return ids


def attempt_for_scorer(*, user: User, attempt_id: int) -> tuple[Attempt, set[int]]:
    """An attempt this interviewer is assigned to, with the question ids assigned; NotFound otherwise.

    NotFound, not "forbidden": the answer must not confirm that the id exists.
    """
    attempt = Attempt.objects.select_related("track", "invitation__candidate").filter(pk=attempt_id).first()
    if attempt is None:
        raise NotFound("No such attempt")
    assigned = assigned_question_ids(attempt=attempt, interviewer=user)
    if not assigned:
        raise NotFound("No such attempt")
    return attempt, assigned


def attempt_for_playback(*, user: User, attempt_id: int) -> tuple[Attempt, set[int]]:
    """Code playback: whoever may read the attempt's report (every question), or an interviewer assigned to it
    (the questions of their scoring sheet); NotFound for anyone else."""
    try:
        attempt = attempt_for_manager(user=user, attempt_id=attempt_id)
    except NotFound:
        if not user.has_perm("assessments.score_attempt"):
            raise
        return attempt_for_scorer(user=user, attempt_id=attempt_id)
    return attempt, set(SectionQuestion.objects.filter(section__track_id=attempt.track_id)
                        .values_list("question_id", flat=True))


# --- what a reader sees of a candidate and of other interviewers ------------------------------------


def candidate_label(*, attempt: Attempt, user: User, managed: set[str] | None = None) -> str:
    """A candidate code in anonymised review (tracks ask for it), the name for managers and admins.

    `managed` (managed_track_slugs of this user) saves its queries when labelling many attempts.
    """
    candidate = attempt.invitation.candidate
    if managed is None:
        managed = managed_track_slugs(user=user)
    if attempt.track.anonymised_review and attempt.track.slug not in managed:
        return candidate.code
    return f"{candidate.full_name} ({candidate.code})"


def scorecards_visible_to(*, user: User, attempt: Attempt, cards: list[Scorecard]) -> list[Scorecard]:
    """Blind scoring: of an attempt's current scorecards, what this user may read.

    Managers of the track and admins see every submitted scorecard; an interviewer sees their own, and
    the others' submitted ones only once their own is submitted. Drafts are never shown to anyone else.
    """
    submitted = ScorecardStatus.SUBMITTED
    cards = [c for c in cards if c.status == submitted or c.interviewer_id == user.pk]
    if can_manage_attempt(user=user, attempt=attempt):
        return [c for c in cards if c.status == submitted]
    own_submitted = any(c.interviewer_id == user.pk and c.status == submitted for c in cards)
    return [c for c in cards if c.interviewer_id == user.pk or own_submitted]


# --- invitations: the candidate's side --------------------------------------------------------------


def invitation_refusal(*, invitation: Invitation, now: datetime | None = None) -> str | None:
    """Why a new attempt cannot start from this invitation right now (a sentence for the candidate), or None."""
    now = now or timezone.now()
    if invitation.revoked_at:
        return "This invitation has been withdrawn."
    if now >= invitation.expires_at:
        return "This invitation has expired."
    if invitation.window_opens_at and now < invitation.window_opens_at:
        return "This exam cannot be started yet."
    if invitation.window_closes_at and now > invitation.window_closes_at:
        return "The window for starting this exam has closed."
    return None


# --- invitations: staff ------------------------------------------------------------------------------


def invitation_track_slugs(*, user: User) -> set[str]:
    """Tracks this user may invite to and whose invitations they may list: the tracks they manage (all for
    admins). A manager registered for no track sees and issues none."""
    if not user.has_perm("assessments.view_invitation"):
        return set()
    return managed_track_slugs(user=user)


def invitations_visible_to(*, user: User) -> QuerySet[Invitation]:
    """Invitations this user may list (never their links: only a hash of each is kept)."""
    slugs = invitation_track_slugs(user=user)
    return Invitation.objects.filter(track__slug__in=slugs) if slugs else Invitation.objects.none()


def invitation_for_staff(*, user: User, invitation_id: int) -> Invitation:
    """An invitation of a track this user manages; NotFound for any other id."""
    invitation = invitations_visible_to(user=user).select_related("candidate", "track").filter(pk=invitation_id).first()
    if invitation is None:
        raise NotFound("No such invitation")
    return invitation

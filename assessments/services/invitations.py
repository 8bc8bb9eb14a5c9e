"""Candidates and invitations: who is invited to which track, and the link they receive."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone

from ..errors import AssessmentError
from ..models import Attempt, Candidate, Invitation, Track, token_hash

_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O/1/I: codes are read aloud


def candidate_create(*, full_name: str, email: str, created_by: AbstractBaseUser | None = None,
                     notes: str = "") -> Candidate:
    for _ in range(10):
        code = "C-" + "".join(secrets.choice(_CODE_ALPHABET) for _ in range(6))
        if not Candidate.objects.filter(code=code).exists():
            break
    candidate = Candidate(full_name=full_name.strip(), email=email.strip().lower(), code=code, notes=notes,
                          created_by=created_by)
    candidate.full_clean()
    candidate.save()
    return candidate


def invitation_create(*, candidate: Candidate, track: Track, created_by: AbstractBaseUser | None = None,
                      expires_at: datetime | None = None, window_opens_at: datetime | None = None,
                      window_closes_at: datetime | None = None, extra_time_minutes: int = 0) -> Invitation:
    if not track.is_current:
        raise AssessmentError(
            f"Track '{track.slug}' v{track.version} has been replaced; invite to the current version."
        )
    token = secrets.token_urlsafe(32)
    invitation = Invitation(
        candidate=candidate, track=track, created_by=created_by, token_hash=token_hash(token),
        expires_at=expires_at or timezone.now() + timedelta(days=settings.INVITATION_DEFAULT_DAYS),
        window_opens_at=window_opens_at, window_closes_at=window_closes_at, extra_time_minutes=extra_time_minutes,
    )
    invitation.full_clean()
    invitation.save()
    invitation.token = token
    return invitation


def invitation_link_renew(*, invitation: Invitation) -> Invitation:
    """A new link for an invitation (the old one stops working): only the hash is kept, so a lost link cannot be
    shown again. Refused once the attempt has started, so a candidate mid-exam never loses their page."""
    if invitation.revoked_at:
        raise AssessmentError("This invitation has been withdrawn.")
    if Attempt.objects.filter(invitation=invitation).exists():
        raise AssessmentError("The candidate has started: their link stays as it is.")
    token = secrets.token_urlsafe(32)
    invitation.token_hash = token_hash(token)
    invitation.save(update_fields=["token_hash"])  # a save, so the audit trail records the new link (not its hash)
    invitation.token = token
    return invitation



@transaction.atomic
def invitation_issue(*, full_name: str, email: str, track: Track, created_by: AbstractBaseUser | None = None,
                     expires_in_days: int | None = None, window_opens_at: datetime | None = None,
                     window_closes_at: datetime | None = None, extra_time_minutes: int = 0) -> Invitation:
    """A new candidate and their invitation, together or not at all (the staff form's one write)."""
    candidate = candidate_create(full_name=full_name, email=email, created_by=created_by)
    expires_at = timezone.now() + timedelta(days=expires_in_days) if expires_in_days else None
    return invitation_create(candidate=candidate, track=track, created_by=created_by, expires_at=expires_at,
                             window_opens_at=window_opens_at, window_closes_at=window_closes_at,
                             extra_time_minutes=extra_time_minutes)


def invitation_email_send(*, invitation: Invitation, link: str) -> None:
    """Email the candidate their link (the caller builds it: only the web layer knows the site's address)."""
    context = {"invitation": invitation, "candidate": invitation.candidate, "track": invitation.track, "link": link}
    send_mail(subject=f"Your invitation: {invitation.track.title}",
              message=render_to_string("assessments/email/invitation.txt", context),
              from_email=None, recipient_list=[invitation.candidate.email])


def invitations_withdraw(*, invitations: list[Invitation], now: datetime | None = None) -> int:
    """Withdraw links: they stop working at once; an attempt already started stays as it is."""
    # One save per invitation, not a bulk update: each withdrawal is a change the audit trail records.
    count = 0
    for invitation in Invitation.objects.filter(pk__in=[i.pk for i in invitations], revoked_at__isnull=True):
        invitation.revoked_at = now or timezone.now()
        invitation.save(update_fields=["revoked_at"])
        count += 1
    return count

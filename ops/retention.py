"""Retention: erase candidates' personal data once their track's retention period has run out.

A candidate is due when every invitation of theirs has ended (the attempt was submitted, or the invitation expired
or was withdrawn unused) and the retention period of its track has passed since: `RetentionPolicy` per track slug
(Django admin), else settings.RETENTION_DEFAULT_DAYS; 0 keeps the data forever, and one such track keeps the
candidate. A candidate never invited is kept the default period from their creation. The erasure itself is
ops.privacy's, the same as on request; each one is one transaction and one audit event.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Prefetch
from django.utils import timezone

from assessments.models import AttemptStatus, Candidate, Invitation, RetentionPolicy

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Retention:
    """When a candidate's personal data is due for erasure, and why (or why not yet)."""

    due_at: datetime | None   # None: not while things stand (kept forever, an exam or a link still open)
    why: str
    track_slug: str = ""

    def is_due(self, now: datetime) -> bool:
        return self.due_at is not None and self.due_at <= now


@dataclass(frozen=True)
class DueCandidate:
    candidate_id: int
    code: str
    tracks: tuple[str, ...]
    why: str
    due_at: datetime
    track_slug: str = ""

    def line(self) -> str:
        return f"{self.code}  {','.join(self.tracks) or '-'}  {self.why}"


@dataclass
class RetentionReport:
    now: datetime
    dry_run: bool
    due: list[DueCandidate]
    erased: list[str] = field(default_factory=list)          # codes
    skipped: list[str] = field(default_factory=list)         # no longer due when their turn came
    failed: dict[str, str] = field(default_factory=dict)     # code -> why not

    def lines(self) -> list[str]:
        out = [item.line() for item in self.due]
        if self.dry_run:
            out.append(f"{len(self.due)} candidate(s) would be erased (dry run: nothing changed)")
        else:
            out += [f"{code}  skipped: no longer due" for code in self.skipped]
            out += [f"{code}  NOT erased: {why}" for code, why in self.failed.items()]
            out.append(f"{len(self.erased)} candidate(s) erased"
                       + (f", {len(self.skipped)} skipped" if self.skipped else "")
                       + (f", {len(self.failed)} failed" if self.failed else ""))
        return out


def retention_policies() -> dict[str, int]:
    """Days per track slug, from the Django admin's policies."""
    return dict(RetentionPolicy.objects.values_list("track_slug", "purge_after_days"))


def _days_text(days: int) -> str:
    return f"kept {days} day{'s' if days != 1 else ''}"


def candidate_retention(*, candidate: Candidate, policies: dict[str, int] | None = None,
                        now: datetime | None = None) -> Retention:
    """The candidate's retention as things stand (their invitations, with track and attempt, may be prefetched)."""
    now = now or timezone.now()
    policies = retention_policies() if policies is None else policies
    default = settings.RETENTION_DEFAULT_DAYS
    if candidate.erased_at is not None:
        return Retention(None, f"erased on {candidate.erased_at:%Y-%m-%d}")
    invitations = list(candidate.invitations.all())
    if not invitations:
        if default == 0:
            return Retention(None, "kept forever (site default)")
        created = f"{candidate.created_at:%Y-%m-%d}"
        return Retention(candidate.created_at + timedelta(days=default),
                         f"never invited; created {created}, {_days_text(default)} (site default)")
    ends: list[tuple[datetime, str, str]] = []
    for invitation in invitations:
        slug = invitation.track.slug
        days = policies.get(slug, default)
        source = "track policy" if slug in policies else "site default"
        if days == 0:
            return Retention(None, f"kept forever ({source} of {slug})", slug)
        attempt = getattr(invitation, "attempt", None)
        if attempt is not None:
            if attempt.status != AttemptStatus.SUBMITTED:
                return Retention(None, f"exam in progress on {slug}", slug)
            ended, what = attempt.submitted_at, "attempt submitted"
        else:
            ended = min(t for t in (invitation.expires_at, invitation.revoked_at) if t is not None)
            if ended > now:
                return Retention(None, f"invitation to {slug} open until {ended:%Y-%m-%d}", slug)
            what = "invitation expired unused" if ended == invitation.expires_at else "invitation withdrawn unused"
        ends.append((ended + timedelta(days=days), slug, f"{what} on {slug} {ended:%Y-%m-%d}, {_days_text(days)} "
                                                         f"({source})"))
    due_at, slug, why = max(ends)
    return Retention(due_at, why, slug)


def _candidates():
    return Candidate.objects.filter(erased_at__isnull=True).prefetch_related(
        Prefetch("invitations", queryset=Invitation.objects.select_related("track", "attempt")))


def retention_due(*, now: datetime | None = None, candidate_ids: list[int] | None = None) -> list[DueCandidate]:
    """The candidates whose personal data is due for erasure now, earliest due first."""
    now = now or timezone.now()
    policies = retention_policies()
    candidates = _candidates()
    if candidate_ids is not None:
        candidates = candidates.filter(pk__in=candidate_ids)
    due = []
    for candidate in candidates.iterator(chunk_size=500):
        retention = candidate_retention(candidate=candidate, policies=policies, now=now)
        if retention.is_due(now):
            tracks = tuple(sorted({i.track.slug for i in candidate.invitations.all()}))
            due.append(DueCandidate(candidate_id=candidate.pk, code=candidate.code, tracks=tracks, why=retention.why,
                                    due_at=retention.due_at, track_slug=retention.track_slug))
    return sorted(due, key=lambda d: (d.due_at, d.code))


def retention_run(*, dry_run: bool = False, now: datetime | None = None) -> RetentionReport:
    """Erase every candidate who is due (a dry run reports the same candidates and changes nothing).

    Safe to run twice and concurrently: each candidate is locked and checked again in its own transaction, so one
    that stopped being due (a new invitation) or was erased meanwhile is left alone; one failure does not stop the
    others, and the next run tries it again.
    """
    from .privacy import personal_data_erase

    now = now or timezone.now()
    report = RetentionReport(now=now, dry_run=dry_run, due=retention_due(now=now))
    if dry_run:
        return report
    for item in report.due:
        try:
            with transaction.atomic():
                Candidate.objects.select_for_update().filter(pk=item.candidate_id).first()
                if not retention_due(now=now, candidate_ids=[item.candidate_id]):
                    report.skipped.append(item.code)
                    continue
                personal_data_erase(candidate=Candidate.objects.get(pk=item.candidate_id),
                                    why=f"retention: {item.why}", track_slug=item.track_slug)
        except Exception as exc:  # noqa: BLE001 - one candidate's failure must not keep the others' data
            log.exception("retention: could not erase %s", item.code)
            report.failed[item.code] = str(exc) or type(exc).__name__
        else:
            report.erased.append(item.code)
    if report.erased or report.failed:
        log.info("retention: erased %d candidate(s), %d failed", len(report.erased), len(report.failed))
    return report

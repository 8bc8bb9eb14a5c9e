"""Reads of invitations for staff pages."""

from __future__ import annotations

from django.db.models import QuerySet

from .. import access
from ..access import User
from ..models import Invitation, Track
from .content import track_list_current


def invitation_list_recent(*, user: User, limit: int = 200) -> QuerySet[Invitation]:
    """The most recent invitations this user may see, newest first."""
    return (access.invitations_visible_to(user=user).select_related("candidate", "track", "attempt")
            .order_by("-created_at")[:limit])


def invitation_tracks(*, user: User) -> QuerySet[Track]:
    """The current tracks this user may invite candidates to (the tracks they manage; none for a manager of none)."""
    return track_list_current().filter(slug__in=access.invitation_track_slugs(user=user))

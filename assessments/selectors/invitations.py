"""Reads of invitations for staff pages."""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet

from .. import access
from ..access import User
from ..models import Accommodation, Invitation, Track
from .content import track_list_current


def invitation_list_recent(*, user: User, limit: int = 200) -> QuerySet[Invitation]:
    """The most recent invitations this user may see, newest first."""
    return (access.invitations_visible_to(user=user).select_related("candidate", "track", "attempt")
            .prefetch_related(Prefetch("accommodations", queryset=Accommodation.objects.order_by("-created_at")))
            .order_by("-created_at")[:limit])


def invitation_tracks(*, user: User) -> QuerySet[Track]:
    """The current tracks this user may invite candidates to (the tracks they manage; none for a manager of none)."""
    return track_list_current().filter(slug__in=access.invitation_track_slugs(user=user))


def accommodation_for_staff(*, user: User, accommodation_id: int) -> Accommodation:
    """A request on an invitation of a track this user manages; NotFound for any other id."""
    from ..errors import NotFound

    found = (Accommodation.objects.select_related("invitation__candidate", "invitation__track")
             .filter(pk=accommodation_id, invitation__in=access.invitations_visible_to(user=user)).first())
    if found is None:
        raise NotFound("No such request")
    return found

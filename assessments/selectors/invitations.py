"""Reads of invitations for staff pages."""

from __future__ import annotations

from django.db.models import QuerySet

from .. import access
from ..access import User
from ..models import Invitation


def invitation_list_recent(*, user: User, limit: int = 200) -> QuerySet[Invitation]:
    """The most recent invitations this user may see, newest first."""
    return (access.invitations_visible_to(user=user).select_related("candidate", "track", "attempt")
            .order_by("-created_at")[:limit])

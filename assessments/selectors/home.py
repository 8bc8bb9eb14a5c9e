"""The staff home page."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import QuerySet

from .. import access
from ..access import User
from ..models import Track
from .content import track_list_current


@dataclass(frozen=True)
class Home:
    tracks: QuerySet[Track]
    roles: list[str]
    managed: set[str]   # tracks whose reports this user may read


def home_get(*, user: User) -> Home:
    return Home(tracks=track_list_current(), roles=sorted(g.name for g in user.groups.all()),
                managed=access.managed_track_slugs(user=user))

"""What an identity provider's groups make a person here: roles (Django groups) and the tracks they manage.

The provider is the source of truth for people who sign in through it: on every sign-in their roles and managed
tracks are set to what their groups say now, so someone removed from a group loses that access at their next
sign-in (and their current session ends within DJANGO_SESSION_SECONDS). OpenID Connect groups come from a claim, SAML
ones from an attribute; the same mapping (OIDC_GROUP_ROLES, OIDC_TRACK_GROUP_PREFIX) applies to both.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, Group
from django.db import transaction

from assessments import roles
from assessments.services import track_managers_set


@dataclass(frozen=True)
class Grants:
    roles: frozenset[str]
    tracks: frozenset[str]

    @property
    def any(self) -> bool:
        return bool(self.roles)


def groups_from_claims(claims: Mapping) -> list[str]:
    """The groups claim (settings.OIDC_GROUPS_CLAIM) from userinfo or the ID token; a string counts as one."""
    name = settings.OIDC_GROUPS_CLAIM
    for source in (claims.get("userinfo") or {}, claims.get("id_token") or {}, claims):
        value = source.get(name) if isinstance(source, Mapping) else None
        if isinstance(value, str):
            return [value]
        if isinstance(value, list):
            return [str(v) for v in value]
    return []


def groups_from_saml_attributes(attributes: Mapping) -> list[str]:
    """The groups attribute (settings.SAML_GROUPS_ATTRIBUTE) of a SAML sign-in, as allauth keeps its attributes in
    extra_data: {attribute name: [values]} (python3-saml); a lone string counts as one, empty values none."""
    value = attributes.get(settings.SAML_GROUPS_ATTRIBUTE)
    values = [value] if isinstance(value, str) else value if isinstance(value, list | tuple) else []
    return [v for v in values if isinstance(v, str) and v]


def grants_for(groups: Iterable[str]) -> Grants:
    """Roles from OIDC_GROUP_ROLES ({group: role}); tracks from groups named OIDC_TRACK_GROUP_PREFIX + slug."""
    role_map: Mapping[str, str] = settings.OIDC_GROUP_ROLES
    prefix = settings.OIDC_TRACK_GROUP_PREFIX
    groups = list(groups)
    found = {role_map[g] for g in groups if g in role_map}
    tracks = {g[len(prefix):] for g in groups if prefix and g.startswith(prefix) and len(g) > len(prefix)}
    return Grants(roles=frozenset(r for r in found if r in roles.ALL_ROLES), tracks=frozenset(tracks))


@transaction.atomic
def identity_sync(*, user: AbstractBaseUser, grants: Grants) -> None:
    """Make the user's roles, admin flag and managed tracks exactly what the provider grants now."""
    ours = Group.objects.filter(name__in=roles.ALL_ROLES)
    user.groups.remove(*[g for g in ours if g.name not in grants.roles])
    user.groups.add(*[g for g in ours if g.name in grants.roles])
    is_admin = roles.ADMIN in grants.roles
    if user.is_staff != is_admin or user.is_superuser:
        user.is_staff, user.is_superuser = is_admin, False  # never a superuser through the provider
        user.save(update_fields=["is_staff", "is_superuser"])
    track_managers_set(user=user, track_slugs=set(grants.tracks))

"""Writes of the API room: keys and idempotent replies. Invitations and everything else go through the
assessments services, as the pages do."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser, Group
from django.db import transaction
from django.utils import timezone

from assessments import roles
from assessments.errors import AssessmentError
from assessments.models import Track
from assessments.services import track_managers_set

from .models import SCOPES, APIKey

KEY_PREFIX = "itk_"
LAST_USED_EVERY = timedelta(minutes=1)  # at most one write per key per minute for "last used"


def _hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


@transaction.atomic
def api_key_create(*, name: str, scopes: list[str], track_slugs: list[str],
                   created_by: AbstractBaseUser | None) -> APIKey:
    """A new key and its service account; `key.raw` holds the key, shown once."""
    name = (name or "").strip()
    if not name:
        raise AssessmentError("Name the key after what uses it (e.g. Greenhouse).")
    unknown = sorted(set(scopes) - set(SCOPES))
    if unknown or not scopes:
        raise AssessmentError(f"Choose at least one scope from {', '.join(SCOPES)}" +
                              (f" (unknown: {', '.join(unknown)})" if unknown else "") + ".")
    known_tracks = set(Track.objects.filter(slug__in=track_slugs).values_list("slug", flat=True))
    if not track_slugs or set(track_slugs) - known_tracks:
        raise AssessmentError("Choose the tracks the key may reach (at least one existing track).")
    prefix = secrets.token_hex(4)
    while APIKey.objects.filter(prefix=prefix).exists():
        prefix = secrets.token_hex(4)
    raw = f"{KEY_PREFIX}{prefix}_{secrets.token_urlsafe(32)}"
    user = get_user_model().objects.create(username=f"api-key-{prefix}", first_name="API key", last_name=name[:150],
                                           is_active=True)
    user.set_unusable_password()  # a service account: no password, no single sign-on, no page
    user.save(update_fields=["password"])
    roles.roles_ensure()
    user.groups.add(Group.objects.get(name=roles.HIRING_MANAGER))
    track_managers_set(user=user, track_slugs=set(track_slugs))
    key = APIKey.objects.create(name=name, prefix=prefix, key_hash=_hash(raw), scopes=sorted(set(scopes)), user=user,
                                created_by=created_by)
    key.raw = raw
    return key


def api_key_revoke(*, key: APIKey) -> APIKey:
    """Revoked keys authenticate nothing from the next request on; the row stays for the audit trail."""
    if key.revoked_at is None:
        key.revoked_at = timezone.now()
        key.save(update_fields=["revoked_at"])
        key.user.is_active = False
        key.user.save(update_fields=["is_active"])
    return key


def api_key_authenticate(*, raw: str) -> APIKey | None:
    """The active key for this raw value, or None; records when it was last used (at most once a minute)."""
    if not raw.startswith(KEY_PREFIX) or raw.count("_") < 2:
        return None
    prefix = raw[len(KEY_PREFIX):].split("_", 1)[0]
    key = APIKey.objects.select_related("user").filter(prefix=prefix, revoked_at__isnull=True).first()
    if key is None or not hmac.compare_digest(key.key_hash, _hash(raw)):
        return None
    now = timezone.now()
    if key.last_used_at is None or now - key.last_used_at > LAST_USED_EVERY:
        APIKey.objects.filter(pk=key.pk).update(last_used_at=now)  # not a change worth an audit entry
    return key

"""django-allauth adapters: no self-service sign-up; single sign-on provisions staff from their groups."""

from __future__ import annotations

import logging

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core.exceptions import ImmediateHttpResponse
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from django.shortcuts import render

from .identity import grants_for, groups_from_claims, identity_sync

log = logging.getLogger(__name__)


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request) -> bool:
        return False  # staff accounts come from an admin or from the identity provider


class SocialAccountAdapter(DefaultSocialAccountAdapter):
    """Every sign-in through the provider sets roles and tracks from its groups; no mapped group, no entry."""

    def is_open_for_signup(self, request, sociallogin) -> bool:
        return True  # only people the provider vouches for, and only with a mapped group (pre_social_login)

    def pre_social_login(self, request, sociallogin) -> None:
        grants = grants_for(groups_from_claims(sociallogin.account.extra_data or {}))
        if sociallogin.is_existing:
            identity_sync(user=sociallogin.user, grants=grants)  # a removal takes effect now, even if refused below
        if not grants.any:
            log.warning("sign-in refused: %s has no group mapped to a role", sociallogin.account.uid)
            raise ImmediateHttpResponse(render(request, "accounts/no_role.html", status=403))

    def populate_user(self, request, sociallogin, data):
        user = super().populate_user(request, sociallogin, data)
        claims = sociallogin.account.extra_data or {}
        info = {**(claims.get("id_token") or {}), **(claims.get("userinfo") or {})}
        user.username = (info.get("preferred_username") or info.get("email") or sociallogin.account.uid)[:150]
        return user

    def save_user(self, request, sociallogin, form=None):
        user = super().save_user(request, sociallogin, form)
        user.set_unusable_password()  # the provider is the only way in
        user.save(update_fields=["password"])
        identity_sync(user=user, grants=grants_for(groups_from_claims(sociallogin.account.extra_data or {})))
        return user

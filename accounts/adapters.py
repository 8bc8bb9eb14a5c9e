"""django-allauth adapters: no self-service sign-up; single sign-on provisions staff from their groups."""

from __future__ import annotations

import logging

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core.exceptions import ImmediateHttpResponse
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from allauth.socialaccount.providers.saml.provider import SAMLProvider
from django.shortcuts import render

from .identity import grants_for, groups_from_claims, groups_from_saml_attributes, identity_sync

log = logging.getLogger(__name__)


def _groups(sociallogin) -> list[str]:
    """The person's groups: a SAML attribute or an OpenID Connect claim, by the provider they came through."""
    extra_data = sociallogin.account.extra_data or {}
    if isinstance(sociallogin.provider, SAMLProvider):
        return groups_from_saml_attributes(extra_data)
    return groups_from_claims(extra_data)


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request) -> bool:
        return False  # staff accounts come from an admin or from the identity provider


class SocialAccountAdapter(DefaultSocialAccountAdapter):
    """Every sign-in through the provider sets roles and tracks from its groups; no mapped group, no entry."""

    def is_open_for_signup(self, request, sociallogin) -> bool:
        return True  # only people the provider vouches for, and only with a mapped group (pre_social_login)

    def pre_social_login(self, request, sociallogin) -> None:
        grants = grants_for(_groups(sociallogin))
        if sociallogin.is_existing:
            identity_sync(user=sociallogin.user, grants=grants)  # a removal takes effect now, even if refused below
        if not grants.any:
            log.warning("sign-in refused: %s has no group mapped to a role", sociallogin.account.uid)
            raise ImmediateHttpResponse(render(request, "accounts/no_role.html", status=403))

    def populate_user(self, request, sociallogin, data):
        user = super().populate_user(request, sociallogin, data)
        claims = sociallogin.account.extra_data or {}
        info = {} if isinstance(sociallogin.provider, SAMLProvider) else {  # SAML: `data` is the mapped attributes
            **(claims.get("id_token") or {}), **(claims.get("userinfo") or {})}
        user.username = (info.get("preferred_username") or data.get("username") or info.get("email")
                         or data.get("email") or sociallogin.account.uid)[:150]
        return user

    def save_user(self, request, sociallogin, form=None):
        user = super().save_user(request, sociallogin, form)
        user.set_unusable_password()  # the provider is the only way in
        user.save(update_fields=["password"])
        identity_sync(user=user, grants=grants_for(_groups(sociallogin)))
        return user

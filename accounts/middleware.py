"""Sites that keep local passwords can require a second factor: ACCOUNTS_REQUIRE_TOTP sends a password user
without an authenticator app to set one up before anything else (single sign-on users are the provider's
business)."""

from __future__ import annotations

from django.conf import settings
from django.shortcuts import redirect

_ALLOWED_PREFIXES = ("/accounts/", "/logout/", "/static/", "/healthz")


class RequireTotpMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if (settings.ACCOUNTS_REQUIRE_TOTP and user is not None and user.is_authenticated
                and not request.path.startswith(_ALLOWED_PREFIXES) and _needs_totp(user)):
            return redirect("mfa_activate_totp")
        return self.get_response(request)


def _needs_totp(user) -> bool:
    from allauth.mfa.models import Authenticator
    from allauth.socialaccount.models import SocialAccount

    if SocialAccount.objects.filter(user=user).exists():
        return False
    return not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()

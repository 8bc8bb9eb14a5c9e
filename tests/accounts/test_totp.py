"""Local passwords can require a second factor (ACCOUNTS_REQUIRE_TOTP): a password user sets up an authenticator
app before anything else, and signs in with its code from then on."""

from __future__ import annotations

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import (
    SECRET_SESSION_KEY,
    format_hotp_value,
    hotp_value,
    yield_hotp_counters_from_time,
)
from django.core.cache import cache
from django.urls import reverse

from assessments import roles
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _code(secret: str) -> str:
    return format_hotp_value(hotp_value(secret, next(iter(yield_hotp_counters_from_time()))))


def test_required_totp_is_set_up_first_and_then_asked_at_every_sign_in(client, settings):
    roles.roles_ensure()
    settings.ACCOUNTS_REQUIRE_TOTP = True
    UserFactory(username="pat", role=roles.INTERVIEWER)
    resp = client.post(reverse("login"), {"login": "pat", "password": "pw-for-tests-only"})
    assert resp.status_code == 302
    home = client.get(reverse("home"))
    assert home.status_code == 302 and home["Location"] == reverse("mfa_activate_totp")
    assert client.get(reverse("scoring-queue"))["Location"] == reverse("mfa_activate_totp")
    # allauth asks for the password again before a security change
    assert client.get(reverse("mfa_activate_totp"))["Location"].startswith(reverse("account_reauthenticate"))
    assert client.post(reverse("account_reauthenticate"), {"password": "pw-for-tests-only"}).status_code == 302
    assert client.get(reverse("mfa_activate_totp")).status_code == 200
    secret = client.session[SECRET_SESSION_KEY]
    assert client.post(reverse("mfa_activate_totp"), {"code": _code(secret)}).status_code == 302
    assert Authenticator.objects.filter(user__username="pat", type=Authenticator.Type.TOTP).exists()
    assert client.get(reverse("home")).status_code == 200

    client.post(reverse("logout"))
    cache.clear()  # a code is accepted once; the next sign-in reuses this time window's code
    resp = client.post(reverse("login"), {"login": "pat", "password": "pw-for-tests-only"})
    assert resp.status_code == 302 and resp["Location"] == reverse("mfa_authenticate")
    assert client.get(reverse("home")).status_code == 302  # not signed in until the code
    assert client.post(reverse("mfa_authenticate"), {"code": "000000"}).status_code == 200
    assert client.post(reverse("mfa_authenticate"), {"code": _code(secret)}).status_code == 302
    assert client.get(reverse("home")).status_code == 200


def test_without_the_setting_a_password_is_enough(client):
    roles.roles_ensure()
    UserFactory(username="pam", role=roles.INTERVIEWER)
    client.post(reverse("login"), {"login": "pam", "password": "pw-for-tests-only"})
    assert client.get(reverse("home")).status_code == 200

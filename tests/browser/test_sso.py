"""Single sign-on through a real OpenID Connect provider (oidc-provider under node, on loopback), in Chromium:
the mapped role and tracks on arrival; a group removed at the provider is access lost at the next sign-in; a person
with no mapped group is turned away."""

from __future__ import annotations

import pytest

from assessments import roles
from assessments.models import Track, TrackManager
from tests.idp.provider import OidcProvider

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

TRACK = "advanced-ml-speech"
ALICE = {"email": "alice@corp.example", "email_verified": True, "name": "Alice Able", "given_name": "Alice",
         "family_name": "Able", "preferred_username": "alice", "password": "alice-pw",
         "groups": ["interview-track:managers", f"interview-track:manages:{TRACK}", "unrelated"]}
BOB = {"email": "bob@corp.example", "email_verified": True, "name": "Bob Nobody", "preferred_username": "bob",
       "password": "bob-pw", "groups": ["everyone"]}


@pytest.fixture
def idp(app_server, settings):
    provider = OidcProvider({"alice": ALICE, "bob": BOB}, require_pkce=True)
    provider.add_client("interview-track", "s3cret", [f"{app_server.url}/accounts/oidc/corp/login/callback/"])
    with provider:
        app = {"provider_id": "corp", "name": "Corp SSO", "client_id": "interview-track", "secret": "s3cret",
               "settings": {"server_url": provider.issuer, "token_auth_method": "client_secret_basic"}}
        settings.SOCIALACCOUNT_PROVIDERS = {"openid_connect": {"OAUTH_PKCE_ENABLED": True,
                                                               "SCOPE": settings.OIDC_SCOPES, "APPS": [app]}}
        yield provider


def _sign_in(page, app_server, idp, username: str, password: str) -> None:
    page.goto(f"{app_server.url}/login/")
    page.get_by_role("button", name="Sign in with Corp SSO").click()
    page.wait_for_url(lambda url: not url.startswith(f"{app_server.url}/login/"))
    if page.url.startswith(idp.issuer):  # the provider's own form (no session there yet)
        page.locator("input[name=login]").fill(username)
        page.locator("input[name=password]").fill(password)
        page.get_by_role("button", name="Sign in", exact=True).click()
    page.wait_for_url(lambda url: url.startswith(app_server.url))
    page.wait_for_load_state("networkidle")


def test_sign_in_maps_groups_and_a_removed_group_loses_access(browser_page, app_server, idp, synced_content,
                                                              artifacts_dir):
    from django.contrib.auth import get_user_model

    roles.roles_ensure()
    assert Track.objects.filter(slug=TRACK, is_current=True).exists()
    page = browser_page
    _sign_in(page, app_server, idp, "alice", "alice-pw")
    page.get_by_role("heading", name="Tracks").wait_for()
    page.screenshot(path=str(artifacts_dir / "sso-home.png"), full_page=True)
    alice = get_user_model().objects.get(username="alice")
    assert set(alice.groups.values_list("name", flat=True)) == {roles.HIRING_MANAGER}
    assert list(TrackManager.objects.filter(user=alice).values_list("track_slug", flat=True)) == [TRACK]
    assert not alice.has_usable_password() and not alice.is_staff
    assert page.goto(f"{app_server.url}/reports/tracks/{TRACK}/").status == 200
    assert page.goto(f"{app_server.url}/admin/").url.endswith("/admin/login/?next=/admin/")

    # The provider's admin takes her out of the managers group: at her next sign-in she is only an interviewer.
    idp.set_users({"alice": {**ALICE, "groups": ["interview-track:interviewers"]}, "bob": BOB})
    page.goto(f"{app_server.url}/")
    page.get_by_role("button", name="Log out").click()
    _sign_in(page, app_server, idp, "alice", "alice-pw")
    page.get_by_role("heading", name="Tracks").wait_for()
    alice.refresh_from_db()
    assert set(alice.groups.values_list("name", flat=True)) == {roles.INTERVIEWER}
    assert not TrackManager.objects.filter(user=alice).exists()
    assert page.goto(f"{app_server.url}/reports/tracks/{TRACK}/").status == 404


def test_no_mapped_group_no_entry(browser_page, app_server, idp, synced_content):
    from django.contrib.auth import get_user_model

    roles.roles_ensure()
    page = browser_page
    _sign_in(page, app_server, idp, "bob", "bob-pw")
    page.get_by_test_id("no-role").wait_for()
    assert "No access to Interview Track" in page.content()
    bob = get_user_model().objects.filter(username="bob").first()
    assert bob is None or not bob.groups.exists()
    assert page.goto(f"{app_server.url}/scoring/").url.startswith(f"{app_server.url}/login/")

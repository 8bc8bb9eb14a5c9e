"""SAML 2.0 single sign-on through a real IdP (SimpleSAMLphp under PHP's built-in server, on loopback), in Chromium:
the mapped role and tracks on arrival; a group removed at the IdP is access lost at the next sign-in; a person with
no mapped group is turned away. The app's SAML settings are built by accounts.saml from SAML_* variables, as in
production: once from the IdP's metadata URL, once from its entity id, SSO URL and certificate."""

from __future__ import annotations

import pytest
from django.core.cache import cache

from accounts.saml import saml_apps
from assessments import roles
from assessments.models import Track, TrackManager
from tests.samlidp.idp import SamlIdp

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

TRACK = "advanced-ml-speech"
SLUG = "corp"
ALICE = {"password": "alice-pw", "uid": "alice", "mail": "alice@corp.example", "displayName": "Alice Able",
         "givenName": "Alice", "sn": "Able",
         "groups": ["interview-track:managers", f"interview-track:manages:{TRACK}", "unrelated"]}
BOB = {"password": "bob-pw", "uid": "bob", "mail": "bob@corp.example", "displayName": "Bob Nobody",
       "groups": ["everyone"]}


def _idp_fixture(app_server, settings, *, from_metadata: bool):
    idp = SamlIdp({"alice": ALICE, "bob": BOB})
    base = f"{app_server.url}/accounts/saml/{SLUG}"
    idp.add_sp(f"{base}/metadata/", f"{base}/acs/")  # our default entity id is the SP metadata URL
    with idp:
        env = {"SAML_ORGANIZATION_SLUG": SLUG, "SAML_PROVIDER_NAME": "Corp SAML", "SAML_PROVIDER_ID": "corp-saml"}
        if from_metadata:
            env["SAML_IDP_METADATA_URL"] = idp.metadata_url
        else:
            env.update(SAML_IDP_ENTITY_ID=idp.entity_id, SAML_IDP_SSO_URL=idp.sso_url,
                       SAML_IDP_X509_CERT=idp.certificate_pem)
        settings.SOCIALACCOUNT_PROVIDERS = {"saml": {"APPS": saml_apps(env)}}  # no OpenID Connect provider
        settings.SAML_GROUPS_ATTRIBUTE = "groups"
        cache.clear()  # allauth caches IdP metadata by URL: a port reused by an earlier IdP must not match
        try:
            yield idp
        finally:
            cache.clear()


@pytest.fixture
def idp_from_metadata(app_server, settings):
    yield from _idp_fixture(app_server, settings, from_metadata=True)


@pytest.fixture
def idp_explicit(app_server, settings):
    yield from _idp_fixture(app_server, settings, from_metadata=False)


def _sign_in(page, app_server, idp, username: str, password: str) -> None:
    page.goto(f"{app_server.url}/login/")
    page.get_by_role("button", name="Sign in with Corp SAML").click()
    page.wait_for_url(lambda url: not url.startswith(f"{app_server.url}/login/"))
    if page.url.startswith(idp.base_url):  # SimpleSAMLphp's own form (no session there yet)
        page.locator("input[name=username]").fill(username)
        page.locator("input[name=password]").fill(password)
        page.locator("#submit_button").click()
    # SimpleSAMLphp's page posts the signed response to our ACS URL (script): back on the app (its home, or the
    # refusal at .../acs/finish/).
    page.wait_for_url(lambda url: url.startswith(app_server.url))
    page.wait_for_load_state("networkidle")


def test_sign_in_maps_groups_and_a_removed_group_loses_access(browser_page, app_server, idp_from_metadata,
                                                              synced_content, artifacts_dir):
    from allauth.socialaccount.models import SocialAccount
    from django.contrib.auth import get_user_model

    idp = idp_from_metadata
    roles.roles_ensure()
    assert Track.objects.filter(slug=TRACK, is_current=True).exists()
    page = browser_page
    _sign_in(page, app_server, idp, "alice", "alice-pw")
    page.get_by_role("heading", name="Tracks").wait_for()
    page.screenshot(path=str(artifacts_dir / "sso-saml-home.png"), full_page=True)
    alice = get_user_model().objects.get(username="alice")
    assert (alice.email, alice.first_name, alice.last_name) == ("alice@corp.example", "Alice", "Able")
    account = SocialAccount.objects.get(user=alice)
    assert (account.provider, account.uid) == ("corp-saml", "alice")
    assert account.extra_data["groups"] == ALICE["groups"]  # allauth keeps the attributes: {name: [values]}
    assert set(alice.groups.values_list("name", flat=True)) == {roles.HIRING_MANAGER}
    assert list(TrackManager.objects.filter(user=alice).values_list("track_slug", flat=True)) == [TRACK]
    assert not alice.has_usable_password() and not alice.is_staff
    assert page.goto(f"{app_server.url}/reports/tracks/{TRACK}/").status == 200
    assert page.goto(f"{app_server.url}/admin/").url.endswith("/admin/login/?next=/admin/")

    # The IdP's admin takes her out of the managers group. The IdP keeps the attributes of a live session, so her
    # next sign-in is a new one there (cookies gone: a new day, another browser): she is only an interviewer now.
    idp.set_users({"alice": {**ALICE, "groups": ["interview-track:interviewers"]}, "bob": BOB})
    page.goto(f"{app_server.url}/")
    page.get_by_role("button", name="Log out").click()
    page.context.clear_cookies()
    _sign_in(page, app_server, idp, "alice", "alice-pw")
    page.get_by_role("heading", name="Tracks").wait_for()
    alice.refresh_from_db()
    assert set(alice.groups.values_list("name", flat=True)) == {roles.INTERVIEWER}
    assert not TrackManager.objects.filter(user=alice).exists()
    assert SocialAccount.objects.filter(user=alice).count() == 1  # the same account: uid, not the transient NameID
    assert page.goto(f"{app_server.url}/reports/tracks/{TRACK}/").status == 404
    assert not [e for e in page.console_errors if "Content Security Policy" in e], page.console_errors


def test_no_mapped_group_no_entry(browser_page, app_server, idp_explicit, synced_content):
    from django.contrib.auth import get_user_model

    roles.roles_ensure()
    page = browser_page
    _sign_in(page, app_server, idp_explicit, "bob", "bob-pw")
    page.get_by_test_id("no-role").wait_for()
    assert "No access to Interview Track" in page.content()
    bob = get_user_model().objects.filter(username="bob").first()
    assert bob is None or not bob.groups.exists()
    assert page.goto(f"{app_server.url}/scoring/").url.startswith(f"{app_server.url}/login/")

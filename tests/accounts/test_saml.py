"""SAML 2.0 sign-in: the settings built from SAML_* variables, the groups attribute as allauth keeps it, the same
group mapping as OpenID Connect, the SP metadata an IdP admin registers, and the CSP form-action for the IdP."""

from __future__ import annotations

from types import SimpleNamespace
from unittest import mock

import pytest
from allauth.socialaccount.models import SocialApp
from allauth.socialaccount.providers.openid_connect.provider import OpenIDConnectProvider
from allauth.socialaccount.providers.saml.provider import SAMLProvider
from django.core.cache import cache
from django.test import Client

from accounts.adapters import _groups
from accounts.identity import grants_for, groups_from_claims, groups_from_saml_attributes
from accounts.saml import DEFAULT_ATTRIBUTE_MAPPING, saml_apps
from assessments import roles
from webapp.middleware import _with_sso_form_action

POLICY = "default-src 'self'; form-action 'self'; frame-ancestors 'none'"
EXPLICIT = {"SAML_IDP_ENTITY_ID": "https://idp.corp.example/saml", "SAML_IDP_SSO_URL": "https://sso.corp.example/sso",
            "SAML_IDP_X509_CERT": "MIIBfake"}


# -- the groups attribute ---------------------------------------------------------------------------------------

def test_saml_attributes_to_groups_and_grants(settings):
    # allauth's extra_data for SAML is python3-saml's get_attributes(): {attribute name: [values]}
    attributes = {"uid": ["alice"], "groups": ["interview-track:managers", "interview-track:manages:asr", "other"]}
    assert groups_from_saml_attributes(attributes) == attributes["groups"]
    grants = grants_for(groups_from_saml_attributes(attributes))
    assert grants.roles == {roles.HIRING_MANAGER} and grants.tracks == {"asr"}
    assert groups_from_saml_attributes({"groups": "interview-track:admins"}) == ["interview-track:admins"]
    assert groups_from_saml_attributes({"groups": ["", None, {"NameID": "x"}, "staff"]}) == ["staff"]
    assert groups_from_saml_attributes({}) == [] and groups_from_saml_attributes({"groups": 3}) == []
    settings.SAML_GROUPS_ATTRIBUTE = "http://schemas.microsoft.com/ws/2008/06/identity/claims/groups"
    assert groups_from_saml_attributes(attributes) == []
    assert groups_from_saml_attributes({settings.SAML_GROUPS_ATTRIBUTE: ["interview-track:interviewers"]}) == [
        "interview-track:interviewers"]


def _login(provider, extra_data):
    return SimpleNamespace(provider=provider, account=SimpleNamespace(extra_data=extra_data))


def test_the_adapter_reads_the_attribute_or_the_claim_by_provider(settings):
    settings.OIDC_GROUPS_CLAIM, settings.SAML_GROUPS_ATTRIBUTE = "groups", "memberOf"
    saml = SAMLProvider(None, app=SocialApp(provider="saml", provider_id="saml", client_id="corp", settings={}))
    oidc = OpenIDConnectProvider(None, app=SocialApp(provider="openid_connect", provider_id="sso", client_id="c",
                                                     settings={"server_url": "https://idp.example"}))
    data = {"memberOf": ["interview-track:interviewers"], "groups": ["interview-track:admins"],
            "userinfo": {"groups": ["interview-track:managers"]}}
    assert _groups(_login(saml, data)) == ["interview-track:interviewers"]
    assert _groups(_login(oidc, data)) == ["interview-track:managers"] == groups_from_claims(data)
    assert _groups(_login(saml, None)) == []


# -- settings from SAML_* ---------------------------------------------------------------------------------------

def test_no_saml_variables_no_saml_app():
    assert saml_apps({}) == [] and saml_apps({"SAML_GROUPS_ATTRIBUTE": "groups", "SAML_IDP_METADATA_URL": " "}) == []


def test_an_app_from_the_metadata_url():
    (app,) = saml_apps({"SAML_IDP_METADATA_URL": "https://idp.corp.example/metadata"})
    assert (app["provider_id"], app["name"], app["client_id"]) == ("saml", "SAML single sign-on", "sso")
    conf = app["settings"]
    assert conf["idp"] == {"metadata_url": "https://idp.corp.example/metadata", "entity_id": None}
    assert conf["sp"] == {}  # allauth's default entity id: the SP metadata URL
    assert conf["attribute_mapping"] == DEFAULT_ATTRIBUTE_MAPPING
    advanced = conf["advanced"]
    assert advanced["want_assertion_signed"] and advanced["strict"] and advanced["reject_idp_initiated_sso"]
    assert advanced["reject_deprecated_algorithm"] and not advanced["authn_request_signed"]


def test_an_app_from_entity_id_sso_url_and_certificate():
    env = {**EXPLICIT, "SAML_PROVIDER_ID": "corp", "SAML_PROVIDER_NAME": "Corp", "SAML_ORGANIZATION_SLUG": "corp-1",
           "SAML_SP_ENTITY_ID": "https://it.example/saml", "SAML_ATTRIBUTE_MAPPING": '{"uid": "employeeNumber"}'}
    (app,) = saml_apps(env)
    assert (app["provider_id"], app["name"], app["client_id"]) == ("corp", "Corp", "corp-1")
    assert app["settings"]["idp"] == {"entity_id": "https://idp.corp.example/saml",
                                      "sso_url": "https://sso.corp.example/sso", "x509cert": "MIIBfake"}
    assert app["settings"]["sp"] == {"entity_id": "https://it.example/saml"}
    assert app["settings"]["attribute_mapping"]["uid"] == "employeeNumber"
    assert app["settings"]["attribute_mapping"]["email"] == DEFAULT_ATTRIBUTE_MAPPING["email"]


@pytest.mark.parametrize("env", [
    {"SAML_IDP_ENTITY_ID": "https://idp.example"},
    {"SAML_IDP_SSO_URL": "https://idp.example/sso", "SAML_IDP_X509_CERT": "MII"},
    {**EXPLICIT, "SAML_ORGANIZATION_SLUG": "a/b"},
    {**EXPLICIT, "SAML_ATTRIBUTE_MAPPING": "uid=employeeNumber"},
    {**EXPLICIT, "SAML_ATTRIBUTE_MAPPING": '["uid"]'},
], ids=["entity-id-only", "no-entity-id", "slug", "mapping-not-json", "mapping-not-object"])
def test_a_half_done_configuration_is_an_error(env):
    with pytest.raises(ValueError):
        saml_apps(env)


# -- what the IdP admin registers -----------------------------------------------------------------------------

@pytest.mark.django_db
def test_sp_metadata_names_the_entity_id_and_the_acs_url(settings):
    settings.SOCIALACCOUNT_PROVIDERS = {"saml": {"APPS": saml_apps({**EXPLICIT, "SAML_ORGANIZATION_SLUG": "corp"})}}
    response = Client().get("/accounts/saml/corp/metadata/", HTTP_HOST="it.example")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/xml")
    xml = response.content.decode()
    assert 'entityID="http://it.example/accounts/saml/corp/metadata/"' in xml
    assert 'Location="http://it.example/accounts/saml/corp/acs/"' in xml
    assert 'WantAssertionsSigned="true"' in xml
    assert Client().get("/accounts/saml/other/metadata/").status_code == 404


@pytest.mark.django_db
def test_the_login_page_offers_the_saml_provider(settings):
    settings.SOCIALACCOUNT_PROVIDERS = {"saml": {"APPS": saml_apps({**EXPLICIT, "SAML_PROVIDER_NAME": "Corp SAML",
                                                                    "SAML_ORGANIZATION_SLUG": "corp"})}}
    page = Client().get("/login/").content.decode()
    assert "Sign in with Corp SAML" in page and 'action="/accounts/saml/corp/login/?process=login"' in page


# -- the CSP form-action ----------------------------------------------------------------------------------------

def test_form_action_allows_the_idp_sso_origin(settings):
    settings.SOCIALACCOUNT_PROVIDERS = {"saml": {"APPS": saml_apps(EXPLICIT)}}
    assert "form-action 'self' https://sso.corp.example;" in _with_sso_form_action(POLICY)
    settings.SOCIALACCOUNT_PROVIDERS = {"saml": {"APPS": []}, "openid_connect": {"APPS": []}}
    assert _with_sso_form_action(POLICY) == POLICY


def test_form_action_with_metadata_allows_its_origin_and_the_sso_origin_once_read(settings):
    from allauth.socialaccount.providers.saml.utils import fetch_metadata_url_config

    (app,) = saml_apps({"SAML_IDP_METADATA_URL": "https://meta.corp.example/md", "SAML_IDP_ENTITY_ID": "urn:corp"})
    settings.SOCIALACCOUNT_PROVIDERS = {"saml": {"APPS": [app]}}
    cache.clear()
    try:
        assert "form-action 'self' https://meta.corp.example;" in _with_sso_form_action(POLICY)
        parsed = {"idp": {"entityId": "urn:corp", "singleSignOnService": {"url": "https://login.corp.example/s"}}}
        with mock.patch("allauth.socialaccount.providers.saml.utils.OneLogin_Saml2_IdPMetadataParser.parse_remote",
                        return_value=parsed) as parse_remote:
            fetch_metadata_url_config(app["settings"]["idp"])  # what allauth does at a sign-in: read, then cache
        parse_remote.assert_called_once()
        assert "form-action 'self' https://login.corp.example https://meta.corp.example;" in _with_sso_form_action(
            POLICY)
    finally:
        cache.clear()

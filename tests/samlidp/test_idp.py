"""The test SAML IdP is a real one: SP-initiated sign-in over HTTP (HTTP-Redirect AuthnRequest, its login form, an
HTTP-POST response), signed responses and assertions checked by python3-saml (what allauth uses) against its
metadata, and users (groups) read again at every new login."""

from __future__ import annotations

import html
import os
import re
import time

import pytest
import requests
from onelogin.saml2.authn_request import OneLogin_Saml2_Authn_Request
from onelogin.saml2.idp_metadata_parser import OneLogin_Saml2_IdPMetadataParser
from onelogin.saml2.response import OneLogin_Saml2_Response
from onelogin.saml2.settings import OneLogin_Saml2_Settings

from tests.samlidp.idp import SamlIdp

SP_ENTITY_ID = "http://127.0.0.1:9/accounts/saml/test/metadata/"
ACS_URL = "http://127.0.0.1:9/accounts/saml/test/acs/"  # nothing listens there: never fetched
TIMEOUT = 10
ALICE = {"password": "correct horse", "uid": "alice", "mail": "alice@example.com", "displayName": "Alice Able",
         "groups": ["interview-staff", "engineering"]}
BOB = {"password": "hunter2", "uid": "bob", "mail": "bob@example.com", "groups": []}
USERS = {"alice": ALICE, "bob": BOB}


@pytest.fixture(scope="module")
def idp():
    provider = SamlIdp(USERS)
    with provider:
        provider.add_sp(SP_ENTITY_ID, ACS_URL)
        yield provider


@pytest.fixture
def users(idp):
    """The users, restored after a test that rewrites them."""
    yield idp
    idp.set_users(USERS)


def _sp_settings(idp: SamlIdp) -> OneLogin_Saml2_Settings:
    idp_data = OneLogin_Saml2_IdPMetadataParser.parse_remote(idp.metadata_url, timeout=TIMEOUT)["idp"]
    return OneLogin_Saml2_Settings({
        "strict": True,
        "sp": {"entityId": SP_ENTITY_ID, "assertionConsumerService": {"url": ACS_URL}},
        "security": {"wantAssertionsSigned": True, "wantMessagesSigned": True, "rejectDeprecatedAlgorithm": True},
        "idp": idp_data,
    }, sp_validation_only=True)


def _hidden(page: str, name: str) -> str | None:
    found = re.search(rf'<input type="hidden" name="{name}" value="([^"]*)"', page)
    return html.unescape(found.group(1)) if found else None


def _sign_in(idp: SamlIdp, session: requests.Session, username: str, password: str) -> tuple[str | None, str]:
    """Start at the SSO URL; log in at the form when it asks. (SAMLResponse or None, the last page.)"""
    settings = _sp_settings(idp)
    authn = OneLogin_Saml2_Authn_Request(settings)
    page = session.get(idp.sso_url, params={"SAMLRequest": authn.get_request(), "RelayState": "r"}, timeout=TIMEOUT)
    assert page.status_code == 200, page.text[-2000:]
    state = _hidden(page.text, "AuthState")
    if state is not None:  # the login form (no session at the IdP yet)
        page = session.post(page.url, data={"username": username, "password": password, "AuthState": state},
                            timeout=TIMEOUT)
    saml_response = _hidden(page.text, "SAMLResponse")
    if saml_response is not None:
        assert f'action="{ACS_URL}"' in page.text and _hidden(page.text, "RelayState") == "r"
        response = OneLogin_Saml2_Response(settings, saml_response)
        request_data = {"https": "off", "http_host": "127.0.0.1:9", "script_name": "",
                        "path_info": "/accounts/saml/test/acs/"}
        assert response.is_valid(request_data, request_id=authn.get_id(), raise_exceptions=True)
        assert response.get_issuers() == [idp.entity_id]
    return saml_response, page.text


def _attributes(idp: SamlIdp, saml_response: str) -> dict[str, list[str]]:
    return OneLogin_Saml2_Response(_sp_settings(idp), saml_response).get_attributes()


def test_metadata_names_the_sso_url_and_the_signing_certificate(idp):
    data = OneLogin_Saml2_IdPMetadataParser.parse_remote(idp.metadata_url, timeout=TIMEOUT)["idp"]
    assert data["entityId"] == idp.entity_id
    assert data["singleSignOnService"]["url"] == idp.sso_url
    body = "".join(line for line in idp.certificate_pem.splitlines() if "CERTIFICATE" not in line)
    assert data["x509cert"] == body


def test_sign_in_releases_the_attributes_signed(idp, users):
    saml_response, _ = _sign_in(idp, requests.Session(), "alice", "correct horse")
    assert saml_response is not None
    attributes = _attributes(idp, saml_response)
    assert attributes["uid"] == ["alice"] and attributes["mail"] == ["alice@example.com"]
    assert attributes["groups"] == ["interview-staff", "engineering"]


def test_a_wrong_password_gets_no_response(idp):
    saml_response, page = _sign_in(idp, requests.Session(), "alice", "wrong")
    assert saml_response is None and _hidden(page, "AuthState") is not None


def test_users_are_read_again_at_every_new_login(idp, users):
    # An old users file, read at a login: PHP's opcache (on by default under `php -S`) would now keep it compiled
    # and serve it for a while after a rewrite. The helper turns opcache off; this is the proof.
    past = time.time() - 60
    os.utime(idp.config_dir / "authsources.php", (past, past))
    assert _sign_in(idp, requests.Session(), "alice", "correct horse")[0] is not None
    idp.set_users({**USERS, "alice": {**ALICE, "groups": ["engineering"]}, "carol": {"password": "c", "uid": "carol"}})
    saml_response, _ = _sign_in(idp, requests.Session(), "alice", "correct horse")  # at once: nothing cached
    assert _attributes(idp, saml_response)["groups"] == ["engineering"]
    saml_response, _ = _sign_in(idp, requests.Session(), "carol", "c")
    assert _attributes(idp, saml_response)["uid"] == ["carol"]


def test_a_live_idp_session_answers_without_the_form(idp, users):
    session = requests.Session()
    first, _ = _sign_in(idp, session, "alice", "correct horse")
    idp.set_users({**USERS, "alice": {**ALICE, "groups": []}})
    again, page = _sign_in(idp, session, "alice", "not asked")
    assert again is not None and again != first
    assert _attributes(idp, again)["groups"] == ALICE["groups"]  # the session's attributes, until it ends


def test_set_users_refuses_what_the_idp_cannot_hold():
    idp = SamlIdp()
    try:
        with pytest.raises(ValueError):
            idp.set_users({"a:b": {"password": "x"}})
        with pytest.raises(ValueError):
            idp.set_users({"a": {"uid": "a"}})
    finally:
        idp.stop()

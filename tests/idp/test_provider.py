"""The test identity provider is a real OpenID Connect provider: discovery, the authorization code flow with PKCE
driven over HTTP through its login form, signed ID tokens checked against its JWKS, userinfo, and users (groups)
read again at every sign-in."""

from __future__ import annotations

import base64
import hashlib
import hmac
import importlib.util
import json
import re
import secrets
import socket
from dataclasses import dataclass
from urllib.parse import parse_qs, urljoin, urlsplit

import pytest
import requests

from tests.idp.provider import OidcProvider, OidcProviderError

CLIENT_ID, CLIENT_SECRET = "interview-track", "s3cret-for-tests"
REDIRECT_URI = "http://127.0.0.1:9/accounts/oidc/test-idp/login/callback/"  # nothing listens there: never fetched
SCOPE = "openid email profile groups"
TIMEOUT = 10

ALICE = {"email": "alice@example.com", "email_verified": True, "name": "Alice Able", "given_name": "Alice",
         "family_name": "Able", "preferred_username": "alice", "groups": ["interview-staff", "engineering"],
         "password": "correct horse"}
BOB = {"email": "bob@example.com", "email_verified": True, "name": "Bob Baker", "given_name": "Bob",
       "family_name": "Baker", "preferred_username": "bob", "groups": [], "password": "hunter2"}
USERS = {"alice-sub": ALICE, "bob-sub": BOB}


@pytest.fixture(scope="module")
def idp():
    provider = OidcProvider(USERS)
    provider.add_client(CLIENT_ID, CLIENT_SECRET, [REDIRECT_URI])
    with provider:
        yield provider


@pytest.fixture(scope="module")
def discovery(idp):
    response = requests.get(idp.discovery_url, timeout=TIMEOUT)
    response.raise_for_status()
    return response.json()


@pytest.fixture
def users(idp):
    """The users file, restored after a test that rewrites it."""
    yield idp
    idp.set_users(USERS)


# -- a browser-less relying party ------------------------------------------------------------------------------


def b64url_decode(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def jwt_payload(token: str) -> dict:
    return json.loads(b64url_decode(token.split(".")[1]))


def rs256_signature_valid(token: str, jwks: dict) -> bool:
    """RS256 (RSASSA-PKCS1-v1_5 with SHA-256) checked with the standard library against the key named by `kid`."""
    signing_input, _, signature = token.rpartition(".")
    header = json.loads(b64url_decode(signing_input.split(".")[0]))
    assert header["alg"] == "RS256", header
    key = next(k for k in jwks["keys"] if k.get("kid") == header["kid"] and k["kty"] == "RSA")
    n, e = (int.from_bytes(b64url_decode(key[name]), "big") for name in ("n", "e"))
    size = (n.bit_length() + 7) // 8
    recovered = pow(int.from_bytes(b64url_decode(signature), "big"), e, n).to_bytes(size, "big")
    digest_info = bytes.fromhex("3031300d060960864801650304020105000420") + hashlib.sha256(
        signing_input.encode()).digest()
    expected = b"\x00\x01" + b"\xff" * (size - 3 - len(digest_info)) + b"\x00" + digest_info
    return hmac.compare_digest(recovered, expected)


@dataclass
class Callback:
    url: str
    params: dict[str, str]
    verifier: str
    state: str
    nonce: str


def follow(session: requests.Session, response: requests.Response, stop_at: str) -> requests.Response | str:
    """Follow redirects by hand; return the URL once it reaches `stop_at` (the relying party), else the page."""
    for _ in range(20):
        if not response.is_redirect:
            return response
        location = urljoin(response.url, response.headers["Location"])
        if location.startswith(stop_at):
            return location
        assert urlsplit(location).hostname == "127.0.0.1", f"the IdP sent the browser off loopback: {location}"
        response = session.get(location, allow_redirects=False, timeout=TIMEOUT)
    raise AssertionError("redirect loop")


def authorize(session: requests.Session, discovery: dict, *, pkce: bool = True) -> tuple[requests.Response | str,
                                                                                           str, str, str]:
    verifier, state, nonce = secrets.token_urlsafe(48), secrets.token_urlsafe(16), secrets.token_urlsafe(16)
    params = {"response_type": "code", "client_id": CLIENT_ID, "redirect_uri": REDIRECT_URI, "scope": SCOPE,
              "state": state, "nonce": nonce}
    if pkce:
        params |= {"code_challenge": b64url(hashlib.sha256(verifier.encode()).digest()),
                   "code_challenge_method": "S256"}
    response = session.get(discovery["authorization_endpoint"], params=params, allow_redirects=False,
                           timeout=TIMEOUT)
    return follow(session, response, REDIRECT_URI), verifier, state, nonce


def submit_login(session: requests.Session, page: requests.Response, login: str,
                 password: str) -> requests.Response | str:
    assert page.status_code == 200, page.text
    assert re.search(r'<input[^>]*name="login"', page.text) and re.search(r'<input[^>]*name="password"', page.text)
    assert re.search(r"<button[^>]*>Sign in</button>", page.text)
    action = re.search(r'<form[^>]*action="([^"]+)"', page.text).group(1)
    response = session.post(urljoin(page.url, action), data={"login": login, "password": password},
                            allow_redirects=False, timeout=TIMEOUT)
    return follow(session, response, REDIRECT_URI)


def sign_in(discovery: dict, login: str, password: str, session: requests.Session | None = None) -> Callback:
    """Authorization request with PKCE, the login form, automatic consent, back at the redirect URI."""
    session = session or requests.Session()
    page, verifier, state, nonce = authorize(session, discovery)
    assert not isinstance(page, str), f"no login form: sent straight to {page}"
    callback = submit_login(session, page, login, password)
    assert isinstance(callback, str), f"not sent back to the relying party after signing in:\n{callback.text[:2000]}"
    params = {k: v[0] for k, v in parse_qs(urlsplit(callback).query).items()}
    return Callback(callback, params, verifier, state, nonce)


def redeem(discovery: dict, callback: Callback, *, auth: str = "client_secret_basic",
           verifier: str | None = None) -> requests.Response:
    data = {"grant_type": "authorization_code", "code": callback.params["code"], "redirect_uri": REDIRECT_URI,
            "code_verifier": verifier or callback.verifier}
    if auth == "client_secret_basic":
        return requests.post(discovery["token_endpoint"], data=data, auth=(CLIENT_ID, CLIENT_SECRET), timeout=TIMEOUT)
    data |= {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET}
    return requests.post(discovery["token_endpoint"], data=data, timeout=TIMEOUT)


def tokens_for(discovery: dict, login: str, password: str, **kwargs) -> dict:
    response = redeem(discovery, sign_in(discovery, login, password), **kwargs)
    assert response.status_code == 200, response.text
    return response.json()


# -- the tests -------------------------------------------------------------------------------------------------


def test_discovery_names_the_issuer_and_its_endpoints_on_loopback(idp, discovery):
    assert idp.issuer == f"http://127.0.0.1:{idp.port}"
    assert discovery["issuer"] == idp.issuer
    for name, path in {"authorization_endpoint": "/auth", "token_endpoint": "/token", "userinfo_endpoint": "/me",
                       "jwks_uri": "/jwks", "end_session_endpoint": "/session/end"}.items():
        assert discovery[name] == idp.issuer + path
    assert {"openid", "email", "profile", "groups"} <= set(discovery["scopes_supported"])
    assert {"email", "email_verified", "name", "preferred_username", "groups"} <= set(discovery["claims_supported"])
    assert {"client_secret_basic", "client_secret_post"} <= set(discovery["token_endpoint_auth_methods_supported"])
    assert discovery["code_challenge_methods_supported"] == ["S256"]
    assert "code" in discovery["response_types_supported"]


def test_it_listens_on_127_0_0_1_only(idp):
    with socket.create_connection(("127.0.0.1", idp.port), timeout=TIMEOUT):
        pass
    with pytest.raises(OSError), socket.create_connection(("127.0.0.2", idp.port), timeout=TIMEOUT):
        pass  # another loopback address: refused, so it is not bound to 0.0.0.0


def test_authorization_code_flow_with_pkce_gives_signed_id_token_and_userinfo_with_groups(idp, discovery):
    callback = sign_in(discovery, "alice@example.com", ALICE["password"])
    assert callback.params["state"] == callback.state
    assert callback.params["iss"] == idp.issuer  # RFC 9207 issuer in the authorization response

    response = redeem(discovery, callback, auth="client_secret_basic")
    assert response.status_code == 200, response.text
    tokens = response.json()
    assert tokens["token_type"].lower() == "bearer"

    jwks = requests.get(discovery["jwks_uri"], timeout=TIMEOUT).json()
    id_token = tokens["id_token"]
    assert rs256_signature_valid(id_token, jwks)
    head, body, signature = id_token.split(".")
    forged = b64url(json.dumps({**jwt_payload(id_token), "groups": ["admins"]}).encode())
    assert not rs256_signature_valid(f"{head}.{forged}.{signature}", jwks)  # the check above does check
    if importlib.util.find_spec("jwt") and importlib.util.find_spec("cryptography"):
        import jwt  # PyJWT, when the environment has it: a second, independent verification

        key = jwt.PyJWKSet.from_dict(jwks)[jwt.get_unverified_header(id_token)["kid"]].key
        jwt.decode(id_token, key, algorithms=["RS256"], audience=CLIENT_ID, issuer=idp.issuer)

    claims = jwt_payload(id_token)
    assert claims["iss"] == idp.issuer and claims["aud"] == CLIENT_ID and claims["sub"] == "alice-sub"
    assert claims["nonce"] == callback.nonce
    assert claims["exp"] > claims["iat"]
    assert claims["email"] == ALICE["email"] and claims["email_verified"] is True
    assert claims["groups"] == ALICE["groups"]
    assert claims["name"] == "Alice Able" and claims["preferred_username"] == "alice"
    assert "password" not in claims

    userinfo = requests.get(discovery["userinfo_endpoint"], timeout=TIMEOUT,
                            headers={"Authorization": f"Bearer {tokens['access_token']}"})
    assert userinfo.status_code == 200, userinfo.text
    info = userinfo.json()
    assert info["sub"] == "alice-sub" and info["email"] == ALICE["email"] and info["groups"] == ALICE["groups"]
    assert info["given_name"] == "Alice" and info["family_name"] == "Able"
    assert "password" not in info

    again = redeem(discovery, callback)  # a code is good once
    assert again.status_code == 400 and again.json()["error"] == "invalid_grant"


def test_client_secret_post_works_too_as_allauth_uses_it_by_default(discovery):
    tokens = tokens_for(discovery, "bob", BOB["password"], auth="client_secret_post")
    claims = jwt_payload(tokens["id_token"])
    assert claims["sub"] == "bob-sub" and claims["email"] == BOB["email"] and claims["groups"] == []


def test_wrong_client_secret_and_wrong_code_verifier_are_refused(discovery):
    callback = sign_in(discovery, "alice", ALICE["password"])
    wrong = requests.post(discovery["token_endpoint"], auth=(CLIENT_ID, "not-the-secret"), timeout=TIMEOUT,
                          data={"grant_type": "authorization_code", "code": callback.params["code"],
                                "redirect_uri": REDIRECT_URI, "code_verifier": callback.verifier})
    assert wrong.status_code == 401 and wrong.json()["error"] == "invalid_client"
    response = redeem(discovery, callback, verifier=secrets.token_urlsafe(48))
    assert response.status_code == 400 and response.json()["error"] == "invalid_grant", response.text


def test_wrong_password_shows_invalid_login_and_a_retry_signs_in(discovery):
    session = requests.Session()
    page, *_ = authorize(session, discovery)
    retry = submit_login(session, page, "alice@example.com", "wrong password")
    assert not isinstance(retry, str), "signed in with a wrong password"
    assert retry.status_code == 200 and "Invalid login" in retry.text
    assert 'value="alice@example.com"' in retry.text
    assert isinstance(submit_login(session, retry, "alice@example.com", ALICE["password"]), str)


def test_unknown_user_shows_invalid_login(discovery):
    session = requests.Session()
    page, *_ = authorize(session, discovery)
    retry = submit_login(session, page, "mallory@example.com", "anything")
    assert not isinstance(retry, str) and "Invalid login" in retry.text


def test_a_changed_users_file_changes_the_groups_claim_at_the_next_sign_in(users, discovery):
    assert jwt_payload(tokens_for(discovery, "alice", ALICE["password"])["id_token"])["groups"] == ALICE["groups"]

    users.set_users({**USERS, "alice-sub": {**ALICE, "groups": ["engineering"]}})

    tokens = tokens_for(discovery, "alice", ALICE["password"])
    assert jwt_payload(tokens["id_token"])["groups"] == ["engineering"]
    info = requests.get(discovery["userinfo_endpoint"], timeout=TIMEOUT,
                        headers={"Authorization": f"Bearer {tokens['access_token']}"}).json()
    assert info["groups"] == ["engineering"]


def test_an_unregistered_redirect_uri_is_refused_at_the_idp(discovery):
    response = requests.get(discovery["authorization_endpoint"], allow_redirects=False, timeout=TIMEOUT,
                            params={"response_type": "code", "client_id": CLIENT_ID, "scope": SCOPE,
                                    "redirect_uri": "http://127.0.0.1:9/elsewhere/", "state": "x"})
    assert response.status_code == 400 and "redirect_uri" in response.text
    assert "Location" not in response.headers


def test_pkce_can_be_required_and_the_idp_exits_cleanly_on_sigterm():
    strict = OidcProvider(USERS, require_pkce=True)
    strict.add_client(CLIENT_ID, CLIENT_SECRET, [REDIRECT_URI])
    strict.start()
    try:
        with pytest.raises(RuntimeError, match="before start"):
            strict.add_client("late", "secret", [REDIRECT_URI])
        discovery = requests.get(strict.discovery_url, timeout=TIMEOUT).json()
        refused, *_ = authorize(requests.Session(), discovery, pkce=False)
        assert isinstance(refused, str), "expected an error redirect back to the relying party"
        error = parse_qs(urlsplit(refused).query)
        assert error["error"] == ["invalid_request"] and "PKCE" in error["error_description"][0]
        tokens = tokens_for(discovery, "bob", BOB["password"])  # with PKCE it signs in
        assert jwt_payload(tokens["id_token"])["iss"] == strict.issuer
    finally:
        strict.stop()
    assert strict.returncode == 0, strict.output
    assert not strict.running


def test_a_provider_that_cannot_start_says_why_with_node_output():
    broken = OidcProvider(USERS)
    broken.add_client(CLIENT_ID, CLIENT_SECRET, ["not a uri"])
    try:
        with pytest.raises(OidcProviderError, match=r"(?s)exited with status 2.*redirect_uris must only contain"):
            broken.start()
    finally:
        broken.stop()

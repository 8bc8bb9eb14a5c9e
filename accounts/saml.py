"""SAML 2.0 single sign-on where a company needs it: django-allauth's SAML app (python3-saml underneath), built from
SAML_* environment variables. Plain Python, so webapp/settings.py can call it; README "Single sign-on".

Configured only when SAML_IDP_METADATA_URL is set (the IdP's metadata is read from it, and cached), or all of
SAML_IDP_ENTITY_ID, SAML_IDP_SSO_URL and SAML_IDP_X509_CERT. The IdP must sign its assertions. The groups attribute
(settings.SAML_GROUPS_ATTRIBUTE) maps to roles and tracks as OpenID Connect groups do (accounts/identity.py).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

# allauth's keys: the first of each list that the IdP sends is used. `uid` is the account's key at every sign-in:
# it must be stable (without it allauth falls back to the NameID, which then must be persistent, not transient).
DEFAULT_ATTRIBUTE_MAPPING: dict[str, list[str]] = {
    "uid": ["uid", "urn:oid:0.9.2342.19200300.100.1.1", "urn:oasis:names:tc:SAML:attribute:subject-id"],
    "username": ["uid", "urn:oid:0.9.2342.19200300.100.1.1"],
    "email": ["mail", "email", "urn:oid:0.9.2342.19200300.100.1.3",
              "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress"],
    "first_name": ["givenName", "urn:oid:2.5.4.42", "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/givenname"],
    "last_name": ["sn", "urn:oid:2.5.4.4", "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/surname"],
}
SLUG = re.compile(r"^[A-Za-z0-9_-]+$")


def saml_apps(env: Mapping[str, str]) -> list[dict[str, Any]]:
    """allauth's SOCIALACCOUNT_PROVIDERS["saml"]["APPS"] for the SAML_* variables in `env`; [] when none is set.

    Raises ValueError on a half-done or invalid configuration.
    """
    def get(name: str, default: str = "") -> str:
        return (env.get(name) or default).strip()

    metadata_url, entity_id = get("SAML_IDP_METADATA_URL"), get("SAML_IDP_ENTITY_ID")
    sso_url, cert = get("SAML_IDP_SSO_URL"), get("SAML_IDP_X509_CERT")
    if not (metadata_url or entity_id or sso_url or cert):
        return []
    if metadata_url:  # allauth reads the IdP's entity id, SSO URL and certificate from it (cached 4 hours)
        idp: dict[str, Any] = {"metadata_url": metadata_url, "entity_id": entity_id or None}
    elif entity_id and sso_url and cert:
        idp = {"entity_id": entity_id, "sso_url": sso_url, "x509cert": cert}
    else:
        raise ValueError("SAML needs SAML_IDP_METADATA_URL, or all of SAML_IDP_ENTITY_ID, SAML_IDP_SSO_URL and "
                         "SAML_IDP_X509_CERT")
    slug = get("SAML_ORGANIZATION_SLUG", "sso")
    if not SLUG.match(slug):
        raise ValueError(f"SAML_ORGANIZATION_SLUG must be letters, digits, - or _ (it is in URLs): {slug!r}")
    mapping = dict(DEFAULT_ATTRIBUTE_MAPPING)
    if get("SAML_ATTRIBUTE_MAPPING"):
        try:
            extra = json.loads(get("SAML_ATTRIBUTE_MAPPING"))
        except ValueError as exc:
            raise ValueError(f"SAML_ATTRIBUTE_MAPPING must be a JSON object: {exc}") from exc
        if not isinstance(extra, dict) or not all(isinstance(v, str | list) for v in extra.values()):
            raise ValueError("SAML_ATTRIBUTE_MAPPING must be a JSON object of key -> attribute name or list of names")
        mapping.update(extra)
    sp_entity_id = get("SAML_SP_ENTITY_ID")
    return [{
        "provider_id": get("SAML_PROVIDER_ID", "saml"),
        "name": get("SAML_PROVIDER_NAME", "SAML single sign-on"),
        "client_id": slug,  # allauth's organization slug: /accounts/saml/<slug>/acs/, .../metadata/, .../login/
        "settings": {
            "attribute_mapping": mapping,
            "idp": idp,
            # Our entity id: by default the SP metadata URL, https://<host>/accounts/saml/<slug>/metadata/.
            "sp": {"entity_id": sp_entity_id} if sp_entity_id else {},
            "advanced": {
                "strict": True,  # destination, audience, recipient, validity times checked
                "want_assertion_signed": True,  # an unsigned assertion is refused
                "want_attribute_statement": True,  # the groups come as an attribute
                "reject_deprecated_algorithm": True,  # no SHA-1 signatures
                "reject_idp_initiated_sso": True,  # a sign-in starts here (the response answers our request)
                "authn_request_signed": False,  # no SP key: the IdP knows us by our entity id and ACS URL
            },
        },
    }]

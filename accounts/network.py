"""Where a request comes from: the one rule used by the rate limits, the login lockout and the audit trail."""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def trusted_proxy(addr: str) -> bool:
    """Whether an address is one of our reverse proxies (TRUSTED_PROXIES)."""
    try:
        ip = ipaddress.ip_address(addr)
    except ValueError:
        return False
    return any(ip in net for net in settings.TRUSTED_PROXY_NETWORKS)


def client_address(request: HttpRequest) -> str:
    """The client's address: REMOTE_ADDR, unless that is one of our reverse proxies (TRUSTED_PROXIES), then the
    right-most X-Forwarded-For entry that is not one of them. Entries left of it are the client's own say and are
    never used, so a client cannot pick its bucket by sending the header itself."""
    remote = request.META.get("REMOTE_ADDR", "unknown")
    if not trusted_proxy(remote):
        return remote
    hops = [h.strip() for h in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if h.strip()]
    for hop in reversed(hops):
        if not trusted_proxy(hop):
            return hop
    return remote


def login_username(request: HttpRequest, credentials: dict | None) -> str | None:
    """The account a sign-in is for, as django-axes keys its lockout: django-allauth authenticates with
    `username=`, and its form posts `login`; both must name the same account, or the lockout never matches."""
    if credentials and credentials.get("username"):
        return str(credentials["username"])
    return request.POST.get("login") or request.POST.get("username") if request is not None else None


def client_ip(request: HttpRequest | None) -> str | None:
    """client_address for records that keep an IP (the audit trail, django-axes): None when there is none (a
    request built in code, as Client.force_login makes), never a word a database's inet column would refuse."""
    if request is None:
        return None
    addr = client_address(request)
    try:
        ipaddress.ip_address(addr)
    except ValueError:
        return None
    return addr

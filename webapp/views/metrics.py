"""/metrics for Prometheus (docs/observability.md). Never public: anyone not allowed gets the site's 404, so the
endpoint does not even show that it exists."""

from __future__ import annotations

import hmac
import ipaddress

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed

from accounts.network import client_address, trusted_proxy
from ops.metrics import exposition

# Headers a reverse proxy adds. Seen from a peer that is not in TRUSTED_PROXIES, they say the request came through a
# proxy we were not told about, whose own (private) address would otherwise let the whole internet in.
_PROXY_HEADERS = ("HTTP_X_FORWARDED_FOR", "HTTP_FORWARDED", "HTTP_X_REAL_IP")


def _bearer_ok(request: HttpRequest) -> bool:
    token = settings.METRICS_TOKEN
    scheme, _, value = request.headers.get("Authorization", "").partition(" ")
    return bool(token) and scheme.lower() == "bearer" and hmac.compare_digest(value.strip().encode(), token.encode())


def scrape_allowed(request: HttpRequest) -> bool:
    """The bearer token, or a client address on loopback or in METRICS_ALLOWED_NETS (the address TRUSTED_PROXIES
    resolves, the rate limits' rule)."""
    if _bearer_ok(request):
        return True
    if not trusted_proxy(request.META.get("REMOTE_ADDR", "")) and any(request.META.get(h) for h in _PROXY_HEADERS):
        return False
    try:
        ip = ipaddress.ip_address(client_address(request))
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return ip.is_loopback or any(ip in net for net in settings.METRICS_ALLOWED_NETWORKS)


def metrics(request: HttpRequest) -> HttpResponse:
    if not scrape_allowed(request):
        raise Http404("No such page")
    if request.method not in ("GET", "HEAD"):
        return HttpResponseNotAllowed(["GET", "HEAD"])
    body, content_type = exposition(accept=request.headers.get("Accept", ""))
    return HttpResponse(body, content_type=content_type)

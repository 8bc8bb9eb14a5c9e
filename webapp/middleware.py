"""Response headers every page gets."""

from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings
from django.core.cache import cache
from django.http import Http404

from assessments.errors import NotFound


class ContentSecurityPolicyMiddleware:
    """Send the site's Content-Security-Policy unless a view set its own."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if settings.CONTENT_SECURITY_POLICY and "Content-Security-Policy" not in response:
            response["Content-Security-Policy"] = _with_sso_form_action(settings.CONTENT_SECURITY_POLICY)
        return response


def _with_sso_form_action(policy: str) -> str:
    """Starting single sign-on posts a form here that redirects to the identity provider, and browsers hold the
    redirect to form-action too: the configured providers' origins are allowed there, nothing else."""
    urls = [(app.get("settings") or {}).get("server_url")
            for app in (settings.SOCIALACCOUNT_PROVIDERS.get("openid_connect") or {}).get("APPS") or []]
    for app in (settings.SOCIALACCOUNT_PROVIDERS.get("saml") or {}).get("APPS") or []:
        idp = (app.get("settings") or {}).get("idp") or {}
        urls += [idp.get("sso_url"), idp.get("metadata_url")]
        if idp.get("metadata_url"):  # the SSO URL is in the metadata; allauth caches it once read (never fetched here)
            urls.append(_saml_metadata_sso_url(idp))
    origins = set()
    for url in urls:
        parts = urlsplit(url or "")
        if parts.scheme in ("http", "https") and parts.netloc:
            origins.add(f"{parts.scheme}://{parts.netloc}")
    if not origins:
        return policy
    return policy.replace("form-action 'self'", "form-action 'self' " + " ".join(sorted(origins)))


def _saml_metadata_sso_url(idp: dict) -> str | None:
    """The SSO URL of IdP metadata that allauth has read and cached (its key, allauth 65: saml/utils.py
    fetch_metadata_url_config); None before the first SAML sign-in has read it."""
    parsed = cache.get(f"saml.metadata.{idp['metadata_url']}.{idp.get('entity_id')}") or {}
    return ((parsed.get("idp") or {}).get("singleSignOnService") or {}).get("url")


class NotFoundMiddleware:
    """A domain NotFound (no such object, or not one this user may see) is a 404, from any view."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, NotFound):
            raise Http404(str(exception)) from exception
        return None


class NoStoreMiddleware:
    """Every page here is personal data (a candidate's answers, reports, exports) or a key to it (an exam page
    carries its token): no browser or proxy keeps a copy. Static files are served before this (whitenoise) and
    keep their long cache; a view that sets its own Cache-Control keeps it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if not response.has_header("Cache-Control"):
            response["Cache-Control"] = "no-store, private"
        return response


class ProbeMiddleware:
    """/healthz, /readyz and /metrics answer whatever Host header the caller sends.

    Orchestrators probe a container by its IP address (Kubernetes, Docker health checks) and Prometheus scrapes it
    the same way; neither address is in DJANGO_ALLOWED_HOSTS, so Django's host check would answer 400 to every probe.
    These three build no absolute URL and set no cookie, so the check guards nothing there. After the request id and
    the timing in MIDDLEWARE: the probes skip the rest (no session, no audit, no https redirect).
    """

    PATHS = frozenset({"/healthz", "/readyz", "/metrics"})

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path_info not in self.PATHS:
            return self.get_response(request)
        from django.urls import resolve

        request.resolver_match = match = resolve(request.path_info)  # the metrics and logs name the view by it
        return match.func(request, *match.args, **match.kwargs)

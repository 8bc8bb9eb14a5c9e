"""Who calls the API and what they may do: a key (Authorization: Bearer itk_…) or a staff session (the browsable
API). Scopes gate each endpoint; the access rules of the pages (tracks, objects) apply to the key's account."""

from __future__ import annotations

from django.conf import settings
from rest_framework import authentication, exceptions, permissions, throttling

from .models import APIKey
from .services import api_key_authenticate


class APIKeyAuthentication(authentication.BaseAuthentication):
    keyword = "Bearer"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).decode("latin-1")
        raw = ""
        if header.startswith(f"{self.keyword} "):
            raw = header[len(self.keyword) + 1:].strip()
        elif request.headers.get("X-API-Key"):
            raw = request.headers["X-API-Key"].strip()
        if not raw:
            return None
        key = api_key_authenticate(raw=raw)
        if key is None:
            raise exceptions.AuthenticationFailed("This API key is not valid or has been revoked.")
        return key.user, key

    def authenticate_header(self, request) -> str:
        return f'{self.keyword} realm="api"'


class HasScope(permissions.BasePermission):
    """The view's `read_scope` for safe methods, `write_scope` for the others. A staff session (browsable API) has
    no scopes: its role's model permissions and the page rules decide, as on the HTML pages."""

    message = "This API key does not have the scope this endpoint needs."

    def has_permission(self, request, view) -> bool:
        if not (request.user and request.user.is_authenticated):
            return False
        needed = view.read_scope if request.method in permissions.SAFE_METHODS else view.write_scope
        if isinstance(request.auth, APIKey):
            if needed not in request.auth.scopes:
                self.message = f"This API key does not have the scope {needed!r} this endpoint needs."
                return False
            return True
        return request.user.has_perm(getattr(view, "session_permission", "assessments.view_report"))


class KeyRateThrottle(throttling.SimpleRateThrottle):
    """Requests per key (per user for sessions), from API_RATE_LIMIT."""

    scope = "api"

    def get_rate(self) -> str:
        return settings.API_RATE_LIMIT

    def get_cache_key(self, request, view) -> str | None:
        if isinstance(request.auth, APIKey):
            return self.cache_format % {"scope": self.scope, "ident": f"key-{request.auth.prefix}"}
        if request.user and request.user.is_authenticated:
            return self.cache_format % {"scope": self.scope, "ident": f"user-{request.user.pk}"}
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}

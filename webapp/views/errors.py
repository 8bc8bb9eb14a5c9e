"""Error answers that say what happened and that nothing typed is lost.

Rendered without a request context: a page shown because the database or the broker is down must not need
either (the base template reads the session and the signed-in user). A fetch() caller (Accept: JSON) gets the
same {"code", "error"} body as every other refusal, so the exam page can decide whether to retry.
"""

from __future__ import annotations

import logging
import sys

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.middleware.csrf import get_token
from django.template.loader import render_to_string
from django.utils.http import url_has_allowed_host_and_scheme

from ops.outage import is_infrastructure_error

log = logging.getLogger(__name__)

RETRY_AFTER_S = 10
SAFE = ("If you are taking an exam: your saved answers are safe, and anything typed since the last save is kept "
        "in this browser and sent when the page is back.")


def _wants_json(request: HttpRequest) -> bool:
    return ("application/json" in request.headers.get("Accept", "") or bool(request.headers.get("HX-Request"))
            or request.path.startswith("/api/"))


def _answer(request: HttpRequest, *, status: int, code: str, title: str, message: str, retry_after: int | None = None,
            extra: dict | None = None, back: bool = False) -> HttpResponse:
    if _wants_json(request):
        response: HttpResponse = JsonResponse({"code": code, "error": message, **(extra or {})}, status=status)
    else:
        # A GET is simply asked again (the page refreshes itself); a refused POST is retried from the page that
        # made it, since its own URL answers only POST.
        get = request.method in ("GET", "HEAD")
        html = render_to_string("errors/page.html", {
            "status": status, "title": title, "message": message, "refresh": retry_after if get else None,
            "again": request.get_full_path() if get and not back else _back_url(request)})
        response = HttpResponse(html, status=status)
    if retry_after:
        response["Retry-After"] = str(retry_after)
    return response


def _back_url(request: HttpRequest) -> str:
    """A refused form post is retried from the page that posted it (the post's own URL answers only POST)."""
    referer = request.headers.get("Referer", "")
    if referer and url_has_allowed_host_and_scheme(referer, allowed_hosts={request.get_host()},
                                                   require_https=request.is_secure()):
        return referer
    return "/"


def server_error(request: HttpRequest) -> HttpResponse:
    """handler500. Django calls it inside its except block, so the exception is still at hand."""
    if is_infrastructure_error(sys.exc_info()[1]):
        return _answer(request, status=503, code="unavailable", title="Back in a moment",
                       message="The service is briefly unavailable (a database or queue is being restarted). "
                               f"{SAFE} This page tries again by itself.",
                       retry_after=RETRY_AFTER_S)
    return _answer(request, status=500, code="server_error", title="Something went wrong on our side",
                   message="The server failed to answer this request; it has been logged for the team. "
                           f"{SAFE} This page tries again by itself; if it keeps failing, tell your contact.",
                   retry_after=30)


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """handler400: a body over the upload limit is the usual one from a candidate (a huge paste)."""
    if isinstance(exception, RequestDataTooBig):
        return _answer(request, status=413, code="too_long", title="Too large to save",
                       message=f"This answer is too large to save (the limit is {settings.EXAM_MAX_ANSWER_CHARS:,} "
                               "characters). It is kept in this browser; shorten it and it will save again.",
                       back=True)
    return _answer(request, status=400, code="bad_request", title="The request could not be read",
                   message="The server could not read this request. Go back and try again; reload the page if it "
                           "keeps happening.", back=True)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """CSRF_FAILURE_VIEW. The usual cause is harmless (cookies cleared, a session that expired, a second browser
    window that rotated the token), so say so and hand the page a fresh token to retry with; the refused request
    changed nothing."""
    log.info("CSRF refused %s %s: %s", request.method, request.path, reason)
    return _answer(request, status=403, code="csrf_failed", title="Please try that again",
                   message="The page's security token had expired or been replaced (for example after cookies "
                           "were cleared or the session ended), so the server refused this request and changed "
                           "nothing. Reload the page and try again; exam answers are kept in this browser "
                           "meanwhile.",
                   extra={"csrf_token": get_token(request)}, back=True)


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """handler404: the API answers in its own error body even for a URL that matches no route."""
    if request.path.startswith("/api/"):
        body = {"code": "not_found", "message": "No such resource."}
        if "/greenhouse/" in request.path:
            return JsonResponse({"errors": [body["message"]]}, status=404)
        return JsonResponse({"error": body}, status=404)
    from django.views.defaults import page_not_found

    return page_not_found(request, exception)

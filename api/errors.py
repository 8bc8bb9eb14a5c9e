"""One error body for every refusal: {"error": {"code", "message", "fields"?}}, whatever raised it."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_handler

from assessments.errors import AssessmentError, NotFound


def exception_handler(exc, context):
    if isinstance(exc, NotFound | Http404):
        exc = exceptions.NotFound(str(exc) or "Not found.")
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or None)
    elif isinstance(exc, AssessmentError):
        return Response({"error": {"code": getattr(exc, "code", "refused"), "message": str(exc)}},
                        status=status.HTTP_409_CONFLICT)
    response = drf_handler(exc, context)
    if response is None:
        return None  # a bug: Django's 500 handler answers (in JSON for API callers)
    detail = response.data
    if isinstance(exc, exceptions.ValidationError):
        body = {"code": "invalid", "message": "The request has invalid fields.", "fields": detail}
    else:
        message = detail.get("detail", detail) if isinstance(detail, dict) else detail
        body = {"code": getattr(getattr(exc, "detail", None), "code", None) or getattr(exc, "default_code", "error"),
                "message": str(message)}
    response.data = {"error": body}
    return response

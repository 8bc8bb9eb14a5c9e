"""Idempotency-Key on POSTs: a retried request (a timeout on the caller's side) gets the first reply again and
changes nothing; the same key with a different request is refused, so a caller's bug cannot pass for a retry."""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta
from functools import wraps

from django.db import transaction
from django.utils import timezone
from rest_framework.response import Response

from .models import APIKey, IdempotentReply

MAX_KEY = 200
KEEP = timedelta(hours=24)  # how long a reply can be replayed


def _fingerprint(request) -> str:
    body = json.dumps(request.data, sort_keys=True, default=str) if request.data else ""
    return hashlib.sha256(f"{request.method} {request.path}\n{body}".encode()).hexdigest()


def idempotent(view_method):
    """For a view method answering a POST: replay the stored reply of a repeated Idempotency-Key (per API key)."""

    @wraps(view_method)
    def wrapper(self, request, *args, **kwargs):
        idem = request.headers.get("Idempotency-Key", "").strip()
        if not idem or not isinstance(request.auth, APIKey):
            return view_method(self, request, *args, **kwargs)
        if len(idem) > MAX_KEY:
            return Response({"error": {"code": "invalid", "message": f"Idempotency-Key is longer than {MAX_KEY} "
                                                                      "characters."}}, status=400)
        fingerprint = _fingerprint(request)
        with transaction.atomic():
            # One idempotent POST at a time per key: a twin sent concurrently waits here, then finds the reply.
            APIKey.objects.select_for_update().filter(pk=request.auth.pk).first()
            stored = IdempotentReply.objects.filter(key=request.auth, idempotency_key=idem).first()
            if stored is not None:
                if stored.fingerprint != fingerprint:
                    return Response({"error": {"code": "idempotency_key_reused", "message": (
                        "This Idempotency-Key was used for a different request; use a new key for a new "
                        "request.")}}, status=422)
                replay = Response(stored.body, status=stored.status)
                replay["Idempotent-Replayed"] = "true"
                return replay
            response = view_method(self, request, *args, **kwargs)
            if response.status_code < 500:
                # An exam link is shown once and never stored (only its hash is): a replay says so instead.
                body = dict(response.data) if isinstance(response.data, dict) else response.data
                if isinstance(body, dict) and body.get("link"):
                    body["link"] = None
                    body["link_note"] = ("The link was returned by the first reply only; resend the invitation "
                                         "for a new one.")
                IdempotentReply.objects.filter(key=request.auth, created_at__lt=timezone.now() - KEEP).delete()
                IdempotentReply.objects.create(key=request.auth, idempotency_key=idem, fingerprint=fingerprint,
                                               status=response.status_code, body=body)
            return response

    return wrapper

"""The candidate's exam. No account: the signed invitation token in the URL is the key, and every
view resolves it to one attempt, so a candidate can only ever reach their own answers and runs.

Writes answer JSON to fetch() callers (Accept: application/json) and redirect after a plain form
post, so written answers work without JavaScript.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from functools import lru_cache, wraps
from typing import TYPE_CHECKING

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.safestring import SafeString
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from assessments import selectors, services
from assessments.consent import current_notice
from assessments.models import AttemptStatus
from graders import selectors as run_selectors
from graders import services as run_services
from ops.logs import log_context_bind
from ops.metrics import autosave_observed

from .. import ratelimit
from ..markdown import render_markdown

if TYPE_CHECKING:
    from assessments.models import Attempt, Invitation


def _wants_json(request: HttpRequest) -> bool:
    return "application/json" in request.headers.get("Accept", "")


def _refuse(request: HttpRequest, template: str, context: dict, status: int) -> HttpResponse:
    return render(request, template, context, status=status)


def with_invitation(view):
    """Resolve the token and pass the invitation; invalid tokens are rate limited per client address."""

    @wraps(view)
    def wrapper(request: HttpRequest, token: str, *args, **kwargs):
        # The token is checked first: one that verifies is never refused, whatever else came from the same address
        # (behind a proxy without TRUSTED_PROXIES every candidate shares one). Only failures count and are limited.
        try:
            invitation = selectors.invitation_from_token(token=token)
        except services.NotFound:
            ip = ratelimit.client_address(request)
            limit, window = settings.INVITATION_LOOKUP_FAILURES, settings.INVITATION_LOOKUP_WINDOW_S
            if ratelimit.hit("invite", ip, window_s=window) > limit:
                response = _refuse(request, "exam/refused.html", {
                    "title": "Too many attempts",
                    "message": "Too many invalid invitation links were tried from this address. "
                               "Please wait a few minutes and open the link from your email again.",
                }, status=429)
                response["Retry-After"] = str(window)
                return response
            if _wants_json(request):
                return JsonResponse({"code": "invalid_link", "error": "This invitation link is not valid."},
                                    status=404)
            return _refuse(request, "exam/refused.html", {
                "title": "This link is not valid",
                "message": "The invitation link is incomplete or has been changed. Copy the whole link from "
                           "your invitation email; if it still fails, ask your recruiter for a new one.",
            }, status=404)
        return view(request, invitation, token, *args, **kwargs)

    return wrapper


def with_attempt(view):
    """As with_invitation, plus the started attempt (closed first if its deadline has passed)."""

    @with_invitation
    @wraps(view)
    def wrapper(request: HttpRequest, invitation: Invitation, token: str, *args, **kwargs):
        attempt = selectors.attempt_for_invitation(invitation=invitation)
        if attempt is None:
            if _wants_json(request):
                return JsonResponse({"code": "not_started", "error": "This exam has not been started."}, status=409)
            return redirect("exam-landing", token=token)
        attempt = services.attempt_close_if_due(attempt=attempt)
        # Every line this request writes names the attempt (the URL names only its token, which is never logged);
        # RequestLogMiddleware resets the context when the request ends.
        log_context_bind(attempt_id=attempt.pk)
        return view(request, invitation, token, attempt, *args, **kwargs)

    return wrapper


def _clock(attempt: Attempt) -> dict:
    now = timezone.now()
    return {"server_now": now.isoformat(), "deadline_at": attempt.deadline_at.isoformat(),
            "seconds_left": max(0, int((attempt.deadline_at - now).total_seconds()))}


# --- landing and start -------------------------------------------------------------------------


@never_cache
@require_GET
@with_invitation
def landing(request: HttpRequest, invitation: Invitation, token: str) -> HttpResponse:
    attempt = selectors.attempt_for_invitation(invitation=invitation)
    if attempt is not None:
        attempt = services.attempt_close_if_due(attempt=attempt)
        if attempt.status == AttemptStatus.SUBMITTED:
            return redirect("exam-done", token=token)
        return redirect("exam-resume", token=token)
    page = selectors.exam_landing_get(invitation=invitation)
    context = {"invitation": invitation, "track": page.track, "sections": page.sections, "refusal": page.refusal,
               "minutes": page.minutes, "token": token, "consent": current_notice(),
               "accommodations": page.accommodations, "presets": [
                   (p, services.accommodation_minutes(invitation=invitation, percent=p))
                   for p in services.ACCOMMODATION_PRESETS]}
    return render(request, "exam/landing.html", context, status=410 if page.refusal else 200)


@require_POST
@with_invitation
def accommodation_request(request: HttpRequest, invitation: Invitation, token: str) -> HttpResponse:
    """The landing page's "request an adjustment" form: recorded for the staff who manage the track to decide."""
    raw = request.POST.get("extra_percent", "")
    try:
        percent = int(raw) if raw else None
    except ValueError:
        percent = -1
    try:
        services.accommodation_request(invitation=invitation, extra_percent=percent,
                                       details=request.POST.get("details", ""))
    except services.AssessmentError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, "Your request was sent. You will see the decision on this page (and by e-mail "
                                  "from your contact); your time is set when you press Start.")
    return redirect("exam-landing", token=token)


@require_POST
@with_invitation
def start(request: HttpRequest, invitation: Invitation, token: str) -> HttpResponse:
    try:
        services.attempt_start(invitation=invitation, consent=request.POST.get("consent") == "on",
                               consent_version=request.POST.get("consent_version"))
    except services.ConsentRequired as exc:
        messages.error(request, str(exc))
        return redirect("exam-landing", token=token)
    except services.InvitationUnusable:
        return redirect("exam-landing", token=token)
    return redirect("exam-resume", token=token)


@require_GET
@with_attempt
def resume(request: HttpRequest, invitation: Invitation, token: str, attempt: Attempt) -> HttpResponse:
    """Where the link leads once started: the first unanswered question (or the first one)."""
    if attempt.status == AttemptStatus.SUBMITTED:
        return redirect("exam-done", token=token)
    target = selectors.exam_progress_get(attempt=attempt).first_unanswered
    if target is None:
        return redirect("exam-submit", token=token)
    return redirect("exam-question", token=token, slug=target.question.slug)


# --- the exam page -----------------------------------------------------------------------------


@lru_cache(maxsize=512)
def _prompt_html(prompt_md: str) -> SafeString:
    """A question's prompt as HTML. Rendered once per process and text (a prompt is fixed per question version),
    not on every page view: Markdown and the sanitiser were a good part of the page's time (issue 17)."""
    return render_markdown(prompt_md, shift_headings=1)


@never_cache
@require_GET
@with_attempt
def question(request: HttpRequest, invitation: Invitation, token: str, attempt: Attempt, slug: str) -> HttpResponse:
    if attempt.status == AttemptStatus.SUBMITTED:
        return redirect("exam-done", token=token)
    page = selectors.exam_question_get(attempt=attempt, slug=slug)
    run = None
    if page.question.is_coding:
        run = run_selectors.attempt_visible_run_for_page(attempt=attempt, question=page.question,
                                                         run_id=request.GET.get("run"))
    context = {
        "token": token, "attempt": attempt, "track": attempt.track, "outline": page.progress.outline,
        "item": page.item, "question": page.question, "prompt_html": _prompt_html(page.question.prompt_md),
        "body": page.body, "revision": page.revision,
        "saved_at": page.saved_at, "previous": page.previous, "next": page.next, "count": page.progress.count,
        "answered": page.progress.answered, "clock": _clock(attempt), "visible_tests": page.visible_tests,
        "run": run, "max_chars": settings.EXAM_MAX_ANSWER_CHARS,
    }
    return render(request, "exam/question.html", context)


@autosave_observed  # latency and refusals by reason (docs/observability.md)
@require_POST
@with_attempt
def answer_save(request: HttpRequest, invitation: Invitation, token: str, attempt: Attempt,
                slug: str) -> HttpResponse:
    """Autosave (fetch, JSON) and the no-JavaScript Save button (form post, redirect)."""
    current = selectors.exam_question(attempt=attempt, slug=slug)
    as_json = _wants_json(request)
    back = reverse("exam-question", kwargs={"token": token, "slug": slug})
    body = request.POST.get("body", "").replace("\r\n", "\n")
    try:
        base_revision = int(request.POST.get("base_revision", ""))
    except ValueError:
        return _save_error(request, as_json, back, 400, "bad_request", "The save did not say which version it "
                           "was based on; reload the page (your text is kept in this browser).")
    if ratelimit.hit("save", str(attempt.pk), window_s=60) > settings.EXAM_SAVES_PER_MINUTE:
        # One attempt saving in a loop (a script, a stuck tab): refused for a moment; the page keeps the text and
        # retries after Retry-After, so nothing typed is lost.
        resp = _save_error(request, as_json, back, 429, "too_many_saves",
                           "Saving paused for a moment (too many saves in a minute); your text is kept and will be "
                           "saved shortly.")
        resp["Retry-After"] = "10"
        return resp
    if len(body) > settings.EXAM_MAX_ANSWER_CHARS:
        return _save_error(request, as_json, back, 413, "too_long",
                           f"This answer is longer than {settings.EXAM_MAX_ANSWER_CHARS:,} characters and was not "
                           "saved. Shorten it and it will save again.")
    try:
        response = services.response_save(attempt=attempt, question=current, body=body, base_revision=base_revision)
    except services.StaleRevision as exc:
        if as_json:
            return JsonResponse({"code": exc.code, "error": str(exc), "current_revision": exc.current_revision,
                                 "current_body": exc.current_body, **_clock(attempt)}, status=409)
        # Without JavaScript: show both versions side by side so nothing typed is lost.
        return render(request, "exam/conflict.html", {
            "token": token, "question": current, "mine": body, "theirs": exc.current_body,
            "current_revision": exc.current_revision, "message": str(exc)}, status=409)
    except (services.DeadlinePassed, services.AttemptClosed) as exc:
        return _save_error(request, as_json, back, 403, exc.code, str(exc))
    except services.AssessmentError as exc:
        return _save_error(request, as_json, back, 400, exc.code, str(exc))
    if as_json:
        return JsonResponse({"revision": response.revision, "saved_at": response.updated_at.isoformat(),
                             **_clock(attempt)})
    messages.success(request, f"Saved at {timezone.localtime(response.updated_at):%H:%M:%S}.")
    return redirect(back)


def _save_error(request: HttpRequest, as_json: bool, back: str, status: int, code: str, message: str) -> HttpResponse:
    if as_json:
        return JsonResponse({"code": code, "error": message}, status=status)
    messages.error(request, message)
    return redirect(back)


# --- visible tests -----------------------------------------------------------------------------


@require_POST
@with_attempt
def run_visible(request: HttpRequest, invitation: Invitation, token: str, attempt: Attempt, slug: str) -> HttpResponse:
    current = selectors.exam_question(attempt=attempt, slug=slug)
    if not current.is_coding:
        raise Http404("Only coding questions have tests")
    back = reverse("exam-question", kwargs={"token": token, "slug": slug})
    try:
        run = run_services.visible_run_request(attempt=attempt, question=current,
                                               body=request.POST.get("body", "").replace("\r\n", "\n"))
    except run_services.RunRefused as exc:
        if request.htmx:
            return render(request, "exam/question.html#run-refused", {"message": str(exc)})
        messages.error(request, str(exc))
        return redirect(back)
    if request.htmx:
        return render(request, "exam/question.html#run-result", {"run": run, "token": token})
    return redirect(f"{back}?run={run.pk}#run-result")


@never_cache
@require_GET
@with_attempt
def run_status(request: HttpRequest, invitation: Invitation, token: str, attempt: Attempt,
               run_id: str) -> HttpResponse:
    run = run_selectors.attempt_visible_run(attempt=attempt, run_id=run_id)
    response = render(request, "exam/question.html#run-result", {"run": run, "token": token})
    if run.is_final:
        response.status_code = 286  # htmx stops polling on 286
    return response


@require_GET
@with_attempt
def visible_file(request: HttpRequest, invitation: Invitation, token: str, attempt: Attempt, slug: str,
                 path: str) -> HttpResponse:
    """An example file of a lab's visible tests (a clip to play, its transcripts), for the candidate's own exam
    only; anything not listed as a visible file of this question is a 404, so no other file can be asked for."""
    current = selectors.exam_question(attempt=attempt, slug=slug)
    data, content_type = selectors.exam_visible_file(question=current, path=path)
    response = HttpResponse(data, content_type=content_type)
    response["Cache-Control"] = "private, max-age=3600"  # content of a fixed question version: safe to keep
    response["Content-Disposition"] = "inline"
    return response


# --- integrity signals -------------------------------------------------------------------------


@require_POST
@with_attempt
def signals(request: HttpRequest, invitation: Invitation, token: str, attempt: Attempt) -> HttpResponse:
    """Focus and paste signals, batched by the page (sendBeacon). Recorded, never blocking."""
    raw = request.body if request.content_type == "application/json" else request.POST.get("events", "[]")
    try:
        events = json.loads(raw or "[]")
    except (ValueError, UnicodeDecodeError):
        return JsonResponse({"code": "bad_request", "error": "events must be a JSON list"}, status=400)
    if not isinstance(events, list):
        return JsonResponse({"code": "bad_request", "error": "events must be a JSON list"}, status=400)
    batch = []
    for event in events:
        if not isinstance(event, dict):
            continue
        client_at = _client_time(event.get("at"))
        batch.append(services.IntegritySignal(
            kind=str(event.get("kind")), client_at=client_at,
            question_slug=event["question"] if isinstance(event.get("question"), str) else None,
            chars=event["chars"] if isinstance(event.get("chars"), int) else None))
    recorded = services.integrity_signals_record(attempt=attempt, signals=batch)
    return JsonResponse({"recorded": recorded})


def _client_time(value: object) -> datetime | None:
    """The page's own clock for a signal: kept as evidence only, so a missing, malformed or impossible time
    ("2026-13-45T99:00") is dropped, never an error; a time without a zone is taken as UTC."""
    if not isinstance(value, str) or len(value) > 64:
        return None
    try:
        parsed = parse_datetime(value)
    except ValueError:
        return None
    if parsed is not None and timezone.is_naive(parsed):
        parsed = parsed.replace(tzinfo=UTC)
    return parsed


# --- submit ------------------------------------------------------------------------------------


@never_cache
@require_http_methods(["GET", "POST"])
@with_attempt
def submit(request: HttpRequest, invitation: Invitation, token: str, attempt: Attempt) -> HttpResponse:
    if attempt.status == AttemptStatus.SUBMITTED:
        return redirect("exam-done", token=token)
    if request.method == "POST":
        services.attempt_submit(attempt=attempt)
        return redirect("exam-done", token=token)
    progress = selectors.exam_progress_get(attempt=attempt)
    return render(request, "exam/submit.html", {
        "token": token, "attempt": attempt, "track": attempt.track, "outline": progress.outline,
        "count": progress.count, "answered": progress.answered, "clock": _clock(attempt)})


@never_cache
@require_GET
@with_attempt
def done(request: HttpRequest, invitation: Invitation, token: str, attempt: Attempt) -> HttpResponse:
    if attempt.status != AttemptStatus.SUBMITTED:
        return redirect("exam-resume", token=token)
    return render(request, "exam/done.html", {"attempt": attempt, "track": attempt.track,
                                              "candidate": invitation.candidate})

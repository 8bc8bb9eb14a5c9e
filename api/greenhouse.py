"""Greenhouse's Assessment Partner API, as Greenhouse calls it (developers.greenhouse.io/assessment.html):
list_tests, send_test, test_status and response_error, authenticated by HTTP Basic with an API key as the user
name. Greenhouse does not e-mail candidates: send_test creates the candidate and invitation and e-mails the link.

Status mapping (partner_status): not_started -> "sent", in_progress -> "in_progress", submitted but the report not
final yet -> "submitted" (grading or scorecards pending), final -> "complete" (with partner_score, the combined
signal x 100, and partner_profile_url, the report page, which opens for signed-in managers of the track only),
withdrawn -> "withdrawn", expired unused -> "expired"."""

from __future__ import annotations

import base64

from django.db import transaction
from django.urls import reverse
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import authentication, exceptions, serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from assessments import selectors as page_selectors
from assessments import services
from assessments.services.events import report_is_final

from . import selectors
from .auth import HasScope
from .models import GreenhouseErrorNotice, GreenhouseTest
from .services import api_key_authenticate


class GreenhouseBasicAuthentication(authentication.BaseAuthentication):
    """HTTP Basic: the API key is the user name, the password is empty (Greenhouse's convention)."""

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).decode("latin-1")
        if not header.startswith("Basic "):
            return None
        try:
            raw = base64.b64decode(header[6:].strip()).decode("utf-8").split(":", 1)[0]
        except (ValueError, UnicodeDecodeError):
            raise exceptions.AuthenticationFailed("Malformed Basic credentials.") from None
        key = api_key_authenticate(raw=raw)
        if key is None:
            raise exceptions.AuthenticationFailed("This API key is not valid or has been revoked.")
        return key.user, key

    def authenticate_header(self, request) -> str:
        return 'Basic realm="greenhouse"'


class GreenhouseView(APIView):
    authentication_classes = [GreenhouseBasicAuthentication]
    permission_classes = [HasScope]

    def handle_exception(self, exc):
        # Greenhouse shows partners' errors as a list of messages.
        response = super().handle_exception(exc)
        error = (response.data or {}).get("error", {}) if isinstance(response.data, dict) else {}
        messages = [error.get("message", "Request refused.")]
        for field, problems in (error.get("fields") or {}).items():
            messages.append(f"{field}: {'; '.join(map(str, problems)) if isinstance(problems, list) else problems}")
        response.data = {"errors": messages}
        return response


class _Test(serializers.Serializer):
    partner_test_id = serializers.CharField()
    partner_test_name = serializers.CharField()


class _Sent(serializers.Serializer):
    partner_interview_id = serializers.CharField()


class _Status(serializers.Serializer):
    partner_status = serializers.ChoiceField(["sent", "in_progress", "submitted", "complete", "withdrawn",
                                              "expired"])
    partner_profile_url = serializers.URLField(allow_null=True)
    partner_score = serializers.IntegerField(allow_null=True)
    metadata = serializers.DictField(child=serializers.CharField())


class _Notice(serializers.Serializer):
    api_call = serializers.CharField(required=False)
    errors = serializers.ListField(child=serializers.CharField(), required=False)
    partner_test_id = serializers.CharField(required=False)
    partner_interview_id = serializers.CharField(required=False)
    candidate_email = serializers.CharField(required=False)


class _Received(serializers.Serializer):
    status = serializers.CharField()


@extend_schema(tags=["greenhouse"], responses={200: _Test(many=True)})
class ListTests(GreenhouseView):
    read_scope = write_scope = "tracks:read"

    def get(self, request):
        return Response([{"partner_test_id": t.slug, "partner_test_name": t.title}
                         for t in selectors.tracks_for(user=request.user)])


class _Candidate(serializers.Serializer):
    first_name = serializers.CharField(max_length=100)
    last_name = serializers.CharField(max_length=100, allow_blank=True)
    email = serializers.EmailField()
    greenhouse_profile_url = serializers.URLField(required=False, allow_blank=True, max_length=500)
    resume_url = serializers.CharField(required=False, allow_blank=True)
    phone_number = serializers.CharField(required=False, allow_blank=True)


class _SendTest(serializers.Serializer):
    partner_test_id = serializers.CharField(max_length=100)
    candidate = _Candidate()
    url = serializers.URLField(required=False, allow_blank=True, max_length=500)


@extend_schema(tags=["greenhouse"], request=_SendTest, responses={200: _Sent})
class SendTest(GreenhouseView):
    read_scope = write_scope = "invitations:write"

    def post(self, request):
        incoming = _SendTest(data=request.data)
        incoming.is_valid(raise_exception=True)
        data = incoming.validated_data
        slug = str(data["partner_test_id"])
        track = next((t for t in page_selectors.invitation_tracks(user=request.user) if t.slug == slug), None)
        if track is None:
            raise exceptions.ValidationError({"partner_test_id": f"no test {slug!r} for this API key"})
        person = data["candidate"]
        with transaction.atomic():
            invitation = services.invitation_issue(
                full_name=f"{person['first_name']} {person.get('last_name', '')}".strip(), email=person["email"],
                track=track, created_by=request.user)
            sent = GreenhouseTest.objects.create(invitation=invitation, key=request.auth,
                                                 greenhouse_profile_url=person.get("greenhouse_profile_url", ""),
                                                 callback_url=data.get("url", ""))
            link = request.build_absolute_uri(reverse("exam-landing", args=[invitation.token]))
            transaction.on_commit(lambda: services.invitation_email_send(invitation=invitation, link=link))
        return Response({"partner_interview_id": sent.partner_interview_id})


def partner_status(sent: GreenhouseTest) -> str:
    state = selectors.invitation_state(sent.invitation)
    if state == "submitted":
        return "complete" if report_is_final(attempt=sent.invitation.attempt) else "submitted"
    return {"not_started": "sent"}.get(state, state)


@extend_schema(tags=["greenhouse"], responses={200: _Status},
               parameters=[OpenApiParameter("partner_interview_id", str, required=True)])
class TestStatus(GreenhouseView):
    read_scope = write_scope = "reports:read"

    def get(self, request):
        pid = request.query_params.get("partner_interview_id", "")
        visible = selectors.invitations_for(user=request.user)
        sent = (GreenhouseTest.objects.select_related("invitation__attempt", "invitation__track")
                .filter(partner_interview_id=pid, invitation__in=visible).first())
        if sent is None:
            raise exceptions.NotFound(f"No test {pid!r} for this API key.")
        status = partner_status(sent)
        body: dict = {"partner_status": status, "partner_profile_url": None, "partner_score": None, "metadata": {}}
        attempt = getattr(sent.invitation, "attempt", None)
        if attempt is not None:
            body["partner_profile_url"] = request.build_absolute_uri(reverse("report-attempt", args=[attempt.pk]))
            meta = {"Started at": attempt.started_at.strftime("%Y-%m-%d %H:%M UTC")}
            if attempt.submitted_at:
                meta["Submitted at"] = attempt.submitted_at.strftime("%Y-%m-%d %H:%M UTC")
            if status == "complete":
                s = page_selectors.attempt_report(attempt=attempt, user=request.user).summary
                if s.combined is not None:
                    body["partner_score"] = round(100 * s.combined)
                if s.interval:
                    meta["Combined signal, 90% interval"] = f"{100 * s.interval[0]:.0f}-{100 * s.interval[1]:.0f}"
                if s.level:
                    meta["Level"] = s.level
                meta["Raters"] = str(s.raters)
                if s.flags:
                    meta["Flags"] = "; ".join(s.flags)[:500]
            body["metadata"] = meta  # flat strings: Greenhouse shows them as a table
        return Response(body)


@extend_schema(tags=["greenhouse"], request=_Notice, responses={200: _Received})
class ResponseError(GreenhouseView):
    read_scope = write_scope = "tracks:read"

    def post(self, request):
        if not isinstance(request.data, dict):
            raise exceptions.ValidationError({"body": "must be a JSON object"})
        GreenhouseErrorNotice.objects.create(key=request.auth, body=request.data)
        return Response({"status": "received"})

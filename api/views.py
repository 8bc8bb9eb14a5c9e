"""The public API, v1. Thin: reads through api.selectors (the pages' access rules), writes through the
assessments services, the same ones the pages call."""

from __future__ import annotations

from datetime import UTC, timedelta

from django.db import transaction
from django.urls import reverse
from django.utils.dateparse import parse_datetime
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, generics, status
from rest_framework.pagination import CursorPagination
from rest_framework.response import Response
from rest_framework.views import APIView

from assessments import selectors as page_selectors
from assessments import services
from assessments.models import AttemptStatus

from . import selectors, serializers
from .auth import HasScope
from .idempotency import idempotent


class NewestFirst(CursorPagination):
    ordering = "-created_at"
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200


class AttemptsNewestFirst(NewestFirst):
    ordering = "-started_at"


def _when(request, name: str):
    """A date-time filter, in UTC; refused (400) unless the database can hold it: a real offset (within 14 h,
    as PostgreSQL requires; the schema fuzz test sent "+22:01") and a year the conversion keeps in range."""
    raw = request.query_params.get(name)
    if not raw:
        return None
    invalid = exceptions.ValidationError({name: "must be an ISO 8601 date-time, e.g. 2026-12-01T09:00:00Z"})
    try:
        value = parse_datetime(raw)
    except ValueError:
        raise invalid from None
    if value is None:
        raise invalid
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    offset = value.utcoffset()
    if offset is None or abs(offset) > timedelta(hours=14):
        raise invalid
    try:
        return value.astimezone(UTC)
    except (OverflowError, ValueError):
        raise invalid from None


class Base:
    permission_classes = [HasScope]
    read_scope = write_scope = "tracks:read"


# --- tracks --------------------------------------------------------------------------------------------------


@extend_schema(tags=["tracks"])
class TrackList(Base, generics.ListAPIView):
    read_scope = "tracks:read"
    serializer_class = serializers.TrackSerializer
    pagination_class = None

    def get_queryset(self):
        return selectors.tracks_for(user=self.request.user)


@extend_schema(tags=["tracks"])
class TrackDetail(Base, generics.RetrieveAPIView):
    read_scope = "tracks:read"
    serializer_class = serializers.TrackDetailSerializer

    def get_object(self):
        return selectors.track_for(user=self.request.user, slug=self.kwargs["slug"])


# --- invitations ---------------------------------------------------------------------------------------------

INVITATION_FILTERS = [
    OpenApiParameter("track", str, description="Track slug"),
    OpenApiParameter("state", str, enum=list(selectors.INVITATION_STATES)),
    OpenApiParameter("created_after", OpenApiTypes.DATETIME),
    OpenApiParameter("created_before", OpenApiTypes.DATETIME),
]


@extend_schema(tags=["invitations"])
class InvitationList(Base, generics.ListCreateAPIView):
    read_scope, write_scope = "invitations:read", "invitations:write"
    session_permission = "assessments.view_invitation"
    pagination_class = NewestFirst

    def get_serializer_class(self):
        return serializers.InvitationCreateSerializer if self.request.method == "POST" \
            else serializers.InvitationSerializer

    def get_queryset(self):
        state = self.request.query_params.get("state")
        if state and state not in selectors.INVITATION_STATES:
            raise exceptions.ValidationError({"state": f"one of {', '.join(selectors.INVITATION_STATES)}"})
        return selectors.invitations_for(user=self.request.user, track=self.request.query_params.get("track"),
                                         state=state, created_after=_when(self.request, "created_after"),
                                         created_before=_when(self.request, "created_before"))

    @extend_schema(parameters=INVITATION_FILTERS)
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(request=serializers.InvitationCreateSerializer,
                   responses={201: serializers.IssuedInvitationSerializer},
                   parameters=[OpenApiParameter("Idempotency-Key", str, OpenApiParameter.HEADER,
                                                description="Replays the first reply for a retried request")])
    @idempotent
    def post(self, request, *args, **kwargs):
        incoming = serializers.InvitationCreateSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        data = incoming.validated_data
        # The tracks this caller may invite to are the pages' rule; another track is "no such track".
        track = next((t for t in page_selectors.invitation_tracks(user=request.user) if t.slug == data["track"]), None)
        if track is None:
            raise exceptions.ValidationError({"track": f"no track {data['track']!r} that this key may invite to"})
        with transaction.atomic():
            invitation = services.invitation_issue(
                full_name=data["full_name"], email=data["email"], track=track, created_by=request.user,
                expires_in_days=data.get("expires_in_days"), window_opens_at=data.get("window_opens_at"),
                window_closes_at=data.get("window_closes_at"))
        return self._issued(request, invitation, data["send_email"], status.HTTP_201_CREATED)

    @staticmethod
    def _issued(request, invitation, send_email: bool, code: int) -> Response:
        body = serializers.IssuedInvitationSerializer(invitation, context={"request": request}).data
        if send_email:
            services.invitation_email_send(invitation=invitation, link=body["link"])
            body["emailed"] = True
        return Response(body, status=code)


@extend_schema(tags=["invitations"])
class InvitationDetail(Base, generics.RetrieveAPIView):
    read_scope = "invitations:read"
    session_permission = "assessments.view_invitation"
    serializer_class = serializers.InvitationSerializer

    def get_object(self):
        return selectors.invitation_for(user=self.request.user, invitation_id=self.kwargs["pk"])


@extend_schema(tags=["invitations"], request=None, responses={200: serializers.InvitationSerializer})
class InvitationWithdraw(Base, APIView):
    read_scope = write_scope = "invitations:write"
    session_permission = "assessments.change_invitation"

    @idempotent
    def post(self, request, pk: int):
        invitation = selectors.invitation_for(user=request.user, invitation_id=pk)
        services.invitations_withdraw(invitations=[invitation])
        invitation = selectors.invitation_for(user=request.user, invitation_id=pk)
        return Response(serializers.InvitationSerializer(invitation).data)


@extend_schema(tags=["invitations"], request=serializers.ResendSerializer,
               responses={200: serializers.IssuedInvitationSerializer})
class InvitationResend(Base, APIView):
    """A new link (the old one stops working), e-mailed to the candidate unless send_email is false; refused once
    the candidate has started."""

    read_scope = write_scope = "invitations:write"
    session_permission = "assessments.change_invitation"

    @idempotent
    def post(self, request, pk: int):
        incoming = serializers.ResendSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        invitation = selectors.invitation_for(user=request.user, invitation_id=pk)
        invitation = services.invitation_link_renew(invitation=invitation)
        return InvitationList._issued(request, invitation, incoming.validated_data["send_email"], status.HTTP_200_OK)


# --- attempts, gradings, scorecards, reports -------------------------------------------------------------------


@extend_schema(tags=["attempts"], parameters=[
    OpenApiParameter("track", str), OpenApiParameter("status", str, enum=[s.value for s in AttemptStatus]),
    OpenApiParameter("submitted_after", OpenApiTypes.DATETIME),
    OpenApiParameter("submitted_before", OpenApiTypes.DATETIME)])
class AttemptList(Base, generics.ListAPIView):
    read_scope = "attempts:read"
    serializer_class = serializers.AttemptSerializer
    pagination_class = AttemptsNewestFirst

    def get_queryset(self):
        state = self.request.query_params.get("status")
        if state and state not in AttemptStatus.values:
            raise exceptions.ValidationError({"status": f"one of {', '.join(AttemptStatus.values)}"})
        return selectors.attempts_for(user=self.request.user, track=self.request.query_params.get("track"),
                                      status=state, submitted_after=_when(self.request, "submitted_after"),
                                      submitted_before=_when(self.request, "submitted_before"))


@extend_schema(tags=["attempts"])
class AttemptDetail(Base, generics.RetrieveAPIView):
    read_scope = "attempts:read"
    serializer_class = serializers.AttemptDetailSerializer

    def get_object(self):
        return selectors.attempt_for(user=self.request.user, attempt_id=self.kwargs["pk"])


@extend_schema(tags=["attempts"], responses={200: serializers.GradingSerializer(many=True)})
class AttemptGradings(Base, APIView):
    read_scope = "attempts:read"

    def get(self, request, pk: int):
        attempt = selectors.attempt_for(user=request.user, attempt_id=pk)
        return Response(serializers.GradingSerializer(selectors.attempt_gradings(attempt=attempt), many=True).data)


@extend_schema(tags=["scorecards"], responses={200: serializers.ScorecardSerializer(many=True)})
class AttemptScorecards(Base, APIView):
    """Submitted scorecards only: drafts are never shown to anyone but their author (blind scoring)."""

    read_scope = "scorecards:read"

    def get(self, request, pk: int):
        attempt = selectors.attempt_for(user=request.user, attempt_id=pk)
        cards = page_selectors.scorecards_visible_to(attempt=attempt, user=request.user)
        return Response(serializers.ScorecardSerializer(cards, many=True).data)


@extend_schema(tags=["reports"], responses={200: serializers.ReportSerializer})
class AttemptReport(Base, APIView):
    read_scope = "reports:read"

    def get(self, request, pk: int):
        attempt = selectors.attempt_for(user=request.user, attempt_id=pk)
        report = page_selectors.attempt_report(attempt=attempt, user=request.user)
        s = report.summary
        questions = [{"question": q["question"].slug, "section": q["placement"].section.slug,
                      "weight": q["placement"].weight,
                      "verdict": q["automated"].verdict if q["automated"] else None,
                      "automated_score": q["automated"].score if q["automated"] else None}
                     for q in report.questions]
        body = {"attempt_id": attempt.pk, "candidate": s.label, "track": attempt.track.slug,
                "automated": s.automated, "human": s.human, "combined": s.combined,
                "interval": list(s.interval) if s.interval else None, "level": s.level, "flags": s.flags,
                "raters": s.raters, "missing_scorecards": s.missing,
                "recommendations": [{"interviewer": None if who == "—" else who, "recommendation": rec}
                                    for who, rec in s.recommendations],
                "final": attempt.status == AttemptStatus.SUBMITTED and s.complete,
                "questions": questions,
                "report_url": request.build_absolute_uri(reverse("report-attempt", args=[attempt.pk]))}
        return Response(serializers.ReportSerializer(body).data)


@extend_schema(tags=["reports"], responses={200: serializers.ComparisonRowSerializer(many=True)})
class TrackComparison(Base, APIView):
    """The export of a track: every submitted attempt's combined signal, interval, level and flags (the
    comparison page and its CSV, as JSON)."""

    read_scope = "reports:read"

    def get(self, request, slug: str):
        selectors.track_for(user=request.user, slug=slug)
        rows = page_selectors.comparison(track_slug=slug, user=request.user)
        return Response(serializers.ComparisonRowSerializer(rows, many=True).data)

"""What the API returns and accepts. Output shapes are plain serializers over the pages' read-models."""

from __future__ import annotations

from django.urls import reverse
from rest_framework import serializers

from assessments import access

from . import selectors


class SectionQuestionSerializer(serializers.Serializer):
    slug = serializers.CharField(source="question.slug")
    title = serializers.CharField(source="question.title")
    kind = serializers.CharField(source="question.kind")
    version = serializers.IntegerField(source="question.version")
    weight = serializers.FloatField()


class SectionSerializer(serializers.Serializer):
    slug = serializers.CharField()
    title = serializers.CharField()
    time_limit_minutes = serializers.IntegerField()
    questions = SectionQuestionSerializer(source="items.all", many=True)


class TrackVersionSerializer(serializers.Serializer):
    version = serializers.IntegerField()
    is_current = serializers.BooleanField()
    content_hash = serializers.CharField()


class TrackSerializer(serializers.Serializer):
    slug = serializers.CharField()
    version = serializers.IntegerField()
    title = serializers.CharField()
    summary = serializers.CharField()
    timed_minutes = serializers.SerializerMethodField()
    automated_weight = serializers.FloatField()
    human_weight = serializers.FloatField()

    def get_timed_minutes(self, track) -> int:
        return track.timed_minutes()


class TrackDetailSerializer(TrackSerializer):
    sections = SectionSerializer(source="sections.all", many=True)
    versions = serializers.SerializerMethodField()

    def get_versions(self, track) -> list[dict]:
        return TrackVersionSerializer(selectors.track_versions(slug=track.slug), many=True).data


class CandidateSerializer(serializers.Serializer):
    name = serializers.CharField(source="full_name")
    email = serializers.EmailField()
    code = serializers.CharField()


class InvitationSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    candidate = CandidateSerializer()
    track = serializers.CharField(source="track.slug")
    track_version = serializers.IntegerField(source="track.version")
    state = serializers.SerializerMethodField()
    attempt_id = serializers.SerializerMethodField()
    expires_at = serializers.DateTimeField()
    window_opens_at = serializers.DateTimeField(allow_null=True)
    window_closes_at = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()
    withdrawn_at = serializers.DateTimeField(source="revoked_at", allow_null=True)

    def get_state(self, invitation) -> str:
        return selectors.invitation_state(invitation)

    def get_attempt_id(self, invitation) -> int | None:
        attempt = getattr(invitation, "attempt", None)
        return attempt.pk if attempt is not None else None


class IssuedInvitationSerializer(InvitationSerializer):
    link = serializers.SerializerMethodField(help_text="The candidate's exam link: returned once, never again")
    emailed = serializers.BooleanField(default=False)

    def get_link(self, invitation) -> str:
        return self.context["request"].build_absolute_uri(reverse("exam-landing", args=[invitation.token]))


class InvitationCreateSerializer(serializers.Serializer):
    full_name = serializers.CharField(max_length=200)
    email = serializers.EmailField()
    track = serializers.SlugField(help_text="Slug of a track this key may reach; its current version is used")
    expires_in_days = serializers.IntegerField(min_value=1, max_value=365, required=False)
    window_opens_at = serializers.DateTimeField(required=False, allow_null=True)
    window_closes_at = serializers.DateTimeField(required=False, allow_null=True)
    send_email = serializers.BooleanField(default=False, help_text="E-mail the link to the candidate")

    def validate(self, data):
        opens, closes = data.get("window_opens_at"), data.get("window_closes_at")
        if opens and closes and opens >= closes:
            raise serializers.ValidationError({"window_closes_at": "must be after window_opens_at"})
        return data


class ResendSerializer(serializers.Serializer):
    send_email = serializers.BooleanField(default=True)


class TimelineEntrySerializer(serializers.Serializer):
    at = serializers.DateTimeField()
    event = serializers.CharField()


class AttemptSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    invitation_id = serializers.IntegerField()
    candidate = serializers.SerializerMethodField()
    track = serializers.CharField(source="track.slug")
    track_version = serializers.IntegerField(source="track.version")
    status = serializers.CharField()
    started_at = serializers.DateTimeField()
    deadline_at = serializers.DateTimeField()
    submitted_at = serializers.DateTimeField(allow_null=True)
    submit_reason = serializers.CharField(allow_blank=True)

    def get_candidate(self, attempt) -> str:
        return access.candidate_label(attempt=attempt, user=self.context["request"].user)


class AttemptDetailSerializer(AttemptSerializer):
    timeline = serializers.SerializerMethodField()

    def get_timeline(self, attempt) -> list[dict]:
        events = [{"at": attempt.started_at, "event": "started"}]
        if attempt.submitted_at:
            events.append({"at": attempt.submitted_at, "event": f"submitted ({attempt.submit_reason or 'candidate'})"})
        for run in selectors.attempt_gradings(attempt=attempt):
            if run.finished_at:
                verdict = run.verdict or run.status
                events.append({"at": run.finished_at, "event": f"graded {run.question.slug}: {verdict}"})
        return TimelineEntrySerializer(sorted(events, key=lambda e: e["at"]), many=True).data


class GradingSerializer(serializers.Serializer):
    question = serializers.CharField(source="question.slug")
    status = serializers.CharField()
    verdict = serializers.CharField(allow_blank=True)
    score = serializers.FloatField(allow_null=True)
    created_at = serializers.DateTimeField()
    finished_at = serializers.DateTimeField(allow_null=True)


class DimensionScoreSerializer(serializers.Serializer):
    question = serializers.CharField(source="question.slug")
    dimension = serializers.CharField(source="dimension.slug")
    level = serializers.CharField(source="level.label")
    score = serializers.IntegerField(source="level.score")
    evidence = serializers.CharField()


class ScorecardSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    interviewer = serializers.SerializerMethodField()
    status = serializers.CharField()
    recommendation = serializers.CharField(allow_blank=True)
    summary = serializers.CharField(allow_blank=True)
    submitted_at = serializers.DateTimeField(allow_null=True)
    scores = DimensionScoreSerializer(source="scores.all", many=True)

    def get_interviewer(self, card) -> str:
        return card.interviewer.get_full_name() or card.interviewer.get_username()


class ReportQuestionSerializer(serializers.Serializer):
    question = serializers.CharField()
    section = serializers.CharField()
    weight = serializers.FloatField()
    verdict = serializers.CharField(allow_null=True)
    automated_score = serializers.FloatField(allow_null=True)


class ReportSerializer(serializers.Serializer):
    attempt_id = serializers.IntegerField()
    candidate = serializers.CharField()
    track = serializers.CharField()
    automated = serializers.FloatField(allow_null=True, help_text="Automated signal, 0..1")
    human = serializers.FloatField(allow_null=True, help_text="Human signal, 0..1")
    combined = serializers.FloatField(allow_null=True, help_text="Combined signal, 0..1")
    interval = serializers.ListField(child=serializers.FloatField(), allow_null=True,
                                     help_text="Bootstrap 90 % interval of the combined signal")
    level = serializers.CharField(allow_null=True)
    flags = serializers.ListField(child=serializers.CharField())
    raters = serializers.IntegerField()
    missing_scorecards = serializers.IntegerField()
    recommendations = serializers.ListField(child=serializers.DictField(child=serializers.CharField(allow_null=True)))
    final = serializers.BooleanField(help_text="Submitted, every lab graded and every assigned scorecard in")
    questions = ReportQuestionSerializer(many=True)
    report_url = serializers.CharField(help_text="The report page (sign-in required)")


class ComparisonRowSerializer(serializers.Serializer):
    attempt_id = serializers.IntegerField(source="attempt.pk")
    candidate = serializers.CharField(source="label")
    submitted_at = serializers.DateTimeField(source="attempt.submitted_at", allow_null=True)
    automated = serializers.FloatField(allow_null=True)
    human = serializers.FloatField(allow_null=True)
    combined = serializers.FloatField(allow_null=True)
    interval = serializers.SerializerMethodField()
    level = serializers.CharField(allow_null=True)
    raters = serializers.IntegerField()
    missing_scorecards = serializers.IntegerField(source="missing")
    flags = serializers.ListField(child=serializers.CharField())
    complete = serializers.BooleanField(help_text="Every lab graded and every assigned scorecard in; incomplete "
                                        "rows come after the complete ones, ranked apart")
    incomplete_reasons = serializers.ListField(child=serializers.CharField(), source="incomplete")
    recommendations = serializers.SerializerMethodField()

    def get_recommendations(self, row) -> list[dict[str, str | None]]:
        """Each submitted scorecard's recommendation, oldest first; a missing one is {"interviewer": null,
        "recommendation": "pending"}."""
        return [{"interviewer": None if who == "—" else who, "recommendation": rec} for who, rec in row.recommendations]

    def get_interval(self, row) -> list[float] | None:
        return list(row.interval) if row.interval else None

"""Django admin for every model. Versioned content is read-only here: it changes through files."""

from django import forms
from django.contrib import admin, messages

from . import models


class ReadOnlyAdmin(admin.ModelAdmin):
    """Rows staff may read in the admin and nobody may add, change or delete there."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyContentAdmin(ReadOnlyAdmin):
    """Content comes from exercises/ and rubrics/ via sync_content; editing rows would fork it."""


@admin.register(models.Competency)
class CompetencyAdmin(admin.ModelAdmin):
    list_display = ["slug", "name", "order"]
    search_fields = ["slug", "name"]


class RubricLevelInline(admin.TabularInline):
    model = models.RubricLevel
    extra = 0


class RubricDimensionInline(admin.TabularInline):
    model = models.RubricDimension
    extra = 0


@admin.register(models.Rubric)
class RubricAdmin(ReadOnlyContentAdmin):
    list_display = ["slug", "version", "title", "is_current", "created_at"]
    list_filter = ["is_current"]
    search_fields = ["slug", "title"]
    inlines = [RubricLevelInline, RubricDimensionInline]


@admin.register(models.RubricLevel)
class RubricLevelAdmin(ReadOnlyContentAdmin):
    list_display = ["rubric", "score", "label", "bar"]


@admin.register(models.RubricDimension)
class RubricDimensionAdmin(ReadOnlyContentAdmin):
    list_display = ["rubric", "slug", "title", "weight"]


@admin.register(models.RubricDescriptor)
class RubricDescriptorAdmin(ReadOnlyContentAdmin):
    list_display = ["dimension", "level"]


@admin.register(models.Question)
class QuestionAdmin(ReadOnlyContentAdmin):
    list_display = ["slug", "version", "kind", "title", "rubric", "is_current", "source_path"]
    list_filter = ["kind", "is_current", "competencies"]
    search_fields = ["slug", "title"]


@admin.register(models.QuestionFiles)
class QuestionFilesAdmin(ReadOnlyContentAdmin):
    list_display = ["question"]


class SectionInline(admin.TabularInline):
    model = models.Section
    extra = 0


@admin.register(models.Track)
class TrackAdmin(ReadOnlyContentAdmin):
    list_display = ["slug", "version", "title", "is_current", "created_at"]
    list_filter = ["is_current"]
    inlines = [SectionInline]


@admin.register(models.Section)
class SectionAdmin(ReadOnlyContentAdmin):
    list_display = ["track", "order", "title", "time_limit_minutes"]


@admin.register(models.SectionQuestion)
class SectionQuestionAdmin(ReadOnlyContentAdmin):
    list_display = ["section", "order", "question", "weight"]


@admin.register(models.Candidate)
class CandidateAdmin(admin.ModelAdmin):
    list_display = ["code", "full_name", "email", "created_at", "erased_at"]
    search_fields = ["code", "full_name", "email"]
    readonly_fields = ["code", "created_by", "created_at", "erased_at", "privacy"]

    @admin.display(description="Data rights")
    def privacy(self, obj):
        from django.urls import NoReverseMatch, reverse
        from django.utils.html import format_html

        if obj is None or obj.pk is None:
            return "-"
        try:  # by URL name: the page is the web app's (webapp.views.privacy)
            url = reverse("privacy-candidate", args=[obj.pk])
        except NoReverseMatch:
            return "-"
        return format_html('<a href="{}">Data archive and erasure</a>', url)


@admin.register(models.RetentionPolicy)
class RetentionPolicyAdmin(admin.ModelAdmin):
    """How long each track keeps candidates' personal data (tracks without one: RETENTION_DEFAULT_DAYS)."""

    list_display = ["track_slug", "purge_after_days", "note", "updated_at"]
    search_fields = ["track_slug"]


@admin.register(models.Invitation)
class InvitationAdmin(admin.ModelAdmin):
    list_display = ["id", "candidate", "track", "expires_at", "extra_time_minutes", "revoked_at", "created_at"]
    list_filter = ["track"]
    actions = ["withdraw"]
    readonly_fields = ["candidate", "track", "created_by", "created_at"]
    exclude = ["token_hash"]

    def has_add_permission(self, request):
        # Invitations are issued on the invitations page, which shows the link once (only its hash is kept).
        return False

    @admin.action(description="Withdraw (the link stops working; a started attempt stays)", permissions=["change"])
    def withdraw(self, request, queryset):
        from . import services

        count = services.invitations_withdraw(invitations=list(queryset))
        self.message_user(request, f"Withdrew {count} invitation(s).")


class IntegrityEventInline(admin.TabularInline):
    model = models.IntegrityEvent
    extra = 0
    can_delete = False
    fields = ["created_at", "kind", "question", "chars", "client_at"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(models.Attempt)
class AttemptAdmin(admin.ModelAdmin):
    list_display = ["id", "invitation", "track", "status", "started_at", "deadline_at", "extra_minutes", "submitted_at"]
    list_filter = ["status", "track"]
    # The deadline moves only through the actions, so extra time is always on record.
    readonly_fields = ["invitation", "track", "status", "started_at", "deadline_at", "extra_minutes", "consented_at",
                       "consent_version", "submitted_at", "submit_reason"]
    inlines = [IntegrityEventInline]
    actions = ["add_15_minutes", "add_30_minutes", "submit_now"]

    def _extend(self, request, queryset, minutes: int) -> None:
        from . import services

        done = 0
        for attempt in queryset:
            try:
                services.attempt_extend(attempt=attempt, minutes=minutes)
                done += 1
            except services.AssessmentError as exc:
                self.message_user(request, f"{attempt}: {exc}", level=messages.WARNING)
        self.message_user(request, f"Gave {minutes} more minutes to {done} attempt(s).")

    @admin.action(description="Give 15 more minutes (accommodation)", permissions=["change"])
    def add_15_minutes(self, request, queryset):
        self._extend(request, queryset, 15)

    @admin.action(description="Give 30 more minutes (accommodation)", permissions=["change"])
    def add_30_minutes(self, request, queryset):
        self._extend(request, queryset, 30)

    @admin.action(description="Submit now with the last saved answers", permissions=["change"])
    def submit_now(self, request, queryset):
        from . import services

        for attempt in queryset.filter(status=models.AttemptStatus.IN_PROGRESS):
            services.attempt_submit(attempt=attempt, reason=models.SubmitReason.ADMIN)
        self.message_user(request, "Submitted.")


@admin.register(models.ResponseSnapshot)
class ResponseSnapshotAdmin(admin.ModelAdmin):
    list_display = ["attempt", "question", "revision", "created_at"]
    list_filter = ["question"]
    readonly_fields = ["attempt", "question", "revision", "body", "created_at"]


@admin.register(models.Response)
class ResponseAdmin(admin.ModelAdmin):
    list_display = ["attempt", "question", "revision", "updated_at"]
    readonly_fields = ["attempt", "question", "body", "revision"]


@admin.register(models.Submission)
class SubmissionAdmin(ReadOnlyContentAdmin):
    list_display = ["attempt", "question", "revision", "content_hash", "created_at"]


class DimensionScoreInline(admin.TabularInline):
    model = models.DimensionScore
    extra = 0
    can_delete = False
    readonly_fields = ["question", "dimension", "level", "evidence"]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(models.Scorecard)
class ScorecardAdmin(ReadOnlyContentAdmin):
    """Read-only: scores change only on the scoring page, and a submitted scorecard only by an amendment."""

    list_display = ["attempt", "interviewer", "status", "recommendation", "submitted_at"]
    list_filter = ["status", "recommendation"]
    inlines = [DimensionScoreInline]


@admin.register(models.DimensionScore)
class DimensionScoreAdmin(ReadOnlyContentAdmin):
    list_display = ["scorecard", "question", "dimension", "level"]


@admin.register(models.AutomatedScore)
class AutomatedScoreAdmin(ReadOnlyContentAdmin):
    list_display = ["submission", "verdict", "score", "source", "graded_at"]


@admin.register(models.TrackManager)
class TrackManagerAdmin(admin.ModelAdmin):
    list_display = ["track_slug", "user"]
    list_filter = ["track_slug"]


class AssignmentForm(forms.ModelForm):
    """The service's checks (an active interviewer, a section or question of the attempt's track) before saving."""

    class Meta:
        model = models.Assignment
        fields = ["attempt", "interviewer", "section", "question"]

    def clean(self):
        from . import services

        data = super().clean()
        if data.get("attempt") and data.get("interviewer"):
            try:
                services.assignment_check(attempt=data["attempt"], interviewer=data["interviewer"],
                                          section=data.get("section"), question=data.get("question"))
            except services.AssessmentError as exc:
                raise forms.ValidationError(str(exc)) from exc
        return data


@admin.register(models.Assignment)
class AssignmentAdmin(admin.ModelAdmin):
    form = AssignmentForm
    list_display = ["attempt", "interviewer", "section", "question", "created_at"]
    raw_id_fields = ["attempt"]

    def save_model(self, request, obj, form, change):
        from . import services

        if change:  # an assignment is replaced, not edited: the old one goes, the new one passes the checks
            models.Assignment.objects.filter(pk=obj.pk).delete()
        services.assignment_create(attempt=obj.attempt, interviewer=obj.interviewer, section=obj.section,
                                   question=obj.question, assigned_by=request.user)


class KnownSolutionForm(forms.ModelForm):
    """Paste the code or upload the file; either way it must be Python the similarity engine can read."""

    upload = forms.FileField(required=False, help_text="A .py file; replaces the text box when given")
    MAX_BYTES = 200_000

    class Meta:
        model = models.KnownSolution
        fields = ["question_slug", "source", "body"]
        widgets = {"body": forms.Textarea(attrs={"rows": 20, "cols": 100, "spellcheck": "false"})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        labs = (models.Question.objects.filter(kind=models.QuestionKind.CODING, is_current=True)
                .order_by("title").values_list("slug", "title"))
        self.fields["question_slug"] = forms.ChoiceField(label="Lab", choices=[("", "---------"), *labs])
        self.fields["body"].required = False

    def clean(self):
        from .reporting import similarity

        data = super().clean()
        upload = data.get("upload")
        if upload is not None:
            if upload.size > self.MAX_BYTES:
                raise forms.ValidationError({"upload": f"Over {self.MAX_BYTES // 1000} kB: is this one solution?"})
            try:
                data["body"] = upload.read().decode("utf-8")
            except UnicodeDecodeError as exc:
                raise forms.ValidationError({"upload": "Not UTF-8 text: upload the solution's .py file."}) from exc
        body = data.get("body") or ""
        if len(body.encode("utf-8")) > self.MAX_BYTES:
            raise forms.ValidationError({"body": f"Over {self.MAX_BYTES // 1000} kB: is this one solution?"})
        if not body.strip():
            raise forms.ValidationError({"body": "Paste the solution or upload its file."})
        if not similarity.fingerprints(body).hashes():
            raise forms.ValidationError({"body": f"Too short to compare: fewer than {similarity.K} Python tokens."})
        return data

    def save(self, commit=True):
        self.instance.body = self.cleaned_data["body"]
        return super().save(commit=commit)


@admin.register(models.KnownSolution)
class KnownSolutionAdmin(admin.ModelAdmin):
    """Leaked or bought solutions: every submission of the lab is compared with them on the similarity page."""

    form = KnownSolutionForm
    list_display = ["question_slug", "source", "uploaded_by", "created_at"]
    list_filter = ["question_slug"]
    readonly_fields = ["uploaded_by", "created_at"]

    def save_model(self, request, obj, form, change):
        if not change:
            obj.uploaded_by = request.user
        super().save_model(request, obj, form, change)


def _admins_only(request) -> bool:
    """The admin site is for the Admin role only: it shows every track's candidates, so managers and interviewers
    (who may be `is_staff` from an older setup) use the pages, which apply their tracks and assignments."""
    from .access import is_admin

    return bool(request.user.is_active and request.user.is_staff and is_admin(request.user))


admin.site.has_permission = _admins_only

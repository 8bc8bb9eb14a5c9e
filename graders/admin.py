from django.contrib import admin, messages

from assessments.admin import ReadOnlyAdmin

from . import services
from .gold import change_line
from .models import GoldRun, GoldVerdict, GradingRun
from .selectors import run_phases


@admin.register(GradingRun)
class GradingRunAdmin(admin.ModelAdmin):
    list_display = ["id", "question", "suite", "status", "verdict", "score", "backend", "deliveries", "publishes",
                    "created_at", "phases"]
    list_filter = ["status", "suite", "verdict", "backend"]
    readonly_fields = [f.name for f in GradingRun._meta.fields] + ["phases"]
    actions = ["regrade"]

    def has_add_permission(self, request):
        return False

    @admin.display(description="Phases (queued, published, started, sandbox up, tests done, stored)")
    def phases(self, run: GradingRun) -> str:
        p = run_phases(run)
        text = ", ".join(f"{name} {at:%H:%M:%S}" for name, at in p.phases if at)
        return f"OVERDUE · {text}" if p.overdue else text

    @admin.action(description="Regrade (a new run of the same files; the old one stays on record)",
                  permissions=["change"])
    def regrade(self, request, queryset):
        runs = [services.grading_run_regrade(run=run, requested_by=request.user) for run in queryset]
        self.message_user(request, f"Queued {len(runs)} new run(s).", level=messages.SUCCESS)


# Gold runs and verdicts are written only by graders.gold: staff read the history, nobody edits it.
@admin.register(GoldRun)
class GoldRunAdmin(ReadOnlyAdmin):
    list_display = ["lab", "finished_at", "reason", "drift", "verdicts", "changed", "problems", "backend", "image"]
    list_filter = ["drift", "baseline", "lab", "backend"]
    search_fields = ["lab", "image", "image_id", "fingerprint"]
    readonly_fields = [f.name for f in GoldRun._meta.fields] + ["change_lines"]

    @admin.display(description="Changes")
    def change_lines(self, run: GoldRun) -> str:
        return "\n".join(change_line(c) for c in run.changes) or "none"


@admin.register(GoldVerdict)
class GoldVerdictAdmin(ReadOnlyAdmin):
    list_display = ["lab", "variant", "suite", "kind", "verdict", "score", "problem", "graded_at", "image"]
    list_filter = ["lab", "kind", "verdict"]
    search_fields = ["lab", "variant"]
    readonly_fields = [f.name for f in GoldVerdict._meta.fields]

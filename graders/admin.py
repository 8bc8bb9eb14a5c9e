from django.contrib import admin, messages

from . import services
from .models import GradingRun
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

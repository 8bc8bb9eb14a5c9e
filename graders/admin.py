from django.contrib import admin

from .models import GradingRun


@admin.register(GradingRun)
class GradingRunAdmin(admin.ModelAdmin):
    list_display = ["id", "question", "suite", "status", "verdict", "score", "backend", "deliveries", "created_at"]
    list_filter = ["status", "suite", "verdict", "backend"]
    readonly_fields = [f.name for f in GradingRun._meta.fields]

    def has_add_permission(self, request):
        return False

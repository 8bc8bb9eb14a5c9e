"""The trail in the admin: read-only, filterable, exportable. The per-candidate view with record changes is the
staff page /audit/ (webapp.views.audit)."""

from __future__ import annotations

import csv

from django.contrib import admin
from django.http import HttpResponse

from .models import AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = ["at", "actor_label", "action", "what", "candidate_code", "track_slug", "ip"]
    list_filter = ["action", "track_slug"]
    search_fields = ["candidate_code", "actor_label", "what", "ip"]
    date_hierarchy = "at"
    actions = ["export_csv"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description="Export the selected events as CSV", permissions=["view"])
    def export_csv(self, request, queryset):
        response = HttpResponse(content_type="text/csv")
        response["Content-Disposition"] = 'attachment; filename="audit-events.csv"'
        writer = csv.writer(response)
        writer.writerow(["at", "actor", "action", "what", "candidate_code", "track", "ip", "path"])
        for e in queryset.order_by("at"):
            writer.writerow([e.at.isoformat(), e.actor_label, e.action, e.what, e.candidate_code, e.track_slug,
                             e.ip or "", e.path])
        return response

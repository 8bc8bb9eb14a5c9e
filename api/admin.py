from django.contrib import admin

from .models import GreenhouseErrorNotice


@admin.register(GreenhouseErrorNotice)
class GreenhouseErrorNoticeAdmin(admin.ModelAdmin):
    """What Greenhouse reported through response_error: read-only, for support."""

    list_display = ["received_at", "key", "body"]
    readonly_fields = ["received_at", "key", "body"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "api"
    verbose_name = "Public API"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from assessments.signals import domain_event

        from . import schema  # noqa: F401  (registers the key's security scheme with drf-spectacular)
        from .webhooks import record_event

        domain_event.connect(record_event, dispatch_uid="api.webhooks.record_event")

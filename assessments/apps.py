from django.apps import AppConfig, apps
from django.db.models.signals import post_delete, post_migrate, post_save


def _after_every_apps_permissions(sender, **kwargs) -> None:
    """Rebuild the roles once per migrate, after the last app's post_migrate: permissions are created app by app
    (django.contrib.auth's own post_migrate handler), so a hook on this app alone would run before the apps listed
    after it (api, ...) have theirs, and the Admin role would lack them until the next migrate."""
    from .roles import roles_ensure

    with_models = [c for c in apps.get_app_configs() if c.models_module is not None]
    if with_models and sender is with_models[-1]:
        roles_ensure()


class AssessmentsConfig(AppConfig):
    name = "assessments"
    verbose_name = "Assessments"

    def ready(self) -> None:
        # Permissions exist only after migrate, so roles are (re)built then, idempotently.
        post_migrate.connect(_after_every_apps_permissions, weak=False,
                             dispatch_uid="assessments.roles_ensure")
        # The stored report summaries follow every change of their inputs (services.summaries).
        from . import models
        from .services.summaries import on_input_deleted, on_input_saved

        for model in (models.Assignment, models.Scorecard, models.AutomatedScore, models.IntegrityEvent):
            post_save.connect(on_input_saved, sender=model, dispatch_uid=f"summaries.saved.{model.__name__}")
            post_delete.connect(on_input_deleted, sender=model, dispatch_uid=f"summaries.deleted.{model.__name__}")

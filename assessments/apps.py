from django.apps import AppConfig
from django.db.models.signals import post_migrate


class AssessmentsConfig(AppConfig):
    name = "assessments"
    verbose_name = "Assessments"

    def ready(self) -> None:
        from .roles import roles_ensure

        # Permissions exist only after migrate, so roles are (re)built then, idempotently.
        post_migrate.connect(lambda **kwargs: roles_ensure(), sender=self, weak=False)

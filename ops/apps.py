from django.apps import AppConfig


class OpsConfig(AppConfig):
    """Operations across the apps (health, retention, the candidate's data rights): no models of its own."""

    name = "ops"
    verbose_name = "Operations"

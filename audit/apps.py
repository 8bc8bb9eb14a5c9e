from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "audit"
    default_auto_field = "django.db.models.BigAutoField"
    verbose_name = "Audit trail"

    def ready(self) -> None:
        from django.contrib.auth import signals

        from .registry import register_models

        register_models()
        signals.user_logged_in.connect(_signed_in, dispatch_uid="audit.signed_in")
        signals.user_logged_out.connect(_signed_out, dispatch_uid="audit.signed_out")
        signals.user_login_failed.connect(_sign_in_failed, dispatch_uid="audit.sign_in_failed")


def _signed_in(sender, request, user, **kwargs):
    from .services import audit_record

    audit_record(action="sign-in", what="signed in", actor=user, request=request)


def _signed_out(sender, request, user, **kwargs):
    from .services import audit_record

    if user is not None:
        audit_record(action="sign-out", what="signed out", actor=user, request=request)


def _sign_in_failed(sender, credentials, request=None, **kwargs):
    from .services import audit_record

    # The username tried (never the password): django-axes keeps the lockout, this keeps the trail.
    audit_record(action="sign-in-failed", what=f"failed sign-in as {str(credentials.get('username', ''))[:150]}",
                 request=request)

from django.urls import path
from drf_spectacular.utils import extend_schema
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from . import greenhouse, views


@extend_schema(exclude=True)
class SwaggerDocs(SpectacularSwaggerSplitView):
    """Swagger UI sets inline styles as it renders: this page (the schema, no data) allows them, nothing else."""

    def get(self, request, *args, **kwargs):
        from django.conf import settings

        response = super().get(request, *args, **kwargs)
        response["Content-Security-Policy"] = settings.CONTENT_SECURITY_POLICY.replace(
            "style-src 'self'", "style-src 'self' 'unsafe-inline'")
        return response


urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", SwaggerDocs.as_view(url_name="api-schema"), name="api-docs"),
    path("tracks/", views.TrackList.as_view(), name="api-tracks"),
    path("tracks/<slug:slug>/", views.TrackDetail.as_view(), name="api-track"),
    path("tracks/<slug:slug>/comparison/", views.TrackComparison.as_view(), name="api-track-comparison"),
    path("invitations/", views.InvitationList.as_view(), name="api-invitations"),
    path("invitations/<int:pk>/", views.InvitationDetail.as_view(), name="api-invitation"),
    path("invitations/<int:pk>/withdraw/", views.InvitationWithdraw.as_view(), name="api-invitation-withdraw"),
    path("invitations/<int:pk>/resend/", views.InvitationResend.as_view(), name="api-invitation-resend"),
    path("attempts/", views.AttemptList.as_view(), name="api-attempts"),
    path("attempts/<int:pk>/", views.AttemptDetail.as_view(), name="api-attempt"),
    path("attempts/<int:pk>/gradings/", views.AttemptGradings.as_view(), name="api-attempt-gradings"),
    path("attempts/<int:pk>/scorecards/", views.AttemptScorecards.as_view(), name="api-attempt-scorecards"),
    path("attempts/<int:pk>/report/", views.AttemptReport.as_view(), name="api-attempt-report"),
    # Greenhouse's Assessment Partner API (the paths Greenhouse is given; api/greenhouse.py).
    path("greenhouse/list_tests", greenhouse.ListTests.as_view(), name="greenhouse-list-tests"),
    path("greenhouse/send_test", greenhouse.SendTest.as_view(), name="greenhouse-send-test"),
    path("greenhouse/test_status", greenhouse.TestStatus.as_view(), name="greenhouse-test-status"),
    path("greenhouse/response_error", greenhouse.ResponseError.as_view(), name="greenhouse-response-error"),
]

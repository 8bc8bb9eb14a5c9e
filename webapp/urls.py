from allauth.account import views as allauth_views
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from .views import apikeys, audit, content, exam, health, invitations, playback, privacy, reports, scoring, webhooks
from .views.items import track_items
from .views.metrics import metrics as metrics_view
from .views.operations import overview as operations_overview

urlpatterns = [
    path("", content.home, name="home"),
    path("api/v1/", include("api.urls")),
    path("api-keys/", apikeys.key_list, name="api-keys"),
    path("api-keys/<int:key_id>/revoke/", apikeys.key_revoke, name="api-key-revoke"),
    path("webhooks/", webhooks.endpoint_list, name="webhooks"),
    path("webhooks/<int:endpoint_id>/", webhooks.endpoint_detail, name="webhook-endpoint"),
    path("webhooks/deliveries/<int:delivery_id>/replay/", webhooks.delivery_replay, name="webhook-replay"),
    path("login/", allauth_views.login, name="login"),
    path("accounts/", include("allauth.urls")),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("tracks/<slug:slug>/", content.track_detail, name="track-detail"),
    path("tracks/<slug:slug>/v<int:version>/", content.track_detail, name="track-version"),
    path("questions/<slug:slug>/", content.question_detail, name="question-detail"),
    path("questions/<slug:slug>/v<int:version>/", content.question_detail, name="question-version"),
    path("rubrics/<slug:slug>/", content.rubric_detail, name="rubric-detail"),
    path("invitations/", invitations.invitation_list, name="invitation-list"),
    path("invitations/new/", invitations.invitation_new, name="invitation-new"),
    path("invitations/<int:invitation_id>/", invitations.invitation_action, name="invitation-action"),
    path("invitations/adjustments/<int:accommodation_id>/", invitations.accommodation_decide,
         name="accommodation-decide"),
    path("exam/<str:token>/", exam.landing, name="exam-landing"),
    path("exam/<str:token>/start/", exam.start, name="exam-start"),
    path("exam/<str:token>/adjustments/", exam.accommodation_request, name="exam-accommodation"),
    path("exam/<str:token>/questions/", exam.resume, name="exam-resume"),
    path("exam/<str:token>/questions/<slug:slug>/", exam.question, name="exam-question"),
    path("exam/<str:token>/answers/<slug:slug>/", exam.answer_save, name="exam-answer"),
    path("exam/<str:token>/runs/<slug:slug>/", exam.run_visible, name="exam-run"),
    path("exam/<str:token>/run/<str:run_id>/", exam.run_status, name="exam-run-status"),
    path("exam/<str:token>/files/<slug:slug>/<path:path>", exam.visible_file, name="exam-visible-file"),
    path("exam/<str:token>/signals/", exam.signals, name="exam-signals"),
    path("exam/<str:token>/submit/", exam.submit, name="exam-submit"),
    path("exam/<str:token>/done/", exam.done, name="exam-done"),
    path("scoring/", scoring.queue, name="scoring-queue"),
    path("scoring/attempts/<int:attempt_id>/", scoring.attempt_page, name="scoring-attempt"),
    path("scoring/attempts/<int:attempt_id>/save/", scoring.attempt_save, name="scoring-save"),
    path("scoring/attempts/<int:attempt_id>/submit/", scoring.attempt_submit, name="scoring-submit"),
    path("scoring/attempts/<int:attempt_id>/amend/", scoring.attempt_amend, name="scoring-amend"),
    path("scoring/attempts/<int:attempt_id>/playback/<slug:slug>/", playback.attempt_playback, name="attempt-playback"),
    path("attempts/<int:attempt_id>/panel/", reports.panel, name="attempt-panel"),
    path("reports/attempts/<int:attempt_id>/", reports.attempt_report, name="report-attempt"),
    path("reports/attempts/<int:attempt_id>.pdf", reports.attempt_report_pdf, name="report-attempt-pdf"),
    path("reports/tracks/<slug:slug>/", reports.track_compare, name="report-track"),
    path("reports/tracks/<slug:slug>.csv", reports.track_compare_csv, name="report-track-csv"),
    path("reports/tracks/<slug:slug>/calibration/", reports.calibration, name="report-calibration"),
    path("reports/tracks/<slug:slug>/items/", track_items, name="report-items"),
    path("reports/tracks/<slug:slug>/similarity/", reports.similarity, name="report-similarity"),
    path("reports/tracks/<slug:slug>/similarity/<int:a>/known/<slug:source>/", reports.similarity_known,
         name="report-similarity-known"),
    path("reports/tracks/<slug:slug>/similarity/<int:a>/<int:b>/", reports.similarity_pair,
         name="report-similarity-pair"),
    path("audit/", audit.trail, name="audit-trail"),
    path("operations/", operations_overview, name="operations"),
    path("privacy/candidates/<int:candidate_id>/", privacy.candidate, name="privacy-candidate"),
    path("privacy/candidates/<int:candidate_id>/export/", privacy.candidate_export, name="privacy-candidate-export"),
    path("privacy/candidates/<int:candidate_id>/erase/", privacy.candidate_erase, name="privacy-candidate-erase"),
    path("healthz", health.healthz, name="healthz"),
    path("metrics", metrics_view, name="metrics"),  # Prometheus; never public (webapp/views/metrics.py)
    path("readyz", health.readyz, name="readyz"),
    path("admin/", admin.site.urls),
]

admin.site.site_header = "Interview Track administration"
admin.site.site_title = "Interview Track"

# Error pages that work while the database is down and answer fetch() callers in JSON (webapp/views/errors.py).
handler400 = "webapp.views.errors.bad_request"
handler404 = "webapp.views.errors.not_found"
handler500 = "webapp.views.errors.server_error"

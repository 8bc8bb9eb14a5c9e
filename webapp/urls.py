from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import path

from . import exam_views, report_views, scoring_views, views

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", auth_views.LoginView.as_view(template_name="registration/login.html"), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("tracks/<slug:slug>/", views.track_detail, name="track-detail"),
    path("tracks/<slug:slug>/v<int:version>/", views.track_detail, name="track-version"),
    path("questions/<slug:slug>/", views.question_detail, name="question-detail"),
    path("questions/<slug:slug>/v<int:version>/", views.question_detail, name="question-version"),
    path("rubrics/<slug:slug>/", views.rubric_detail, name="rubric-detail"),
    path("invitations/", views.invitation_list, name="invitation-list"),
    path("invitations/new/", views.invitation_new, name="invitation-new"),
    path("exam/<str:token>/", exam_views.landing, name="exam-landing"),
    path("exam/<str:token>/start/", exam_views.start, name="exam-start"),
    path("exam/<str:token>/questions/", exam_views.resume, name="exam-resume"),
    path("exam/<str:token>/questions/<slug:slug>/", exam_views.question, name="exam-question"),
    path("exam/<str:token>/answers/<slug:slug>/", exam_views.answer_save, name="exam-answer"),
    path("exam/<str:token>/runs/<slug:slug>/", exam_views.run_visible, name="exam-run"),
    path("exam/<str:token>/run/<str:run_id>/", exam_views.run_status, name="exam-run-status"),
    path("exam/<str:token>/signals/", exam_views.signals, name="exam-signals"),
    path("exam/<str:token>/submit/", exam_views.submit, name="exam-submit"),
    path("exam/<str:token>/done/", exam_views.done, name="exam-done"),
    path("scoring/", scoring_views.queue, name="scoring-queue"),
    path("scoring/attempts/<int:attempt_id>/", scoring_views.attempt_page, name="scoring-attempt"),
    path("scoring/attempts/<int:attempt_id>/save/", scoring_views.attempt_save, name="scoring-save"),
    path("scoring/attempts/<int:attempt_id>/submit/", scoring_views.attempt_submit, name="scoring-submit"),
    path("scoring/attempts/<int:attempt_id>/amend/", scoring_views.attempt_amend, name="scoring-amend"),
    path("attempts/<int:attempt_id>/panel/", report_views.panel, name="attempt-panel"),
    path("reports/attempts/<int:attempt_id>/", report_views.attempt_report, name="report-attempt"),
    path("reports/attempts/<int:attempt_id>.pdf", report_views.attempt_report_pdf, name="report-attempt-pdf"),
    path("reports/tracks/<slug:slug>/", report_views.track_compare, name="report-track"),
    path("reports/tracks/<slug:slug>.csv", report_views.track_compare_csv, name="report-track-csv"),
    path("reports/tracks/<slug:slug>/calibration/", report_views.calibration, name="report-calibration"),
    path("healthz", views.healthz, name="healthz"),
    path("admin/", admin.site.urls),
]

admin.site.site_header = "Interview Track administration"
admin.site.site_title = "Interview Track"

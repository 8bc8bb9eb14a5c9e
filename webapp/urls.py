from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import path

from . import exam_views, views

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
    path("healthz", views.healthz, name="healthz"),
    path("admin/", admin.site.urls),
]

admin.site.site_header = "Interview Track administration"
admin.site.site_title = "Interview Track"

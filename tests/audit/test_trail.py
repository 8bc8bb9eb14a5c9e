"""The audit trail: reads of candidate data and changes by staff, who, when, from where; append-only; no
personal data in it; filterable per candidate and exportable."""

from __future__ import annotations

import pytest
from auditlog.models import LogEntry
from django.contrib.auth.models import Group
from django.test import Client
from django.urls import reverse

from assessments import roles, services
from assessments.models import Question, Track
from audit.models import AppendOnly, AuditEvent
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
NAME, EMAIL, MARKER = "Rhea Private", "rhea.private@example.com", "MARKER-7Q2"


@pytest.fixture
def world(synced_content):
    roles.roles_ensure()
    track = Track.objects.get(slug="advanced-ml-speech", is_current=True)
    cand = services.candidate_create(full_name=NAME, email=EMAIL)
    attempt = services.attempt_start(invitation=services.invitation_create(candidate=cand, track=track))
    written = Question.objects.get(slug="asr-objectives-streaming", is_current=True)
    services.response_save(attempt=attempt, question=written, body=f"answer {MARKER}", base_revision=0)
    manager = UserFactory(username="meg", role=roles.HIRING_MANAGER)
    services.track_manager_add(track_slug=track.slug, user=manager)
    admin = UserFactory(username="root", role=roles.ADMIN, is_staff=True)
    return {"track": track, "cand": cand, "attempt": attempt, "manager": manager, "admin": admin,
            "written": written}


def _client(user, addr="198.51.100.20") -> Client:
    c = Client(REMOTE_ADDR=addr)
    c.force_login(user)
    return c


def test_reads_of_candidate_data_are_recorded_with_who_and_where(world):
    c = _client(world["manager"])
    assert c.get(reverse("report-attempt", args=[world["attempt"].pk])).status_code == 200
    assert c.get(reverse("report-track-csv", args=[world["track"].slug])).status_code == 200
    read = AuditEvent.objects.get(action="read", object_id=str(world["attempt"].pk))
    assert (read.actor_label, read.candidate_code, read.ip) == ("meg", world["cand"].code, "198.51.100.20")
    assert AuditEvent.objects.filter(action="export", track_slug=world["track"].slug).exists()
    # A refused read is not a read.
    stranger = UserFactory(username="oz", role=roles.HIRING_MANAGER)
    assert _client(stranger).get(reverse("report-attempt", args=[world["attempt"].pk])).status_code == 404
    assert not AuditEvent.objects.filter(actor_label="oz", action="read").exists()


def test_admin_reads_and_changes_are_recorded_and_hold_no_personal_data(world):
    c = _client(world["admin"])
    cand = world["cand"]
    assert c.get(reverse("admin:assessments_candidate_change", args=[cand.pk])).status_code == 200
    assert AuditEvent.objects.filter(actor_label="root", candidate_code=cand.code, what__contains="admin").exists()
    resp = c.post(reverse("admin:assessments_candidate_change", args=[cand.pk]),
                  {"full_name": "Rhea Renamed", "email": EMAIL, "notes": ""})
    assert resp.status_code == 302
    entry = LogEntry.objects.filter(object_pk=str(cand.pk), content_type__model="candidate",
                                    action=LogEntry.Action.UPDATE).latest("timestamp")
    assert entry.actor == world["admin"] and entry.remote_addr == "198.51.100.20"
    assert entry.additional_data["candidate_code"] == cand.code
    dump = " ".join(str(v) for row in LogEntry.objects.values() for v in row.values())
    dump += " ".join(str(v) for row in AuditEvent.objects.values() for v in row.values())
    for secret in (NAME, "Rhea Renamed", EMAIL, MARKER):
        assert secret not in dump, f"{secret!r} is in the audit trail"


def test_staff_changes_are_recorded(world):
    c = _client(world["admin"])
    attempt = world["attempt"]
    # an extension (admin action), a role change, an invitation withdrawn from the page
    c.post(reverse("admin:assessments_attempt_changelist"), {"action": "add_15_minutes",
                                                              "_selected_action": [attempt.pk]})
    interviewer = UserFactory(username="ivy")
    c.post(reverse("admin:auth_user_change", args=[interviewer.pk]), {
        "username": "ivy", "groups": [Group.objects.get(name=roles.INTERVIEWER).pk], "is_active": "on",
        "date_joined_0": "2026-01-01", "date_joined_1": "00:00:00"})
    other = services.invitation_create(candidate=services.candidate_create(full_name="X", email="x@example.com"),
                                       track=world["track"])
    _client(world["manager"]).post(reverse("invitation-action", args=[other.pk]), {"action": "withdraw"})
    changes = {(e.content_type.model, e.actor.username if e.actor else None)
               for e in LogEntry.objects.select_related("content_type", "actor")}
    assert ("attempt", "root") in changes
    assert ("invitation", "meg") in changes
    role = LogEntry.objects.filter(content_type__model="user", object_pk=str(interviewer.pk)).latest("timestamp")
    assert role.actor == world["admin"] and "groups" in role.changes_dict


def test_the_trail_is_append_only(world):
    event = AuditEvent.objects.create(at=world["attempt"].started_at, action="read", what="x")
    with pytest.raises(AppendOnly):
        event.save()
    with pytest.raises(AppendOnly):
        event.delete()
    with pytest.raises(AppendOnly):
        AuditEvent.objects.all().delete()
    with pytest.raises(AppendOnly):
        AuditEvent.objects.update(what="y")
    c = _client(world["admin"])
    assert c.post(reverse("admin:audit_auditevent_delete", args=[event.pk]), {"post": "yes"}).status_code == 403


def test_admins_filter_a_candidates_trail_and_export_it(world):
    _client(world["manager"]).get(reverse("report-attempt", args=[world["attempt"].pk]))
    _client(world["manager"]).get(reverse("report-track", args=[world["track"].slug]))
    other = services.candidate_create(full_name="Other", email="other@example.com")
    c = _client(world["admin"])
    code = world["cand"].code
    html = c.get(reverse("audit-trail"), {"candidate": code}).content.decode()
    assert f"report of attempt #{world['attempt'].pk}" in html and "track comparison" in html
    assert other.code not in html
    csv_text = c.get(reverse("audit-trail"), {"candidate": code, "format": "csv"}).content.decode()
    assert csv_text.startswith("at,actor,action,what") and "meg" in csv_text
    assert _client(world["manager"]).get(reverse("audit-trail")).status_code == 403

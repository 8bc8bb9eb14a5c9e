"""Accommodations (issue 14): a candidate asks from the landing page before starting; staff who manage the track
approve a preset (+25/50/100 %) or custom minutes, or decline with a reply; the deadline reflects it (a running
exam gets the difference); it is recorded (masked in the audit trail) and never shown to interviewers."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from assessments import roles, services
from assessments.models import Accommodation, Attempt, Question, Track
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

NEED = "ADJ-MARKER: I use a screen reader and need more time."


@pytest.fixture(autouse=True)
def _clear_rate_limits():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def world(synced_content):
    roles.roles_ensure()
    track = Track.objects.get(slug="advanced-ml-speech", is_current=True)
    invitation = services.invitation_create(
        candidate=services.candidate_create(full_name="Ava Adjust", email="ava@example.com"), track=track)
    manager = UserFactory(username="meg", role=roles.HIRING_MANAGER)
    services.track_manager_add(track_slug=track.slug, user=manager)
    return {"track": track, "invitation": invitation, "manager": manager,
            "other_manager": UserFactory(username="oz", role=roles.HIRING_MANAGER),
            "interviewer": UserFactory(username="ann", role=roles.INTERVIEWER)}


def _request(invitation, percent="50", details=NEED) -> Client:
    candidate = Client()
    resp = candidate.post(reverse("exam-accommodation", args=[invitation.token]),
                          {"extra_percent": percent, "details": details}, follow=True)
    assert resp.status_code == 200
    return candidate


def _staff(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


def test_requested_before_the_start_approved_with_a_preset_and_the_deadline_counts_it(world):
    inv, timed = world["invitation"], world["track"].timed_minutes()
    candidate = _request(inv)
    landing = candidate.get(reverse("exam-landing", args=[inv.token])).content.decode()
    assert "Waiting for a decision" in landing
    request = Accommodation.objects.get(invitation=inv)
    assert request.extra_percent == 50 and request.details == NEED

    listing = _staff(world["manager"]).get(reverse("invitation-list")).content.decode()
    assert "ADJ-MARKER" in listing and "Grant +50 %" in listing
    resp = _staff(world["manager"]).post(reverse("accommodation-decide", args=[request.pk]),
                                         {"decision": "percent-50", "reply": "Approved, good luck."})
    assert resp.status_code == 302
    inv.refresh_from_db()
    assert inv.extra_time_minutes == -(-timed * 50 // 100)
    landing = candidate.get(reverse("exam-landing", args=[inv.token])).content.decode()
    assert f"<strong>{timed + inv.extra_time_minutes} minutes</strong>" in landing
    assert "Approved, good luck." in landing
    assert candidate.post(reverse("exam-start", args=[inv.token]), {"consent": "on"}).status_code == 302
    attempt = Attempt.objects.get(invitation=inv)
    assert attempt.deadline_at - attempt.started_at == timedelta(minutes=timed + inv.extra_time_minutes)


def test_time_granted_after_the_start_moves_the_running_deadline(world):
    inv = world["invitation"]
    candidate = _request(inv, percent="", details="I need to take a break for medication.")
    assert candidate.post(reverse("exam-start", args=[inv.token]), {"consent": "on"}).status_code == 302
    before = Attempt.objects.get(invitation=inv).deadline_at
    request = Accommodation.objects.get(invitation=inv)
    _staff(world["manager"]).post(reverse("accommodation-decide", args=[request.pk]),
                                  {"decision": "minutes", "minutes": "15"})
    assert Attempt.objects.get(invitation=inv).deadline_at - before == timedelta(minutes=15)
    # Decided once: a second decision is refused and changes nothing.
    page = _staff(world["manager"]).post(reverse("accommodation-decide", args=[request.pk]),
                                         {"decision": "percent-100"}, follow=True)
    assert "already been decided" in page.content.decode()
    assert Attempt.objects.get(invitation=inv).deadline_at - before == timedelta(minutes=15)


def test_declined_with_a_reply_and_the_time_unchanged(world):
    inv = world["invitation"]
    candidate = _request(inv, percent="100")
    request = Accommodation.objects.get(invitation=inv)
    _staff(world["manager"]).post(reverse("accommodation-decide", args=[request.pk]),
                                  {"decision": "decline", "reply": "Please call us to discuss."})
    inv.refresh_from_db()
    assert inv.extra_time_minutes == 0
    landing = candidate.get(reverse("exam-landing", args=[inv.token])).content.decode()
    assert "Declined" in landing and "Please call us to discuss." in landing


@pytest.mark.parametrize(("percent", "details", "why"), [
    ("33", "", "Choose 25 %, 50 % or 100 %"),
    ("", "", "Choose the extra time you need"),
    ("x", "", "Choose 25 %, 50 % or 100 %"),
    ("", "y" * 2001, "under 2,000 characters"),
])
def test_a_bad_request_says_why_and_records_nothing(world, percent, details, why):
    inv = world["invitation"]
    page = Client().post(reverse("exam-accommodation", args=[inv.token]),
                         {"extra_percent": percent, "details": details}, follow=True)
    assert why in page.content.decode()
    assert not Accommodation.objects.filter(invitation=inv).exists()


def test_only_managers_of_the_track_decide(world):
    inv = world["invitation"]
    _request(inv)
    request = Accommodation.objects.get(invitation=inv)
    url = reverse("accommodation-decide", args=[request.pk])
    assert _staff(world["other_manager"]).post(url, {"decision": "percent-100"}).status_code == 404
    assert _staff(world["interviewer"]).post(url, {"decision": "percent-100"}).status_code == 403
    assert Client().post(url, {"decision": "percent-100"}).status_code == 302  # to sign in
    assert "ADJ-MARKER" not in _staff(world["other_manager"]).get(reverse("invitation-list")).content.decode()
    request.refresh_from_db()
    inv.refresh_from_db()
    assert request.status == "pending" and inv.extra_time_minutes == 0


def test_interviewers_and_reports_never_show_it_and_the_audit_trail_masks_it(world):
    from auditlog.models import LogEntry

    inv = world["invitation"]
    _request(inv)
    request = Accommodation.objects.get(invitation=inv)
    _staff(world["manager"]).post(reverse("accommodation-decide", args=[request.pk]), {"decision": "percent-100"})
    attempt = services.attempt_start(invitation=inv)
    written = Question.objects.filter(kind="written", is_current=True).first()
    services.assignment_create(attempt=attempt, interviewer=world["interviewer"], question=written)
    services.attempt_submit(attempt=attempt)
    scoring = _staff(world["interviewer"]).get(reverse("scoring-attempt", args=[attempt.pk])).content.decode()
    report = _staff(world["manager"]).get(reverse("report-attempt", args=[attempt.pk])).content.decode()
    for page in (scoring, report):
        assert "ADJ-MARKER" not in page and "screen reader" not in page
        assert "extra time" not in page.lower() and "adjustment" not in page.lower()
    entries = LogEntry.objects.get_for_object(request)
    assert entries.exists() and not any("ADJ-MARKER" in str(e.changes) for e in entries)


def test_the_purge_drops_what_was_written_and_keeps_the_outcome(world):
    inv = world["invitation"]
    _request(inv)
    request = Accommodation.objects.get(invitation=inv)
    _staff(world["manager"]).post(reverse("accommodation-decide", args=[request.pk]),
                                  {"decision": "percent-25", "reply": "ADJ-MARKER reply"})
    services.candidate_purge(candidate=inv.candidate)
    request.refresh_from_db()
    assert request.details == "" and request.reply == "" and request.granted_minutes > 0

"""The candidate's rights: the data archive and erasure on request, from the admins' privacy page."""

from __future__ import annotations

import io
import json
import zipfile

import pytest
from django.urls import reverse

from assessments.consent import CONSENT_VERSION, current_notice
from assessments.errors import AssessmentError
from assessments.models import Candidate, DimensionScore, Response
from assessments.services import attempt_start, candidate_create, invitation_create
from audit.models import AuditEvent
from ops.privacy import candidate_erase, candidate_export_archive

from .conftest import EMAIL, MARKER, NAME

pytestmark = pytest.mark.django_db


def _archive(data: bytes) -> dict[str, str]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name).decode() for name in archive.namelist()}


def test_the_archive_holds_identity_answers_snapshots_results_scores_and_signals(world):
    files = _archive(candidate_export_archive(candidate=world.candidate))

    assert {"README.txt", "candidate.json", "answers/explain-ctc.md", "answers/add-two.py", "results.json",
            "scores.json", "integrity_events.json"} <= set(files)
    assert [n for n in files if n.startswith("snapshots/add-two/")] == ["snapshots/add-two/1.py"]
    assert MARKER in files["answers/explain-ctc.md"] and MARKER in files["answers/add-two.py"]
    assert MARKER in files["snapshots/add-two/1.py"]
    person = json.loads(files["candidate.json"])
    assert (person["candidate"]["full_name"], person["candidate"]["email"]) == (NAME, EMAIL)
    (invitation,) = person["invitations"]
    attempt = invitation["attempt"]
    assert invitation["track"]["slug"] == "mini" and attempt["status"] == "submitted"
    assert attempt["consent_version"] == CONSENT_VERSION and attempt["consent_text"] == current_notice().text
    events = [t["event"] for t in attempt["timeline"]]
    assert events[0] == "started" and "Pasted text" in events
    assert "submitted (submitted by the candidate)" in events and "code kept (revision 1)" in events
    results = json.loads(files["results.json"])
    (coding,) = [q for q in results[0]["questions"] if q["question"] == "add-two"]
    assert (coding["automated_score"]["verdict"], coding["automated_score"]["score"]) == ("failed", 0.6)
    suites = {r["suite"]: r for r in coding["runs"]}
    assert suites["visible"]["output"] == f"printed {MARKER}"  # what the candidate saw
    assert "tests" not in suites["hidden"] and MARKER not in json.dumps(suites["hidden"])  # hidden tests stay hidden
    scores = json.loads(files["scores.json"])
    assert [s["recommendation"] for s in scores] == ["Yes", "Strong yes"]
    assert scores[0]["superseded_by_amendment"] and scores[1]["amendment_reason"] == f"Reconsidered {MARKER}"
    assert scores[0]["scores"][0]["level"] == 2 and MARKER in scores[0]["scores"][0]["evidence"]
    assert {s["interviewer"] for s in scores} == {"Interviewer 1"} and "ivy" not in files["scores.json"]
    assert scores[0]["notes"] == {"explain-ctc": f"Live note on {NAME}: {MARKER}"}
    (event,) = json.loads(files["integrity_events.json"])
    assert (event["kind"], event["pasted_chars"], event["question"]) == ("paste", 7781, "explain-ctc")
    assert "scores.json" in files["README.txt"] and world.candidate.code in files["README.txt"]


def test_the_page_exports_and_erases_for_admins_with_the_audit_trail(client, world, staff):
    client.force_login(staff["admin"])
    url = reverse("privacy-candidate", args=[world.candidate.pk])
    page = client.get(url)
    html = page.content.decode()
    assert page.status_code == 200 and NAME in html and world.candidate.code in html
    assert "Download data archive" in html and "Erase personal data" in html

    export = client.post(reverse("privacy-candidate-export", args=[world.candidate.pk]))
    assert export.status_code == 200 and export["Content-Type"] == "application/zip"
    assert export["Content-Disposition"] == f'attachment; filename="candidate-{world.candidate.code}.zip"'
    assert export["Cache-Control"] == "no-store"
    assert MARKER in _archive(export.content)["answers/explain-ctc.md"]
    exported = AuditEvent.objects.get(action="export")
    assert (exported.actor, exported.candidate_id, exported.candidate_code) == (
        staff["admin"], world.candidate.pk, world.candidate.code)

    erase_url = reverse("privacy-candidate-erase", args=[world.candidate.pk])
    refused = client.post(erase_url, {"confirm_code": "C-WRONG1"}, follow=True)
    assert f"Type the candidate&#x27;s code, {world.candidate.code}" in refused.content.decode()
    assert Candidate.objects.get(pk=world.candidate.pk).full_name == NAME
    assert not AuditEvent.objects.filter(action="erase").exists()

    done = client.post(erase_url, {"confirm_code": world.candidate.code.lower()})
    assert done.status_code == 302 and done["Location"] == url
    html = client.get(url).content.decode()
    assert "was erased" in html and "Erased candidate" in html and NAME not in html
    assert not Response.objects.filter(attempt=world.attempt).exclude(body="").exists()
    assert DimensionScore.objects.filter(scorecard__attempt=world.attempt).count() == 2
    erased = AuditEvent.objects.get(action="erase")
    assert (erased.actor, erased.candidate_id, erased.candidate_code) == (
        staff["admin"], world.candidate.pk, world.candidate.code)
    assert NAME not in erased.what and erased.what == "personal data erased (on request)"


@pytest.mark.parametrize("name", ["privacy-candidate", "privacy-candidate-export", "privacy-candidate-erase"])
def test_only_admins_reach_the_privacy_pages(client, world, staff, name):
    url = reverse(name, args=[world.candidate.pk])
    send = client.get if name == "privacy-candidate" else client.post
    anonymous = send(url)
    assert anonymous.status_code == 302 and anonymous["Location"].startswith(reverse("login"))
    for who in ("manager", "interviewer"):
        client.force_login(staff[who])
        assert send(url, {"confirm_code": world.candidate.code}).status_code == 403
    assert Candidate.objects.get(pk=world.candidate.pk).erased_at is None
    assert not AuditEvent.objects.filter(action__in=["export", "erase"]).exists()
    client.force_login(staff["admin"])
    assert send(reverse(name, args=[world.candidate.pk + 999])).status_code == 404


def test_an_exam_in_progress_is_not_erased(mini_track, staff):
    candidate = candidate_create(full_name="Mid Exam", email="mid@example.org")
    attempt_start(invitation=invitation_create(candidate=candidate, track=mini_track))
    with pytest.raises(AssessmentError, match="exam in progress"):
        candidate_erase(candidate=candidate, actor=staff["admin"])
    assert Candidate.objects.get(pk=candidate.pk).full_name == "Mid Exam"
    assert not AuditEvent.objects.filter(action="erase").exists()


def test_erasing_withdraws_open_links(client, mini_track, staff):
    candidate = candidate_create(full_name="Not Started", email="ns@example.org")
    invitation = invitation_create(candidate=candidate, track=mini_track)
    candidate_erase(candidate=candidate, actor=staff["admin"])
    assert client.get(reverse("exam-landing", args=[invitation.token])).status_code == 410


def test_the_candidate_admin_page_links_to_the_privacy_page(client, world, staff):
    client.force_login(staff["admin"])
    html = client.get(reverse("admin:assessments_candidate_change", args=[world.candidate.pk])).content.decode()
    assert reverse("privacy-candidate", args=[world.candidate.pk]) in html

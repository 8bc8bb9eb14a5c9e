"""The code-similarity view (issue 16): a planted copy among real submissions is listed for the track's managers
with a side-by-side view that marks the matched lines; independent right solutions are not listed; nobody else
reaches it."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse

from assessments import roles, services
from assessments.models import Question, Submission, Track
from tests.assessments.test_similarity import _renamed, _reordered_with_comments
from tests.factories import UserFactory

LAB = "ctc-greedy-decode"
VARIANTS = Path(__file__).resolve().parents[2] / "exercises" / LAB / "variants"


def _submit(track: Track, name: str, code: str) -> Submission:
    invitation = services.invitation_create(
        candidate=services.candidate_create(full_name=name, email=f"{name.split()[0].lower()}@example.com"),
        track=track)
    attempt = services.attempt_start(invitation=invitation)
    services.response_save(attempt=attempt, question=Question.objects.get(slug=LAB, is_current=True), body=code,
                           base_revision=0)
    services.attempt_submit(attempt=attempt)
    return Submission.objects.get(attempt=attempt, question__slug=LAB)


@pytest.fixture
def cohort(synced_content):
    roles.roles_ensure()
    track = Track.objects.get(slug="advanced-ml-speech", is_current=True)
    original = (VARIANTS / "right" / "groupby.py").read_text()
    subs = {
        "original": _submit(track, "Olga Original", original),
        "other_right": _submit(track, "Rita Right", (VARIANTS / "right" / "numpy_diff.py").read_text()),
        "copy": _submit(track, "Cody Copier", _reordered_with_comments(_renamed(original))),
    }
    manager = UserFactory(username="meg", role=roles.HIRING_MANAGER)
    services.track_manager_add(track_slug=track.slug, user=manager)
    return track, subs, manager


@pytest.mark.django_db
def test_the_planted_copy_is_listed_and_shown_side_by_side(cohort):
    track, subs, manager = cohort
    c = Client()
    c.force_login(manager)
    page = c.get(reverse("report-similarity", args=[track.slug]))
    assert page.status_code == 200
    lab = next(lab for lab in page.context["labs"] if lab.question.slug == LAB)
    assert lab.submissions == 3
    assert [{p.a.pk, p.b.pk} for p in lab.pairs] == [{subs["original"].pk, subs["copy"].pk}]  # not the right pair
    html = page.content.decode()
    assert "Cody Copier" in html and "Olga Original" in html and "Rita Right" not in html
    a, b = sorted((subs["original"].pk, subs["copy"].pk))
    side = c.get(reverse("report-similarity-pair", args=[track.slug, a, b]))
    assert side.status_code == 200 and side.content.decode().count('class="line hit"') >= 4


@pytest.mark.django_db
def test_only_the_tracks_managers_reach_it(cohort):
    track, subs, _ = cohort
    other = UserFactory(username="oz", role=roles.HIRING_MANAGER)
    services.track_manager_add(track_slug="another-track", user=other)
    interviewer = UserFactory(username="ivy", role=roles.INTERVIEWER)
    a, b = subs["original"].pk, subs["copy"].pk
    for user in (other, interviewer):
        c = Client()
        c.force_login(user)
        assert c.get(reverse("report-similarity", args=[track.slug])).status_code == 404
        assert c.get(reverse("report-similarity-pair", args=[track.slug, a, b])).status_code == 404
    assert Client().get(reverse("report-similarity", args=[track.slug])).status_code == 302


@pytest.mark.django_db
def test_an_admin_uploads_a_leak_and_matching_submissions_are_listed_against_it(cohort):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from assessments.models import KnownSolution

    track, subs, manager = cohort
    admin = UserFactory(username="root", is_superuser=True, is_staff=True, role=roles.ADMIN)
    c = Client()
    c.force_login(admin)
    add = reverse("admin:assessments_knownsolution_add")
    leak = _renamed((VARIANTS / "right" / "numpy_diff.py").read_text())  # what was found online
    # Hostile or useless uploads are refused with the reason, and nothing is stored.
    for upload, why in ((SimpleUploadedFile("x.py", b"\xff\xfe\x00binary"), "Not UTF-8"),
                        (SimpleUploadedFile("x.py", b"x = 1\n"), "Too short to compare")):
        resp = c.post(add, {"question_slug": LAB, "source": "forum", "body": "", "upload": upload})
        assert resp.status_code == 200 and why in resp.content.decode()
    assert c.post(add, {"question_slug": "no-such-lab", "source": "x", "body": leak}).status_code == 200
    assert "is this one solution" in c.post(add, {"question_slug": LAB, "source": "x",
                                                  "body": leak * 400}).content.decode()
    assert not KnownSolution.objects.exists()
    resp = c.post(add, {"question_slug": LAB, "source": "https://paste.example/abc",
                        "upload": SimpleUploadedFile("leak.py", leak.encode())})
    assert resp.status_code == 302, resp.content.decode()[:2000]
    known = KnownSolution.objects.get()
    assert known.uploaded_by == admin and known.body == leak

    c.force_login(manager)
    page = c.get(reverse("report-similarity", args=[track.slug]))
    lab = next(lab for lab in page.context["labs"] if lab.question.slug == LAB)
    assert lab.known_count == 1
    # Rita handed in the leaked code; the others match neither the leak nor the reference.
    assert [(k.submission.pk, k.source) for k in lab.known] == [(subs["other_right"].pk, f"known-{known.pk}")]
    assert "Known solution: https://paste.example/abc" in page.content.decode()
    side = c.get(reverse("report-similarity-known", args=[track.slug, subs["other_right"].pk, f"known-{known.pk}"]))
    assert side.status_code == 200 and side.content.decode().count('class="line hit"') >= 4
    assert c.get(reverse("report-similarity-known", args=[track.slug, subs["copy"].pk, "known-999"])).status_code == 404
    # Managers cannot reach the admin site (the Admin role only).
    assert c.get(add).status_code == 302


@pytest.mark.django_db
def test_a_copy_of_the_reference_is_listed_against_it(cohort):
    track, subs, manager = cohort
    lab_q = Question.objects.get(slug=LAB, is_current=True)
    reference = lab_q.files.files[f"reference/{lab_q.coding['entrypoint']}"]
    leaked = _submit(track, "Lee Leaked", _reordered_with_comments(_renamed(reference)))
    c = Client()
    c.force_login(manager)
    lab = next(lab for lab in c.get(reverse("report-similarity", args=[track.slug])).context["labs"]
               if lab.question.slug == LAB)
    assert [(k.submission.pk, k.source) for k in lab.known] == [(leaked.pk, "reference")]
    assert lab.known[0].match.score >= lab.threshold
    other = UserFactory(username="oz", role=roles.HIRING_MANAGER)
    services.track_manager_add(track_slug="another-track", user=other)
    c.force_login(other)
    assert c.get(reverse("report-similarity-known", args=[track.slug, leaked.pk, "reference"])).status_code == 404

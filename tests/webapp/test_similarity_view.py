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

"""The notice a candidate agrees to is versioned: the page shows the current one and the attempt keeps its version."""

from __future__ import annotations

import dataclasses

import pytest
from django.urls import reverse
from django.utils.html import escape

from assessments import consent
from assessments.models import Attempt

# Every published notice, by version: the sha256 of its text. An attempt points at its version, so a published text
# never changes; a new text is a new version (add it to assessments.consent.NOTICES, move CONSENT_VERSION, pin it here).
PUBLISHED = {
    "2026-1": "8dc6bd7b9c448e65930b13d518641a6115a116c1cc77f6e4f1ccaa02d1113229",
}


def _problems(notices: dict[str, consent.ConsentNotice], current: str) -> list[str]:
    problems = [f"notice {v} is gone: attempts point at it, keep it" for v in PUBLISHED if v not in notices]
    problems += [f"notice {v} changed in place: give the new text a new version" for v, n in notices.items()
                 if v in PUBLISHED and n.fingerprint != PUBLISHED[v]]
    problems += [f"notice {v} is not pinned in PUBLISHED (its sha256 is {n.fingerprint})" for v, n in notices.items()
                 if v not in PUBLISHED]
    problems += [f"notice {v} is keyed under another version" for v, n in notices.items() if n.version != v]
    if current not in notices:
        problems.append(f"CONSENT_VERSION {current} has no notice")
    return problems


def test_every_published_notice_is_kept_word_for_word():
    assert _problems(consent.NOTICES, consent.CONSENT_VERSION) == []


def test_changing_the_text_without_a_new_version_fails():
    notice = consent.current_notice()
    edited = dataclasses.replace(notice, privacy=notice.privacy + " We also keep your IP address.")
    problems = _problems({**consent.NOTICES, notice.version: edited}, consent.CONSENT_VERSION)
    assert problems == [f"notice {notice.version} changed in place: give the new text a new version"]
    bumped = dataclasses.replace(edited, version="2099-1")
    problems = _problems({**consent.NOTICES, "2099-1": bumped}, "2099-1")
    assert problems == [f"notice 2099-1 is not pinned in PUBLISHED (its sha256 is {bumped.fingerprint})"]


@pytest.mark.django_db
def test_the_landing_page_shows_the_notice_and_the_attempt_keeps_its_version(client, invitation):
    url = reverse("exam-landing", args=[invitation.token])
    html = client.get(url).content.decode()
    notice = consent.current_notice()
    for part in (*notice.recorded, notice.privacy, notice.agreement):
        assert escape(part) in html
    assert f'name="consent_version" value="{notice.version}"' in html

    client.post(reverse("exam-start", args=[invitation.token]), {"consent": "on", "consent_version": notice.version})
    attempt = Attempt.objects.get(invitation=invitation)
    assert attempt.consent_version == consent.CONSENT_VERSION and attempt.consented_at is not None
    assert consent.notice_for(attempt.consent_version).text == notice.text


@pytest.mark.django_db
def test_agreeing_to_a_notice_that_has_changed_since_is_refused(client, invitation):
    response = client.post(reverse("exam-start", args=[invitation.token]),
                           {"consent": "on", "consent_version": "1999-1"}, follow=True)
    assert "The notice has changed since this page was opened" in response.content.decode()
    assert not Attempt.objects.filter(invitation=invitation).exists()

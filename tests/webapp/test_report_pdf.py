"""The PDF report (issue 16, finding 3; issue 17's PDF item): no site header, navigation or CSRF token in it, no
empty page, the summary on page 1, and stylesheets read from disk, never fetched back from the app."""

from __future__ import annotations

import io

import pytest
from django.test import Client
from django.urls import reverse

from assessments import roles, services
from assessments.models import Question, Track
from tests.factories import UserFactory
from webapp.pdf import RefusedURL, static_bytes

pytestmark = pytest.mark.django_db


@pytest.fixture
def report(synced_content):
    roles.roles_ensure()
    track = Track.objects.get(slug="advanced-ml-speech", is_current=True)
    invitation = services.invitation_create(
        candidate=services.candidate_create(full_name="Pia Printer", email="pia@example.com"), track=track)
    attempt = services.attempt_start(invitation=invitation)
    written = Question.objects.filter(kind="written", is_current=True).first()
    body = "A long answer " + "with words " * 400 + "\n```python\n" + "x = 1  # " + "y" * 300 + "\n```"
    services.response_save(attempt=attempt, question=written, base_revision=0, body=body)
    services.attempt_submit(attempt=attempt)
    manager = UserFactory(username="meg", role=roles.HIRING_MANAGER)
    services.track_manager_add(track_slug=track.slug, user=manager)
    return attempt, manager


def test_the_pdf_holds_the_report_and_nothing_of_the_session(report):
    pypdf = pytest.importorskip("pypdf")
    attempt, manager = report
    c = Client()
    c.force_login(manager)
    c.get(reverse("report-attempt", args=[attempt.pk]))  # a page that sets the CSRF cookie, as a browser has
    resp = c.get(reverse("report-attempt-pdf", args=[attempt.pk]))
    assert resp.status_code == 200 and resp["Content-Type"] == "application/pdf"
    pdf = pypdf.PdfReader(io.BytesIO(resp.content))
    pages = [p.extract_text() or "" for p in pdf.pages]
    text = "\n".join(pages)
    assert "Hiring signal" in pages[0] and "Combined signal" in pages[0]
    assert "Automated results" not in pages[0]  # the summary has page 1 to itself
    assert "By competency" in pages[0] and "Recommendations" in pages[0]
    assert "Automated results" in text and "Human scores by dimension" in text  # the detail, open on paper
    assert "Per-question detail" not in text  # the on-screen toggle is not printed
    for absent in ("Log out", "Invitations", "My queue", "csrfmiddlewaretoken", "/exam/", "PDF"):
        assert absent not in text, absent
    token = c.cookies.get("csrftoken")
    assert token is None or token.value.encode() not in resp.content
    assert all(len(p.strip()) > 40 for p in pages), [len(p.strip()) for p in pages]  # no near-empty page
    assert len(pages) <= 40
    assert "yyyyyyyyyy" in text.replace("\n", "")  # a long code line is wrapped onto the page, not clipped away


def test_the_pdf_reads_stylesheets_from_disk_and_fetches_nothing_else():
    css, mime = static_bytes("http://testserver/static/css/print.css")
    assert b"@page" in css and mime == "text/css"
    for url in ("http://testserver/reports/attempts/1/", "http://example.com/static/css/app.css/../../x",
                "https://evil.example/steal", "file:///etc/passwd", "http://testserver/static/../settings.py",
                "file:///work/static/css/app.css"):
        with pytest.raises(RefusedURL):
            static_bytes(url)

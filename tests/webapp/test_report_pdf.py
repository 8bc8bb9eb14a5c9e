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


def test_one_report_exported_by_many_at_once_is_rendered_once(monkeypatch):
    """A committee exporting the same report together: one render; the others wait for it and get the same bytes."""
    import threading

    from webapp import pdf as pdf_module

    renders = []
    gate = threading.Event()

    def slow_render(html, base_url):
        renders.append(html)
        gate.wait(5)
        return b"%PDF-" + html.encode()

    monkeypatch.setattr(pdf_module, "_render", slow_render)
    results = []
    threads = [threading.Thread(target=lambda: results.append(pdf_module.html_to_pdf("<p>r</p>", base_url="x")))
               for _ in range(6)]
    for t in threads:
        t.start()
    gate.set()
    for t in threads:
        t.join(10)
    assert len(renders) == 1 and results == [b"%PDF-<p>r</p>"] * 6
    assert pdf_module.html_to_pdf("<p>r</p>", base_url="x") == b"%PDF-<p>r</p>" and len(renders) == 1  # cached
    assert pdf_module.html_to_pdf("<p>other</p>", base_url="x") == b"%PDF-<p>other</p>" and len(renders) == 2


def test_without_a_working_cache_the_pdf_is_still_rendered(monkeypatch):
    from webapp import pdf as pdf_module

    class Down:
        def __getattr__(self, name):
            def fail(*a, **k):
                raise ConnectionError("cache away")
            return fail

    monkeypatch.setattr(pdf_module, "cache", Down())
    monkeypatch.setattr(pdf_module, "_render", lambda html, base_url: b"%PDF-x")
    assert pdf_module.html_to_pdf("<p>r</p>", base_url="x") == b"%PDF-x"

"""The API's browsable docs (Swagger UI from drf-spectacular-sidecar) load offline under the site's CSP."""

from __future__ import annotations

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_api_docs_render_from_our_static_files(chromium, app_server):
    page = chromium.new_page()
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    outside: list[str] = []
    page.on("request", lambda r: outside.append(r.url) if not r.url.startswith(app_server.url)
            and not r.url.startswith("data:") else None)
    page.goto(f"{app_server.url}/api/v1/docs/")
    page.get_by_text("/api/v1/invitations/", exact=True).first.wait_for(timeout=15_000)
    assert not outside, outside  # no CDN
    assert not [p for p in problems if "Content Security Policy" in p], problems

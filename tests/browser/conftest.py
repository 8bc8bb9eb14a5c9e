import os
import shutil

import pytest

from tests.conftest import require_service

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")


@pytest.fixture(scope="session")
def app_server(django_db_setup, live_server):
    """The live server, set up after the test database so it stops before the database is dropped."""
    return live_server


@pytest.fixture
def chromium():
    require_service("Chromium", bool(shutil.which(CHROMIUM) or os.path.exists(CHROMIUM)), f"{CHROMIUM} not found")
    # Playwright's sync API runs an event loop in this thread; the ORM calls around it are ours.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True,
                                     args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        try:
            yield browser
        finally:
            browser.close()
            # ORM calls made while Playwright's loop runs get their own connection (Django keys
            # connections by async context); close it here or it blocks dropping the test database.
            from django.db import connections

            connections.close_all()


@pytest.fixture
def browser_page(chromium):
    page = chromium.new_page(viewport={"width": 1280, "height": 900})
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.console_errors = errors
    return page

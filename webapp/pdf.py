"""PDF rendering with WeasyPrint that never calls back into the app: stylesheets and images under STATIC_URL
are read from disk (the staticfiles finders, else STATIC_ROOT), data: URLs are decoded, anything else is refused
(a PDF of candidate data must not fetch from the network)."""

from __future__ import annotations

import contextlib
import hashlib
import mimetypes
import re
import time
from pathlib import Path
from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.contrib.staticfiles import finders
from django.core.cache import cache


class RefusedURL(ValueError):
    pass


def static_bytes(url: str) -> tuple[bytes, str]:
    """(content, MIME type) of a URL under STATIC_URL, read from disk; RefusedURL for anything else."""
    path = unquote(urlsplit(url).path)
    prefix = "/" + settings.STATIC_URL.strip("/") + "/"
    if urlsplit(url).scheme in ("http", "https") and path.startswith(prefix):
        rel = path[len(prefix):]
        if ".." not in Path(rel).parts:
            found = finders.find(rel)
            if not found and (Path(settings.STATIC_ROOT) / rel).is_file():
                found = str(Path(settings.STATIC_ROOT) / rel)
            if found:
                return Path(found).read_bytes(), mimetypes.guess_type(found)[0] or "application/octet-stream"
    raise RefusedURL(f"not fetched while rendering a PDF: {url}")


def _fetcher():
    try:  # WeasyPrint >= 70: a URLFetcher whose fetch() answers a URLFetcherResponse
        from weasyprint.urls import URLFetcher, URLFetcherResponse
    except ImportError:  # older: a function answering a dict
        from weasyprint import default_url_fetcher

        def fetch(url: str, timeout: int = 10, ssl_context=None) -> dict:
            if url.startswith("data:"):
                return default_url_fetcher(url)
            data, mime = static_bytes(url)
            return {"string": data, "mime_type": mime, "redirected_url": url}

        return fetch

    class StaticOnly(URLFetcher):
        def fetch(self, url, headers=None):
            if url.startswith("data:"):
                return super().fetch(url, headers)
            data, mime = static_bytes(url)
            return URLFetcherResponse(url, data, {"Content-Type": mime}, 200)

    return StaticOnly()


# A rendered PDF is kept briefly, keyed by the hash of its HTML: a committee exporting one candidate's report
# together before a debrief renders it once (a render is 1.5-2.5 s of CPU). Short, because an erasure changes the
# HTML (a new key) but cannot reach a copy already in the cache.
PDF_CACHE_S = 600
CHART_IDS = re.compile(r"chart-\d+")
RENDER_WAIT_S = 30


def html_to_pdf(html: str, *, base_url: str) -> bytes:
    """The PDF of this HTML: from the cache, from another request rendering the same HTML right now (waited for,
    not rendered twice), or rendered here. Without a working cache it simply renders."""
    # Charts number their ids per process (webapp.charts): the same report renders with other numbers.
    key = "pdf:" + hashlib.sha256(f"{base_url}\0{CHART_IDS.sub('chart', html)}".encode()).hexdigest()
    try:
        pdf = cache.get(key)
        if pdf is not None:
            return pdf
        owner = cache.add(f"{key}:rendering", 1, timeout=RENDER_WAIT_S * 2)
    except Exception:  # noqa: BLE001 - the cache is away: render, as without one
        return _render(html, base_url)
    if not owner:
        deadline = time.monotonic() + RENDER_WAIT_S
        while time.monotonic() < deadline:
            time.sleep(0.1)
            with contextlib.suppress(Exception):
                pdf = cache.get(key)
                if pdf is not None:
                    return pdf
    try:
        pdf = _render(html, base_url)
        with contextlib.suppress(Exception):
            cache.set(key, pdf, timeout=PDF_CACHE_S)
        return pdf
    finally:
        if owner:
            with contextlib.suppress(Exception):
                cache.delete(f"{key}:rendering")


def _render(html: str, base_url: str) -> bytes:
    from weasyprint import HTML

    return HTML(string=html, base_url=base_url, url_fetcher=_fetcher()).write_pdf()

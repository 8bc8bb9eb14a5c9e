"""PDF rendering with WeasyPrint that never calls back into the app: stylesheets and images under STATIC_URL
are read from disk (the staticfiles finders, else STATIC_ROOT), data: URLs are decoded, anything else is refused
(a PDF of candidate data must not fetch from the network)."""

from __future__ import annotations

import mimetypes
from pathlib import Path
from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.contrib.staticfiles import finders


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


def html_to_pdf(html: str, *, base_url: str) -> bytes:
    from weasyprint import HTML

    return HTML(string=html, base_url=base_url, url_fetcher=_fetcher()).write_pdf()

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


def static_url_fetcher(url: str, timeout: int = 10, ssl_context=None) -> dict:
    if url.startswith("data:"):
        from weasyprint.urls import default_url_fetcher

        return default_url_fetcher(url)
    path = unquote(urlsplit(url).path)
    prefix = "/" + settings.STATIC_URL.strip("/") + "/"
    if path.startswith(prefix):
        rel = path[len(prefix):]
        found = finders.find(rel) if ".." not in Path(rel).parts else None
        if not found and ".." not in Path(rel).parts and (Path(settings.STATIC_ROOT) / rel).is_file():
            found = str(Path(settings.STATIC_ROOT) / rel)
        if found:
            return {"string": Path(found).read_bytes(), "mime_type": mimetypes.guess_type(found)[0] or "text/plain",
                    "redirected_url": url}
    raise RefusedURL(f"not fetched while rendering a PDF: {url}")


def html_to_pdf(html: str, *, base_url: str) -> bytes:
    from weasyprint import HTML

    return HTML(string=html, base_url=base_url, url_fetcher=static_url_fetcher).write_pdf()

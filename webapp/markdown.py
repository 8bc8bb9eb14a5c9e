"""Markdown to safe HTML: Markdown renders, nh3 strips whatever is not on the allow-list."""

import re

import markdown as md
import nh3
from django.utils.safestring import SafeString, mark_safe

_TAGS = {"p", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6", "strong", "em", "code", "pre", "blockquote",
         "ul", "ol", "li", "a", "table", "thead", "tbody", "tr", "th", "td", "span", "div", "sup", "sub"}
_ATTRIBUTES = {"a": {"href", "title"}, "span": {"class"}, "div": {"class"}, "code": {"class"}, "th": {"align"},
               "td": {"align"}}
# A candidate's answer: no class at all (it could wear the app's badges or hide text from reviewers).
_ANSWER_ATTRIBUTES = {"a": {"href", "title"}, "th": {"align"}, "td": {"align"}}


def render_markdown(text: str, *, shift_headings: int = 0, untrusted: bool = False) -> SafeString:
    """shift_headings moves every heading down that many levels (h1 -> h2 under a page's own h1); `untrusted`
    (candidates' answers) also drops every class."""
    html = md.markdown(text or "", extensions=["fenced_code", "tables", "sane_lists"])
    if shift_headings:
        html = re.sub(r"<(/?)h([1-6])\b", lambda m: f"<{m.group(1)}h{min(6, int(m.group(2)) + shift_headings)}", html)
    attributes = _ANSWER_ATTRIBUTES if untrusted else _ATTRIBUTES
    return mark_safe(nh3.clean(html, tags=_TAGS, attributes=attributes, url_schemes={"http", "https", "mailto"},
                               link_rel="noopener noreferrer nofollow"))

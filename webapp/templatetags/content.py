from django import template

from webapp.markdown import render_markdown

register = template.Library()


@register.filter(name="markdown")
def markdown_filter(text: str, shift_headings: int = 0):
    """Sanitised Markdown; `|markdown:1` moves headings down a level (under the page's own h1)."""
    return render_markdown(text, shift_headings=int(shift_headings or 0))


@register.filter(name="answer_markdown")
def answer_markdown_filter(text: str, shift_headings: int = 3):
    """A candidate's answer: sanitised Markdown without classes, its headings below the page's (h1 -> h4)."""
    return render_markdown(text, shift_headings=int(shift_headings or 0), untrusted=True)

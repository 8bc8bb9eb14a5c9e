"""Small helpers shared by the browser tests."""

from __future__ import annotations

import time


def until(page, expression: str, timeout_s: float = 10.0) -> None:
    """Wait until a JavaScript expression is true. Polls with evaluate (over CDP) rather than wait_for_function,
    whose string predicate is evaluated with the page's eval, which the site's CSP (no 'unsafe-eval') forbids."""
    deadline = time.monotonic() + timeout_s
    while not page.evaluate(expression):
        assert time.monotonic() < deadline, f"{expression} never became true"
        page.wait_for_timeout(100)

"""Server-rendered SVG charts for the hiring report.

Plain SVG strings rather than a JavaScript chart library: the site's CSP allows neither inline scripts nor inline
styles, so the charts use presentation attributes only (fill, stroke, font-size) and ship no <script> or <style>.
They are readable without colour: the candidate is a triangle labelled "this candidate", intervals are lines with
end caps, and the numbers that matter are written as text. Each chart is role="img" with a <title> and a <desc>
that states the numbers in words for screen readers. Every label is escaped: dimension names come from content.
"""

from __future__ import annotations

import itertools
import math
import statistics
from collections.abc import Callable, Sequence

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

__all__ = ["dimension_chart_svg", "distribution_svg", "interval_bar_svg"]

SVG_NS = "http://www.w3.org/2000/svg"
INK = "currentColor"  # text and axes follow the page's text colour (dark mode included)
DOT = "#52606d"
MARK = "#b45309"
FONT = 'font-family="system-ui, sans-serif"'
BIN = 0.05  # dot-histogram bin width, as a fraction of the axis
MIN_DOT_RADIUS = 2.0

# Unique ids for aria-labelledby: several charts share a page.
_ids = itertools.count(1)


def _n(x: float) -> str:
    """A coordinate: one decimal is finer than a pixel and keeps the markup short."""
    return f"{x:.1f}"


def _v(x: float) -> str:
    """A value as people read it on a 0..1 signal or a small rubric scale."""
    return f"{x:.2f}"


def _tick(x: float) -> str:
    return f"{x:g}"


def _text(x: float, y: float, content: str, *, anchor: str = "start", size: int = 11, cls: str = "",
          weight: str = "") -> str:
    attrs = f' class="{cls}"' if cls else ""
    attrs += f' font-weight="{weight}"' if weight else ""
    return (f'<text x="{_n(x)}" y="{_n(y)}" text-anchor="{anchor}" font-size="{size}" fill="{INK}"{attrs}>'
            f"{escape(content)}</text>")


def _line(x1: float, y1: float, x2: float, y2: float, *, cls: str = "", width: float = 1.0, colour: str = INK,
          extra: str = "") -> str:
    attrs = f' class="{cls}"' if cls else ""
    return (f'<line x1="{_n(x1)}" y1="{_n(y1)}" x2="{_n(x2)}" y2="{_n(y2)}" stroke="{colour}" '
            f'stroke-width="{width:g}"{attrs}{extra}/>')


def _interval(x1: float, x2: float, y: float, *, cap: float = 5.0) -> list[str]:
    """An interval as a line with end caps, so its ends read without colour."""
    return [
        _line(x1, y, x2, y, cls="interval", width=2),
        _line(x1, y - cap, x1, y + cap, cls="interval-cap", width=2),
        _line(x2, y - cap, x2, y + cap, cls="interval-cap", width=2),
    ]


def _svg(width: float, height: float, title: str, desc: str, body: list[str], cls: str) -> SafeString:
    uid = f"chart-{next(_ids)}"
    return mark_safe(  # every label above went through escape()
        f'<svg xmlns="{SVG_NS}" class="chart {cls}" width="{_n(width)}" height="{_n(height)}" '
        f'viewBox="0 0 {_n(width)} {_n(height)}" role="img" aria-labelledby="{uid}-title {uid}-desc" {FONT}>'
        f'<title id="{uid}-title">{escape(title)}</title><desc id="{uid}-desc">{escape(desc)}</desc>'
        + "".join(body) + "</svg>"
    )


def _scale(lo: float, hi: float, left: float, right: float) -> Callable[[float], float]:
    """Value -> x, clamped to the axis so an out-of-range value sits at the edge instead of off the chart."""
    if not hi > lo:
        raise ValueError(f"axis range is empty: lo={lo}, hi={hi}")

    def x(value: float) -> float:
        return left + (min(max(value, lo), hi) - lo) / (hi - lo) * (right - left)

    return x


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def distribution_svg(values: Sequence[float], marked: float | None = None, *, label: str, width: int = 560,
                     height: int = 140, lo: float = 0.0, hi: float = 1.0) -> SafeString:
    """Every candidate's combined signal as a dot histogram (bins of 0.05), with this candidate as a labelled triangle.

    A strip of dots shows the shape of the cohort (clusters, gaps, outliers) that a single percentile hides. When a
    bin holds more dots than fit, each dot stands for several candidates and the chart says so.
    """
    finite = [float(v) for v in values if v is not None and math.isfinite(v)]
    left, right = 16.0, width - 16.0
    x = _scale(lo, hi, left, right)
    top, axis_y = 24.0, height - 46.0
    body = [_text(left, 14, label, cls="chart-label", weight="600")]

    # Axis with ticks at 0, 1/4, 1/2, 3/4, 1 of the range.
    body.append(_line(left, axis_y, right, axis_y, cls="axis"))
    for fraction in (0.0, 0.25, 0.5, 0.75, 1.0):
        value = lo + fraction * (hi - lo)
        body.append(_line(x(value), axis_y, x(value), axis_y + 4, cls="tick"))
        body.append(_text(x(value), axis_y + 15, _tick(value), anchor="middle", size=10, cls="tick-label"))

    if finite:
        bins = round(1 / BIN)
        counts = [0] * bins
        for value in finite:
            counts[min(int((min(max(value, lo), hi) - lo) / (hi - lo) * bins), bins - 1)] += 1
        bin_width = (right - left) / bins
        plot_height = axis_y - top
        per_dot = max(1, math.ceil(max(counts) * 2 * MIN_DOT_RADIUS / plot_height))
        stack = math.ceil(max(counts) / per_dot)
        radius = min(bin_width / 2 - 0.5, plot_height / (2 * stack))
        for index, count in enumerate(counts):
            cx = left + (index + 0.5) * bin_width
            for k in range(math.ceil(count / per_dot)):
                cy = axis_y - radius - 1 - 2 * radius * k
                body.append(f'<circle class="dot" cx="{_n(cx)}" cy="{_n(cy)}" r="{_n(radius - 0.4)}" fill="{DOT}"/>')
        if per_dot > 1:
            body.append(_text(right, 14, f"each dot = {per_dot} candidates", anchor="end", size=10, cls="dot-scale"))
        summary = (f"{label}: {_plural(len(finite), 'candidate')}, median {_v(statistics.median(finite))}, "
                   f"lowest {_v(min(finite))}, highest {_v(max(finite))}.")
    else:
        body.append(_text((left + right) / 2, (top + axis_y) / 2 + 4, "no data", anchor="middle", cls="no-data"))
        summary = f"{label}: no data."

    if marked is not None and math.isfinite(marked):
        xm = x(marked)
        body.append(_line(xm, top - 4, xm, axis_y, cls="marker-line", colour=MARK, extra=' stroke-dasharray="3 3"'))
        apex, base = axis_y + 19, axis_y + 30
        body.append(f'<polygon class="marker" points="{_n(xm)},{_n(apex)} {_n(xm - 6)},{_n(base)} '
                    f'{_n(xm + 6)},{_n(base)}" fill="{MARK}" stroke="{INK}" stroke-width="1"/>')
        # Keep the label inside the chart near either edge.
        anchor = "start" if xm < left + 60 else "end" if xm > right - 60 else "middle"
        text_x = max(xm - 6, 2) if anchor == "start" else min(xm + 6, width - 2) if anchor == "end" else xm
        body.append(_text(text_x, base + 12, f"this candidate {_v(marked)}", anchor=anchor, cls="marker-label",
                          weight="600"))
        if finite:
            below = sum(1 for value in finite if value < marked)
            summary += f" This candidate: {_v(marked)}, higher than {below} of {_plural(len(finite), 'candidate')}."
        else:
            summary += f" This candidate: {_v(marked)}."
    return _svg(width, height, label, summary, body, "chart-distribution")


def _axis_ticks(lo: float, hi: float) -> list[float]:
    """Every level for a small integer rubric (1..4), otherwise five even ticks."""
    if float(lo).is_integer() and float(hi).is_integer() and hi - lo <= 10:
        return [float(v) for v in range(int(lo), int(hi) + 1)]
    return [lo + f * (hi - lo) for f in (0.0, 0.25, 0.5, 0.75, 1.0)]


def _truncate(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def dimension_chart_svg(rows: Sequence[tuple[str, float, float | None, float | None, Sequence[float]]], *,
                        lo: float, hi: float, width: int = 560, label: str = "Rubric dimensions") -> SafeString:
    """One row per dimension: each rater's level as a circle, the mean as a tick with its value, an optional interval.

    rows: (label, mean, interval low, interval high, rater levels). Showing every rater rather than only the mean
    makes a 1-vs-4 split visible; it would otherwise average to an unremarkable 2.5.
    """
    row_height, top = 30.0, 26.0
    label_width, value_width = 150.0, 120.0
    left, right = label_width + 12, width - value_width - 8
    x = _scale(lo, hi, left, right)
    height = top + max(len(rows), 1) * row_height + 8
    body = []

    ticks = _axis_ticks(lo, hi)
    for value in ticks:
        body.append(_text(x(value), 14, _tick(value), anchor="middle", size=10, cls="tick-label"))
        body.append(_line(x(value), top - 6, x(value), height - 8, cls="grid", extra=' stroke-opacity="0.15"'))

    sentences = []
    if not rows:
        body.append(_text((left + right) / 2, top + row_height / 2 + 4, "no data", anchor="middle", cls="no-data"))
        sentences.append("no data")
    for i, (name, mean, interval_lo, interval_hi, levels) in enumerate(rows):
        y = top + row_height * (i + 0.5)
        has_interval = interval_lo is not None and interval_hi is not None
        sentence = (f"{name}: mean {_v(mean)} on {_tick(lo)} to {_tick(hi)} from {_plural(len(levels), 'rater')}"
                    + (f" (levels {', '.join(_tick(v) for v in levels)})" if levels else ""))
        if has_interval:
            sentence += f", interval {_v(interval_lo)} to {_v(interval_hi)}"
        sentences.append(sentence)
        row = [f"<g class=\"dimension-row\"><title>{escape(sentence)}</title>",
               _text(label_width, y + 4, _truncate(name, 24), anchor="end", cls="dimension-label")]
        if has_interval:
            row.extend(_interval(x(interval_lo), x(interval_hi), y))
        # Raters who chose the same level stack vertically so each stays a visible circle.
        for value, count in sorted(_counts(levels).items()):
            step = min(9.0, (row_height - 10) / max(count - 1, 1))
            for k in range(count):
                cy = y + (k - (count - 1) / 2) * step
                row.append(f'<circle class="rater-level" cx="{_n(x(value))}" cy="{_n(cy)}" r="4" fill="none" '
                           f'stroke="{DOT}" stroke-width="1.5"/>')
        row.append(_line(x(mean), y - 10, x(mean), y + 10, cls="mean", width=3))
        value_text = _v(mean) + (f" ({_v(interval_lo)}–{_v(interval_hi)})" if has_interval else "")
        row.append(_text(right + 10, y + 4, value_text, cls="mean-label"))
        row.append("</g>")
        body.extend(row)
    desc = "; ".join(sentences) + "."
    return _svg(width, height, label, desc, body, "chart-dimensions")


def _counts(levels: Sequence[float]) -> dict[float, int]:
    out: dict[float, int] = {}
    for value in levels:
        out[float(value)] = out.get(float(value), 0) + 1
    return out


def interval_bar_svg(point: float | None, lo: float | None, hi: float | None, *, width: int = 240,
                     label: str = "Combined signal") -> SafeString:
    """A compact 0..1 bar for tables: the point, its interval with caps, and both written out.

    An interval that collapses to a point (one rater, one question) says "no spread" instead of drawing a misleadingly
    precise bar.
    """
    height = 24.0
    left, right = 6.0, width - 100.0
    x = _scale(0.0, 1.0, left, right)
    y = height / 2
    body = [_line(left, y, right, y, cls="track", extra=' stroke-opacity="0.3"'),
            _line(left, y - 3, left, y + 3, cls="track-end", extra=' stroke-opacity="0.3"'),
            _line(right, y - 3, right, y + 3, cls="track-end", extra=' stroke-opacity="0.3"')]
    if point is None or not math.isfinite(point):
        body.append(_text(right + 8, y + 4, "no data", cls="no-data"))
        return _svg(width, height, label, f"{label}: no data.", body, "chart-interval")
    has_interval = lo is not None and hi is not None and math.isfinite(lo) and math.isfinite(hi)
    if has_interval and hi - lo > 1e-9:
        body.extend(_interval(x(lo), x(hi), y, cap=6))
        text = f"{_v(point)} ({_v(lo)}–{_v(hi)})"
        desc = f"{label}: {_v(point)}, interval {_v(lo)} to {_v(hi)}."
    elif has_interval:
        text = f"{_v(point)} (no spread)"
        desc = f"{label}: {_v(point)}; the interval collapses to a point (no spread to measure)."
    else:
        text = _v(point)
        desc = f"{label}: {_v(point)}, no interval."
    body.append(f'<circle class="point" cx="{_n(x(point))}" cy="{_n(y)}" r="4.5" fill="{INK}"/>')
    body.append(_text(right + 8, y + 4, text, cls="interval-label"))
    return _svg(width, height, label, desc, body, "chart-interval")

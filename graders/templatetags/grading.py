"""Template tags that show grading results through graders.result, whatever page they are on."""

from __future__ import annotations

from django import template

from ..result import ResultSummary
from ..selectors import run_progress as _run_progress

register = template.Library()


@register.inclusion_tag("graders/_automated.html")
def automated_result(auto) -> dict:
    """A submission's automated grade (an AutomatedScore): verdict, tests and each benchmark's own partial."""
    return {"auto": auto, "summary": ResultSummary.from_json(auto.details, verdict=auto.verdict, score=auto.score)}


@register.simple_tag
def run_progress(run):
    """A run's state, queue position and time so far while it is not final (graders.selectors.run_progress)."""
    return _run_progress(run) if run is not None else None

"""Item analysis for content owners: how each exercise and rubric dimension of a track behaves across candidates.

Gated like the track comparison: the report permission (an interviewer gets 403), then a track this user manages
(assessments.access: another track's manager gets 404, as if it did not exist)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required, permission_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from assessments import access
from assessments.selectors.items import item_analysis_get
from graders.gold_selectors import gold_status


@login_required
@permission_required("assessments.view_report", raise_exception=True)
def track_items(request: HttpRequest, slug: str) -> HttpResponse:
    track = access.track_for_manager(user=request.user, slug=slug)
    analysis = item_analysis_get(track_slug=slug)
    labs = {r.slug for r in analysis.exercises}
    gold = [lab for lab in gold_status().labs if lab.lab in labs]  # the labs' own solutions, regraded on change
    return render(request, "reports/items.html", {"track": track, "a": analysis, "gold": gold,
                                                  "gold_open": [lab for lab in gold if lab.needs_attention]})

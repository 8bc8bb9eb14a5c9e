"""Reads of the gold regrades (graders.gold): where each lab stands, for staff pages."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import OuterRef, Subquery

from .models import GoldRun, GoldVerdict


@dataclass(frozen=True)
class LabGold:
    lab: str
    last_run: GoldRun | None                                    # the lab's latest graded gold run
    verdicts: int                                               # gold verdicts held for the lab
    problems: list[GoldVerdict] = field(default_factory=list)  # gold verdicts breaking their kind's rule now

    @property
    def drift(self) -> list[dict]:
        """The alarms of the latest run: open until the lab is graded again (its content or sandbox changes)."""
        if self.last_run is None or not self.last_run.drift:
            return []
        return [c for c in self.last_run.changes if c["alarm"]]

    @property
    def needs_attention(self) -> bool:
        return bool(self.drift or self.problems)


@dataclass(frozen=True)
class GoldStatus:
    labs: list[LabGold]

    @property
    def open(self) -> list[LabGold]:
        """Labs with open drift or a shipped solution that does not get what its kind must."""
        return [lab for lab in self.labs if lab.needs_attention]

    @property
    def last_run_at(self) -> datetime | None:
        return max((lab.last_run.finished_at for lab in self.labs if lab.last_run), default=None)


def gold_status() -> GoldStatus:
    """Every lab with gold verdicts or runs: its last run, open drift and current problems (two queries)."""
    latest = GoldRun.objects.filter(lab=OuterRef("lab")).order_by("-finished_at", "-id").values("id")[:1]
    runs = {run.lab: run for run in GoldRun.objects.filter(id=Subquery(latest))}
    counts: dict[str, int] = {}
    problems: dict[str, list[GoldVerdict]] = {}
    for g in GoldVerdict.objects.order_by("lab", "variant", "suite"):
        counts[g.lab] = counts.get(g.lab, 0) + 1
        if g.problem:
            problems.setdefault(g.lab, []).append(g)
    labs = sorted(set(runs) | set(counts))
    return GoldStatus([LabGold(lab=lab, last_run=runs.get(lab), verdicts=counts.get(lab, 0),
                               problems=problems.get(lab, [])) for lab in labs])

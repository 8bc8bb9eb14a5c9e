"""Gold submissions: the solutions every lab ships (reference, starter, right/wrong/core/slow variants), regraded
whenever what grades them changes, with an alarm when a verdict moves (grader drift).

A lab's fingerprint is the hash of every file of its folder, the harness shipped into the sandbox, the sandbox
backend and its image (tag and id). When it differs from the one the lab's gold verdicts were graded under (or
`force`), every solution is graded again with graders.discrimination's jobs and rules, compared with its gold
verdict and stored as the new gold. The first run of a lab is its baseline. Drift, which logs an ERROR, mails the
site admins and is kept on the GoldRun: a verdict that changed (unless it changed back to what its kind must get),
or a solution that now breaks its kind's rule.
"""

from __future__ import annotations

import hashlib
import logging
import smtplib
import subprocess
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import yaml
from django.conf import settings
from django.core.mail import mail_admins
from django.db import IntegrityError, transaction
from django.utils import timezone

from sandboxes.base import Backend

from .backends import get_backend
from .discrimination import Row, lab_rows
from .jobs import harness_files, read_exercise_dir
from .models import GoldRun, GoldVerdict

log = logging.getLogger("graders.gold")

# What a lab's regrade came to (LabOutcome.status).
BASELINE, UNCHANGED, REGRADED, DRIFT, SUPERSEDED = "baseline", "unchanged", "regraded", "drift", "superseded"


def _digest(files: Mapping[str, bytes]) -> str:
    """sha256 over (path, length, bytes) in path order: the same files hash the same on any host."""
    h = hashlib.sha256()
    for rel in sorted(files):
        data = files[rel]
        h.update(f"{rel}\0{len(data)}\0".encode())
        h.update(data)
    return h.hexdigest()


def lab_hash(folder: Path) -> str:
    """Every file of the lab: tests, reference, starter, variants, question.yaml, data (caches left out)."""
    return _digest(read_exercise_dir(folder))


def harness_hash() -> str:
    return _digest(harness_files())


@dataclass(frozen=True)
class Sandbox:
    backend: str
    image: str
    image_id: str


_PYTHON_ENV = ("import sys, importlib.metadata as m; print(sys.version); "
               "print(sorted(f\"{d.metadata['Name']}=={d.version}\" for d in m.distributions()))")


def sandbox_identity(backend: Backend) -> Sandbox:
    """Which sandbox grades: the Docker image's tag and id (a rebuild under the same tag changes the id), or for
    the local backend its Python and a hash of that Python's version and installed packages."""
    client = getattr(backend, "client", None)
    if client is not None:
        import docker.errors

        image = backend.image
        try:
            image_id = client.images.get(image).id
        except docker.errors.DockerException:
            image_id = ""  # a missing image: grading then fails as the sandbox being unavailable
        return Sandbox(backend.name, image, image_id)
    python = getattr(backend, "python", None)
    if python:
        try:
            out = subprocess.run([python, "-I", "-c", _PYTHON_ENV], capture_output=True, timeout=60, check=True).stdout
            env_id = hashlib.sha256(out).hexdigest()[:32]
        except (OSError, subprocess.SubprocessError):
            env_id = ""
        return Sandbox(backend.name, python, env_id)
    return Sandbox(backend.name, str(getattr(backend, "image", "")), "")


@dataclass(frozen=True)
class Fingerprint:
    lab_hash: str
    harness_hash: str
    sandbox: Sandbox

    @property
    def digest(self) -> str:
        parts = (self.lab_hash, self.harness_hash, self.sandbox.backend, self.sandbox.image, self.sandbox.image_id)
        return hashlib.sha256("\n".join(parts).encode()).hexdigest()

    def changed_since(self, run: GoldRun) -> list[str]:
        """The parts that differ from what `run` was graded under, in words."""
        parts = [("lab content", self.lab_hash, run.lab_hash), ("harness", self.harness_hash, run.harness_hash),
                 ("sandbox backend", self.sandbox.backend, run.backend),
                 ("sandbox image", (self.sandbox.image, self.sandbox.image_id), (run.image, run.image_id))]
        return [name for name, now, then in parts if now != then]


@dataclass(frozen=True)
class LabOutcome:
    lab: str
    status: str     # baseline, unchanged, regraded, drift or superseded (another regrade stored it first)
    reason: str
    run: GoldRun | None = None

    @property
    def alarms(self) -> list[dict]:
        return [c for c in (self.run.changes if self.run else []) if c["alarm"]]

    def lines(self) -> list[str]:
        head = f"{self.status.upper():10s} {self.lab}: {self.reason}"
        if self.run is not None:
            head += (f" ({self.run.verdicts} verdicts, {self.run.changed} changed, {self.run.problems} problem(s); "
                     f"{self.run.backend} {self.run.image} {self.run.image_id[:19]})")
        return [head] + [f"    {change_line(c)}" for c in (self.run.changes if self.run else [])]


@dataclass(frozen=True)
class GoldReport:
    labs: list[LabOutcome] = field(default_factory=list)

    @property
    def drift(self) -> list[LabOutcome]:
        return [o for o in self.labs if o.status == DRIFT]

    def summary(self) -> dict[str, str]:
        return {o.lab: o.status for o in self.labs}


def change_line(change: Mapping) -> str:
    def side(s: Mapping | None) -> str:
        return "-" if s is None else f"{s['verdict']} {s['score']:.3f}"

    mark = "ALARM" if change["alarm"] else change["change"]
    problem = (change.get("after") or {}).get("problem")
    why = f"  <- {problem}" if problem and change["alarm"] else ""
    return (f"{mark:9s} {change['variant']} {change['suite']}: {side(change.get('before'))} -> "
            f"{side(change.get('after'))}{why}")


def coding_labs(root: Path | None = None) -> list[Path]:
    root = Path(root or settings.CONTENT_EXERCISES_DIR)
    return sorted(p.parent for p in root.glob("*/question.yaml")
                  if (yaml.safe_load(p.read_text()) or {}).get("kind") == "coding")


def gold_regrade(labs: Iterable[str] | None = None, *, force: bool = False, backend: Backend | None = None,
                 slow_repeats: int = 1, parallel: int = 2) -> GoldReport:
    """Regrade the gold submissions of the labs (default: every coding lab) whose fingerprint changed since their
    gold verdicts were stored (every lab when `force`). Safe to run twice and from two workers at once."""
    all_labs = {p.name: p for p in coding_labs()}
    if labs is None:
        folders = list(all_labs.values())
    else:
        missing = [slug for slug in labs if slug not in all_labs]
        if missing:
            raise ValueError(f"no coding lab {', '.join(map(repr, missing))} in {settings.CONTENT_EXERCISES_DIR}")
        folders = [all_labs[slug] for slug in labs]
    backend = backend or get_backend()
    sandbox, harness = sandbox_identity(backend), harness_hash()
    outcomes = [_lab_regrade(folder, Fingerprint(lab_hash(folder), harness, sandbox), backend=backend, force=force,
                             slow_repeats=slow_repeats, parallel=parallel) for folder in folders]
    report = GoldReport(outcomes)
    if report.drift:
        _alarm(report.drift)
    return report


def _lab_regrade(folder: Path, fp: Fingerprint, *, backend: Backend, force: bool, slow_repeats: int,
                 parallel: int) -> LabOutcome:
    lab = folder.name
    stored = set(GoldVerdict.objects.filter(lab=lab).values_list("fingerprint", flat=True))
    if stored == {fp.digest} and not force:
        return LabOutcome(lab, UNCHANGED, "fingerprint unchanged")
    last = GoldRun.objects.filter(lab=lab).first()
    if not stored:
        reason = "baseline"
    elif force:
        reason = "forced"
    else:
        parts = fp.changed_since(last) if last else []
        reason = f"{', '.join(parts)} changed" if parts else "fingerprint changed"
    started_at = timezone.now()
    rows = _one_row_each(lab_rows(folder, backend, slow_repeats=slow_repeats, parallel=parallel))
    try:
        return _store(lab, fp, rows, reason=reason, started_at=started_at, force=force)
    except IntegrityError:
        # Another regrade wrote this lab's first baseline between our look and our insert.
        return LabOutcome(lab, SUPERSEDED, "another regrade stored the baseline first")


def _one_row_each(rows: list[Row]) -> list[Row]:
    """One row per (variant, suite): a slow variant graded several times keeps a grading that broke its rule."""
    out: dict[tuple[str, str], Row] = {}
    for row in rows:
        key = (row.variant, row.suite)
        if key not in out or (row.problem and not out[key].problem):
            out[key] = row
    return list(out.values())


def _side(verdict: str, score: float, problem: str | None) -> dict:
    return {"verdict": verdict, "score": round(score, 4), "problem": problem or None}


def _changes(gold: Mapping[tuple[str, str], GoldVerdict], rows: list[Row]) -> list[dict]:
    """Each solution whose verdict changed or that now breaks (or no longer breaks) its kind's rule. A change back
    to what the kind must get (the hidden test fixed) is kept but raises no alarm."""
    changes = []
    for row in rows:
        after = _side(row.verdict, row.score, row.problem)
        base = {"variant": row.variant, "suite": row.suite, "kind": row.kind, "after": after}
        g = gold.get((row.variant, row.suite))
        if g is None:
            changes.append({**base, "change": "new", "before": None, "alarm": row.problem is not None})
            continue
        before = _side(g.verdict, g.score, g.problem)
        recovered = bool(g.problem) and row.problem is None
        if g.verdict != row.verdict:
            changes.append({**base, "change": "recovered" if recovered else "verdict", "before": before,
                            "alarm": not recovered})
        elif not g.problem and row.problem:
            changes.append({**base, "change": "rule", "before": before, "alarm": True})
        elif recovered:
            changes.append({**base, "change": "recovered", "before": before, "alarm": False})
    seen = {(r.variant, r.suite) for r in rows}
    for key, g in gold.items():
        if key not in seen:
            changes.append({"variant": g.variant, "suite": g.suite, "kind": g.kind, "change": "removed",
                            "before": _side(g.verdict, g.score, g.problem), "after": None, "alarm": False})
    return changes


def _store(lab: str, fp: Fingerprint, rows: list[Row], *, reason: str, started_at: datetime,
           force: bool) -> LabOutcome:
    now = timezone.now()
    sb = fp.sandbox
    with transaction.atomic():
        # The lab's gold rows, locked: a second regrade of the same lab waits here, then sees ours.
        gold = {(g.variant, g.suite): g for g in GoldVerdict.objects.select_for_update().filter(lab=lab)}
        if gold and not force and all(g.fingerprint == fp.digest for g in gold.values()):
            return LabOutcome(lab, SUPERSEDED, "another regrade stored this fingerprint first")
        baseline = not gold
        changes = [] if baseline else _changes(gold, rows)
        drift = any(c["alarm"] for c in changes)
        run = GoldRun.objects.create(
            lab=lab, reason=reason, baseline=baseline, fingerprint=fp.digest, lab_hash=fp.lab_hash,
            harness_hash=fp.harness_hash, backend=sb.backend, image=sb.image, image_id=sb.image_id,
            verdicts=len(rows), changed=sum(1 for c in changes if c["before"] and c["after"]
                                            and c["before"]["verdict"] != c["after"]["verdict"]),
            problems=sum(r.problem is not None for r in rows), changes=changes, drift=drift,
            started_at=started_at, finished_at=now)
        values = {"fingerprint": fp.digest, "lab_hash": fp.lab_hash, "backend": sb.backend, "image": sb.image,
                  "image_id": sb.image_id, "run": run, "graded_at": now}
        new = []
        for row in rows:
            fields = {"kind": row.kind, "verdict": row.verdict, "score": row.score, "problem": row.problem or "",
                      **values}
            g = gold.pop((row.variant, row.suite), None)
            if g is None:
                new.append(GoldVerdict(lab=lab, variant=row.variant, suite=row.suite, **fields))
                continue
            for name, value in fields.items():
                setattr(g, name, value)
            g.save(update_fields=list(fields))
        GoldVerdict.objects.bulk_create(new)
        GoldVerdict.objects.filter(pk__in=[g.pk for g in gold.values()]).delete()  # solutions no longer shipped
    status = BASELINE if baseline else DRIFT if drift else REGRADED
    return LabOutcome(lab, status, reason, run)


def _alarm(drifted: list[LabOutcome]) -> None:
    """An ERROR per lab (the log is where on-call looks) and one mail to the site admins for the whole regrade."""
    body = []
    for o in drifted:
        run = o.run
        lines = [change_line(c) for c in o.alarms]
        log.error("grader drift in %s (%s; %s %s %s): %s", o.lab, o.reason, run.backend, run.image,
                  run.image_id[:19], "; ".join(lines))
        body += [f"{o.lab}: {o.reason}. Graded by the {run.backend} sandbox, image {run.image} {run.image_id}, "
                 f"lab hash {run.lab_hash[:12]}.", *(f"  {line}" for line in lines), ""]
    body.append("The new verdicts are stored as the gold ones. Look for an edited hidden test or a new sandbox image; "
                "`manage.py gold_regrade --force --lab <slug>` grades a lab again (docs/content-format.md).")
    subject = f"Grader drift in {', '.join(o.lab for o in drifted)}"
    try:
        mail_admins(subject, "\n".join(body))
    except (smtplib.SMTPException, OSError):
        log.exception("could not mail the admins about grader drift in %s", ", ".join(o.lab for o in drifted))

"""The benchmark registry's consistency check: every kind has its three parts, or the process refuses to start.

A kind is declared by its content schema (assessments/content/benchmarks.py), run by its runner
(graders/harness/benchmarks/<kind>.py) and shown by its partial (graders/templates/graders/benchmarks/
<kind>.html). A part missing would fail silently later (a lab that cannot be graded, figures that
never show), so GradersConfig.ready() raises with the file to add.
"""

from __future__ import annotations

from pathlib import Path

from django.core.exceptions import ImproperlyConfigured
from django.template import TemplateDoesNotExist
from django.template.loader import get_template

from assessments.content.benchmarks import BENCHMARK_KINDS

from .jobs import HARNESS_DIR


def runner_kinds(harness_dir: Path = HARNESS_DIR) -> set[str]:
    return {p.stem for p in (harness_dir / "benchmarks").glob("*.py") if not p.name.startswith("_")}


def benchmark_registry_problems(harness_dir: Path = HARNESS_DIR) -> list[str]:
    schemas, runners = set(BENCHMARK_KINDS), runner_kinds(harness_dir)
    problems = [f"benchmark kind {k!r} has a content schema but no runner: add graders/harness/benchmarks/{k}.py"
                for k in sorted(schemas - runners)]
    problems += [f"benchmark kind {k!r} has a runner but no content schema: register it in "
                 "assessments/content/benchmarks.py" for k in sorted(runners - schemas)]
    for kind in sorted(schemas | runners):
        try:
            get_template(f"graders/benchmarks/{kind}.html")
        except TemplateDoesNotExist:
            problems.append(f"benchmark kind {kind!r} has no partial to show its figures: add "
                            f"graders/templates/graders/benchmarks/{kind}.html")
    return problems


def benchmark_registry_check() -> None:
    problems = benchmark_registry_problems()
    if problems:
        raise ImproperlyConfigured("The benchmark registry is incomplete:\n  " + "\n  ".join(problems))

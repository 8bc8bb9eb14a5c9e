import json
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from assessments.content import QuestionSpec, load_competencies, load_question, load_rubric
from graders.backends import get_backend
from graders.grading import grade
from graders.jobs import file_bytes
from graders.result import Suite, Verdict


class Command(BaseCommand):
    help = "Grade one solution file (or a folder of candidate files) through the configured sandbox."

    def add_arguments(self, parser):
        parser.add_argument("exercise", help="exercise slug (a folder under exercises/)")
        parser.add_argument("path", help="the candidate's entrypoint file, or a folder of candidate files")
        parser.add_argument("--hidden", action="store_true", help="run the hidden tests and benchmarks")
        parser.add_argument("--json", action="store_true", help="print the full result as JSON")

    def handle(self, *args, exercise: str, path: str, hidden: bool, json: bool, **options):
        spec = self._load(exercise)
        entry = spec.coding.entrypoint
        source = Path(path)
        if source.is_dir():
            files = {p.name: p.read_bytes() for p in sorted(source.iterdir()) if p.is_file() and p.suffix == ".py"}
            if entry not in files:
                raise CommandError(f"{source}/ has no {entry}")
        elif source.is_file():
            files = {entry: source.read_bytes()}
        else:
            raise CommandError(f"{source} does not exist")
        backend = get_backend()
        suite = Suite.HIDDEN if hidden else Suite.VISIBLE
        result = grade(backend=backend, exercise_files={k: file_bytes(v) for k, v in spec.files.items()},
                       coding=spec.coding, candidate_files=files, suite=suite)
        if json:
            self.stdout.write(_json(result.to_json()))
        else:
            self.stdout.write(f"{suite} suite via {backend.name}:")
            for line in result.summary().lines():
                self.stdout.write(line)
            if result.error or result.harness_error:
                self.stdout.write(f"  error: {result.error or result.harness_error}")
            if result.candidate_output:
                self.stdout.write("  candidate output (first lines):")
                for line in result.candidate_output.splitlines()[:10]:
                    self.stdout.write(f"    {line}")
        if result.verdict != Verdict.PASSED:
            raise SystemExit(1)

    def _load(self, slug: str) -> QuestionSpec:
        exercises, rubrics_dir = Path(settings.CONTENT_EXERCISES_DIR), Path(settings.CONTENT_RUBRICS_DIR)
        folder = exercises / slug
        if not (folder / "question.yaml").is_file():
            raise CommandError(f"no exercise {slug!r} in {exercises}")
        issues = []
        competencies = {c.slug for c in load_competencies(exercises, issues)}
        rubrics = {p.stem: r for p in rubrics_dir.glob("*.yaml") if (r := load_rubric(p, rubrics_dir, issues))}
        spec = load_question(folder, exercises, competencies, rubrics, issues)
        if issues or spec is None:
            raise CommandError("\n".join(str(i) for i in issues) or f"{slug} did not load")
        if spec.kind != "coding":
            raise CommandError(f"{slug} is a {spec.kind} question, not a coding exercise")
        return spec


def _json(data) -> str:
    return json.dumps(data, indent=1, default=str)

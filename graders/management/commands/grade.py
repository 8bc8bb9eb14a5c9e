import json
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from assessments.content import load_question
from graders.backends import get_backend
from graders.grading import grade
from graders.jobs import file_bytes


class Command(BaseCommand):
    help = "Grade one solution file (or a folder of candidate files) through the configured sandbox."

    def add_arguments(self, parser):
        parser.add_argument("exercise", help="exercise slug (a folder under exercises/)")
        parser.add_argument("path", help="the candidate's entrypoint file, or a folder of candidate files")
        parser.add_argument("--hidden", action="store_true", help="run the hidden tests and benchmarks")
        parser.add_argument("--json", action="store_true", help="print the full result as JSON")

    def handle(self, *args, exercise: str, path: str, hidden: bool, json: bool, **options):
        spec = self._load(exercise)
        entry = spec.coding["entrypoint"]
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
        result = grade(backend=backend, exercise_files={k: file_bytes(v) for k, v in spec.files.items()},
                       coding=spec.coding, candidate_files=files, suite="hidden" if hidden else "visible")
        if json:
            self.stdout.write(_json(result))
        else:
            self._summary(result, backend.name)
        if result["verdict"] != "passed":
            raise SystemExit(1)

    def _load(self, slug: str):
        from assessments.content import load_competencies, load_rubric

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

    def _summary(self, result: dict, backend: str) -> None:
        w = self.stdout.write
        w(f"{result['suite']} suite via {backend}: {result['verdict'].upper()}  score {result['score']:.3f}")
        for t in result["tests"]:
            mark = {"passed": "ok  ", "failed": "FAIL", "error": "ERR ", "skipped": "skip"}[t["outcome"]]
            w(f"  {mark} {t['name']}")
        for name, bench in result.get("benchmarks", {}).items():
            w(f"  benchmark {name}: {'passed' if bench.get('passed') else 'FAILED'} {_json(_brief(bench))}")
        if result.get("error") or result.get("harness_error"):
            w(f"  error: {result.get('error') or result.get('harness_error')}")
        if result.get("candidate_output"):
            w("  candidate output (first lines):")
            for line in result["candidate_output"].splitlines()[:10]:
                w(f"    {line}")


def _brief(bench: dict) -> dict:
    keep = ("ratio", "max_ratio", "outputs_match_reference", "checks", "error")
    out = {k: bench[k] for k in keep if k in bench}
    for side in ("candidate", "reference"):
        if side in bench and isinstance(bench[side], dict):
            b = bench[side]
            out[side] = {k: b[k] for k in ("p50_ms", "p95_ms", "n") if k in b} or {
                "overall_wer": b.get("overall", {}).get("wer"),
                "slices": {s: v.get("wer") for s, v in b.get("slices", {}).items()},
                "term_recall": b.get("domain_terms", {}).get("recall")}
    return out


def _json(data) -> str:
    return json.dumps(data, indent=1, default=str)

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from graders.backends import get_backend
from graders.discrimination import lab_rows


class Command(BaseCommand):
    help = ("Grade every solution each lab ships (reference, starter, right, wrong, core, slow) and check each gets "
            "what its kind must: exits 1 when a wrong one scores above its cap or a right one below 1.0.")

    def add_arguments(self, parser):
        parser.add_argument("labs", nargs="*", help="lab slugs (default: every coding lab)")
        parser.add_argument("--slow-repeats", type=int, default=10,
                            help="gradings of each slow variant: it must fail the gate in every one (default 10)")
        parser.add_argument("--parallel", type=int, default=2)

    def handle(self, *args, labs: list[str], slow_repeats: int, parallel: int, **options):
        import yaml

        root = Path(settings.CONTENT_EXERCISES_DIR)
        folders = [root / slug for slug in labs] if labs else sorted(
            p.parent for p in root.glob("*/question.yaml") if yaml.safe_load(p.read_text()).get("kind") == "coding")
        for folder in folders:
            if not (folder / "question.yaml").is_file():
                raise CommandError(f"no lab {folder.name!r} in {root}")
        backend = get_backend()
        self.stdout.write(f"discrimination report via the {backend.name} sandbox")
        problems = 0
        for folder in folders:
            for row in lab_rows(folder, backend, slow_repeats=slow_repeats, parallel=parallel):
                self.stdout.write(row.line())
                problems += row.problem is not None
        self.stdout.write(f"{problems} problem(s) in {len(folders)} lab(s)")
        if problems:
            raise SystemExit(1)

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from assessments.content import ContentError, load_content
from assessments.services import content_sync_bundle


class Command(BaseCommand):
    help = "Validate the exercises/ and rubrics/ folders and load them in one transaction."

    def add_arguments(self, parser):
        parser.add_argument("--check", action="store_true", help="Validate only; write nothing.")
        parser.add_argument("--exercises", default=None, help="Exercises folder (default: settings)")
        parser.add_argument("--rubrics", default=None, help="Rubrics folder (default: settings)")

    def handle(self, *args, check: bool, exercises: str | None, rubrics: str | None, **options):
        from pathlib import Path

        try:
            bundle = load_content(Path(exercises or settings.CONTENT_EXERCISES_DIR),
                                  Path(rubrics or settings.CONTENT_RUBRICS_DIR))
        except ContentError as exc:
            for issue in exc.issues:
                self.stderr.write(str(issue))
            raise CommandError(f"content is invalid: {len(exc.issues)} problem(s) found, nothing was changed") from None
        if check:
            self.stdout.write(f"OK: {bundle.summary()}")
            return
        report = content_sync_bundle(bundle=bundle)
        self.stdout.write(f"Synced: {bundle.summary()}")
        self.stdout.write(report.line())

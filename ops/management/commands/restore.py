"""`manage.py restore DIR [--force]`: a backup folder into the configured (empty) database and VAR_DIR, checked."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from ops.backup import BackupError, backup_restore


class Command(BaseCommand):
    help = ("Restore a folder written by `manage.py backup` into the configured database (which must be empty) and "
            "VAR_DIR, migrate it to this version, and compare the row counts with its manifest: one line per record "
            "kind; exits non-zero on any mismatch. Stop the web, workers and beat first.")

    def add_arguments(self, parser):
        parser.add_argument("directory", type=Path, help="the backup folder (it holds manifest.json)")
        parser.add_argument("--force", action="store_true",
                            help="replace a database that has our tables but no attempts (e.g. one a deploy migrated)")

    def handle(self, *args, directory: Path, force: bool = False, **options):
        try:
            result = backup_restore(source=directory, force=force, log=self.stdout.write)
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        for check in result.checks:
            self.stdout.write(check.line() if check.ok else self.style.ERROR(check.line()))
        if result.mismatches:
            names = ", ".join(f"{c.name} ({c.actual} of {c.expected})" for c in result.mismatches)
            raise CommandError(f"Restored, but the counts differ from the backup's manifest: {names}.")
        made = result.manifest.get("created_at", "?")
        self.stdout.write(self.style.SUCCESS(f"Restored the backup of {made} from {result.source}."))

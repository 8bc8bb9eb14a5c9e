"""`manage.py backup DIR [--here]`: the database, VAR_DIR and a manifest, in a new timestamped folder inside DIR."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from ops.backup import BackupError, backup_create


class Command(BaseCommand):
    help = ("Back the site up: database.dump (pg_dump custom format, or an SQLite copy), var.tar.gz (VAR_DIR without "
            "the broker, static files and caches) and manifest.json (version, migrations, row counts, checksums), in "
            "a new timestamped folder inside DIR. The last line printed is that folder.")

    def add_arguments(self, parser):
        parser.add_argument("directory", type=Path, help="where backups go (created if missing)")
        parser.add_argument("--here", action="store_true",
                            help="write into DIR itself, which must be empty or not exist, not a new folder inside it")

    def handle(self, *args, directory: Path, here: bool = False, **options):
        try:
            result = backup_create(directory=directory, exact=here, log=self.stdout.write)
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        for label, count in result.manifest["counts"].items():
            self.stdout.write(f"{label}: {count}")
        self.stdout.write(self.style.SUCCESS(str(result.path)))

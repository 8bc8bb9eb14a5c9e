"""`manage.py retention [--dry-run]`: erase (or list) the candidates whose retention period has run out."""

from django.core.management.base import BaseCommand, CommandError

from ops.retention import retention_run


class Command(BaseCommand):
    help = ("Erase the personal data of candidates whose track's retention period has run out (RetentionPolicy in "
            "the Django admin, else RETENTION_DEFAULT_DAYS); one line per candidate: code, tracks, why due.")

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="list who would be erased; change nothing")

    def handle(self, *args, dry_run: bool = False, **options):
        report = retention_run(dry_run=dry_run)
        for line in report.lines():
            self.stdout.write(line)
        if report.failed:
            raise CommandError(f"{len(report.failed)} candidate(s) could not be erased (see above); "
                               "the next run tries again")

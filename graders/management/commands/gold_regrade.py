from django.core.management.base import BaseCommand, CommandError

from graders.gold import gold_regrade
from sandboxes.base import SandboxUnavailable


class Command(BaseCommand):
    help = ("Regrade the solutions every lab ships (its gold submissions) where the lab's files, the harness or the "
            "sandbox image changed since they were last graded, and compare with their stored verdicts: exits 1 on "
            "grader drift (a verdict changed, or a solution no longer gets what its kind must).")

    def add_arguments(self, parser):
        parser.add_argument("--lab", action="append", dest="labs", metavar="SLUG",
                            help="a lab to regrade (repeatable; default every coding lab)")
        parser.add_argument("--force", action="store_true", help="regrade even where the fingerprint is unchanged")
        parser.add_argument("--slow-repeats", type=int, default=1, help="gradings of each slow variant (default 1)")
        parser.add_argument("--parallel", type=int, default=2)

    def handle(self, *args, labs: list[str] | None, force: bool, slow_repeats: int, parallel: int, **options):
        try:
            report = gold_regrade(labs, force=force, slow_repeats=slow_repeats, parallel=parallel)
        except ValueError as exc:
            raise CommandError(str(exc), returncode=2) from None
        except SandboxUnavailable as exc:
            raise CommandError(f"sandbox unavailable: {exc}", returncode=2) from None
        for outcome in report.labs:
            for line in outcome.lines():
                self.stdout.write(line)
        drifted = [o.lab for o in report.drift]
        self.stdout.write(f"{len(report.labs)} lab(s), drift in {len(drifted)}" +
                          (f": {', '.join(drifted)}" if drifted else ""))
        if drifted:
            raise SystemExit(1)

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError

from assessments import roles
from assessments.models import Candidate, Track
from assessments.services import candidate_create, invitation_create

DEMO_USERS = [
    # username, password, group, is_staff, is_superuser, full name
    ("admin", "demo-admin", roles.ADMIN, True, True, "Ada Admin"),
    ("manager", "demo-manager", roles.HIRING_MANAGER, True, False, "Hana Manager"),
    ("interviewer", "demo-interviewer", roles.INTERVIEWER, False, False, "Ivan Interviewer"),
    ("interviewer2", "demo-interviewer", roles.INTERVIEWER, False, False, "Iris Interviewer"),
]


class Command(BaseCommand):
    help = "Create demo accounts and a demo candidate (development only). Safe to run again."

    def add_arguments(self, parser):
        parser.add_argument("--force", action="store_true", help="Allow with DEBUG off (never on a real site).")

    def handle(self, *args, force: bool, **options):
        if not settings.DEBUG and not force:
            raise CommandError("seed_demo sets well-known passwords; it runs only with DJANGO_DEBUG=true (or --force).")
        roles.roles_ensure()
        User = get_user_model()
        for username, password, group, staff, superuser, name in DEMO_USERS:
            user, _ = User.objects.get_or_create(username=username)
            first, last = name.split(" ", 1)
            user.first_name, user.last_name = first, last
            user.email = f"{username}@example.com"
            user.is_staff, user.is_superuser = staff, superuser
            user.set_password(password)
            user.save()
            user.groups.set([Group.objects.get(name=group)])
        track = Track.objects.filter(is_current=True).order_by("slug").first()
        if track and not Candidate.objects.filter(email="demo.candidate@example.com").exists():
            candidate = candidate_create(full_name="Dana Demo", email="demo.candidate@example.com",
                                         notes="Demo candidate created by seed_demo.")
            invitation_create(candidate=candidate, track=track)
        self.stdout.write("Demo logins (username / password):")
        for username, password, group, *_ in DEMO_USERS:
            self.stdout.write(f"  {username:13s} / {password:17s} {group}")

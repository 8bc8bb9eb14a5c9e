from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError
from django.urls import reverse
from django.utils import timezone

from assessments import roles
from assessments.demo import demo_panel_ensure
from assessments.models import Attempt, Candidate, Invitation, Track
from assessments.services import candidate_create, invitation_create, invitation_link_renew

DEMO_USERS = [
    # username, password, group, is_staff, is_superuser, full name
    ("admin", "demo-admin", roles.ADMIN, True, True, "Ada Admin"),
    ("manager", "demo-manager", roles.HIRING_MANAGER, False, False, "Hana Manager"),  # no admin: pages only
    ("interviewer", "demo-interviewer", roles.INTERVIEWER, False, False, "Ivan Interviewer"),
    ("interviewer2", "demo-interviewer", roles.INTERVIEWER, False, False, "Iris Interviewer"),
]


class Command(BaseCommand):
    help = "Create demo accounts and a demo candidate (development only). Safe to run again."

    def add_arguments(self, parser):
        parser.add_argument("--force", action="store_true", help="Allow with DEBUG off (never on a real site).")
        parser.add_argument("--base-url", default="http://127.0.0.1:8000",
                            help="Where the app runs, for the printed demo invitation link.")

    def handle(self, *args, force: bool, base_url: str, **options):
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
        self.stdout.write("Demo logins (username / password):")
        for username, password, group, *_ in DEMO_USERS:
            self.stdout.write(f"  {username:13s} / {password:17s} {group}")
        track = Track.objects.filter(is_current=True).order_by("slug").first()
        if track:
            made = demo_panel_ensure(
                track=track, manager=User.objects.get(username="manager"),
                interviewers=[User.objects.get(username=u) for u in ("interviewer", "interviewer2")])
            if made:
                self.stdout.write(f"Created {made} demo attempt(s) with scorecards (the worker grades their code "
                                  f"in the background): {base_url.rstrip('/')}"
                                  f"{reverse('report-track', args=[track.slug])}")
        invitation = self._demo_invitation()
        if invitation:
            link = base_url.rstrip("/") + reverse("exam-landing", kwargs={"token": invitation.token})
            self.stdout.write(f"Demo candidate invitation ({invitation.track.title}):\n  {link}")

    def _demo_invitation(self) -> Invitation | None:
        """A demo invitation that can still be taken: a new one once the last was submitted or expired."""
        track = Track.objects.filter(is_current=True).order_by("slug").first()
        if track is None:
            return None
        candidate = Candidate.objects.filter(email="demo.candidate@example.com").first()
        if candidate is None:
            candidate = candidate_create(full_name="Dana Demo", email="demo.candidate@example.com",
                                         notes="Demo candidate created by seed_demo.")
        # Only a hash of a link is stored, so an unstarted demo invitation gets a new link to print; a started one
        # keeps its link (already in the developer's browser) and a fresh invitation is printed beside it.
        now = timezone.now()
        for invitation in candidate.invitations.filter(track=track, revoked_at__isnull=True, expires_at__gt=now):
            if not Attempt.objects.filter(invitation=invitation).exists():
                return invitation_link_renew(invitation=invitation)
        return invitation_create(candidate=candidate, track=track)

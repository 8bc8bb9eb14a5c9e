"""The roles as Django groups. Candidates have no account: their invitation token is their key."""

from __future__ import annotations

from django.contrib.auth.models import Group, Permission

INTERVIEWER = "Interviewer"
HIRING_MANAGER = "Hiring manager"
ADMIN = "Admin"
ALL_ROLES = (INTERVIEWER, HIRING_MANAGER, ADMIN)

_CONTENT = ["competency", "rubric", "rubriclevel", "rubricdimension", "rubricdescriptor", "question",
            "track", "section", "sectionquestion"]
_ANSWERS = ["attempt", "response", "submission"]

# (app_label, codename) pairs per role. Admin gets every permission of our apps and of auth.
ROLE_PERMISSIONS: dict[str, set[tuple[str, str]]] = {
    INTERVIEWER: {
        *{("assessments", f"view_{m}") for m in _CONTENT + _ANSWERS},
        ("assessments", "view_guidance"),
        ("assessments", "score_attempt"),
        ("assessments", "view_assignment"),
        ("assessments", "view_integrityevent"),
        *{("assessments", f"{a}_{m}") for a in ("view", "add", "change") for m in ("scorecard", "dimensionscore")},
    },
    HIRING_MANAGER: {
        *{("assessments", f"view_{m}") for m in _CONTENT + _ANSWERS + ["scorecard", "dimensionscore"]},
        ("assessments", "view_guidance"),
        ("assessments", "view_report"),
        *{("assessments", f"{a}_{m}") for a in ("view", "add", "change") for m in ("candidate", "invitation")},
        *{("assessments", f"{a}_assignment") for a in ("view", "add", "change", "delete")},
        ("assessments", "view_integrityevent"),
    },
}
ADMIN_APPS = ("assessments", "graders", "auth", "axes", "audit", "auditlog", "account", "socialaccount", "mfa", "api")


def roles_ensure() -> dict[str, int]:
    """Create or repair the role groups; returns the permission count per role. Idempotent."""
    counts: dict[str, int] = {}
    for role, wanted in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=role)
        perms = [
            p for p in Permission.objects.filter(content_type__app_label__in={a for a, _ in wanted})
            .select_related("content_type")
            if (p.content_type.app_label, p.codename) in wanted
        ]
        group.permissions.set(perms)
        counts[role] = len(perms)
    admin, _ = Group.objects.get_or_create(name=ADMIN)
    admin_perms = Permission.objects.filter(content_type__app_label__in=ADMIN_APPS)
    admin.permissions.set(admin_perms)
    counts[ADMIN] = admin_perms.count()
    return counts

import pytest
from django.contrib.auth.models import Group

from assessments import roles
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_roles_exist_after_migrate_with_their_permissions():
    assert set(Group.objects.values_list("name", flat=True)) >= {roles.INTERVIEWER, roles.HIRING_MANAGER, roles.ADMIN}
    interviewer = UserFactory(username="i", role=roles.INTERVIEWER)
    manager = UserFactory(username="m", role=roles.HIRING_MANAGER)
    admin = UserFactory(username="a", role=roles.ADMIN)
    assert interviewer.has_perms(["assessments.view_guidance", "assessments.score_attempt",
                                  "assessments.add_scorecard", "assessments.view_submission"])
    assert not interviewer.has_perm("assessments.add_invitation")
    assert not interviewer.has_perm("assessments.view_report")
    assert not interviewer.has_perm("assessments.view_candidate")  # PII stays with managers and admins
    assert manager.has_perms(["assessments.add_candidate", "assessments.add_invitation", "assessments.view_report"])
    assert not manager.has_perm("assessments.add_scorecard")
    assert admin.has_perms(["assessments.delete_invitation", "auth.change_user", "assessments.view_report"])
    # Apps listed after assessments get their permissions later in the same migrate: the Admin role has them too
    # (the API keys and webhooks pages are gated on them).
    assert admin.has_perms(["api.add_apikey", "api.add_webhookendpoint", "graders.view_gradingrun"])
    assert not manager.has_perm("api.add_apikey")


def test_roles_ensure_is_idempotent_and_repairs_drift():
    group = Group.objects.get(name=roles.INTERVIEWER)
    group.permissions.clear()
    first = roles.roles_ensure()
    second = roles.roles_ensure()
    assert first == second
    assert group.permissions.count() == first[roles.INTERVIEWER] > 0

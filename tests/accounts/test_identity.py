"""Groups from the identity provider become roles and managed tracks, exactly, on every sign-in."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group

from accounts.identity import grants_for, groups_from_claims, identity_sync
from assessments import roles
from assessments.models import TrackManager
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_claims_to_grants():
    claims = {"userinfo": {"groups": ["interview-track:managers", "interview-track:manages:asr", "other"]},
              "id_token": {"groups": ["ignored because userinfo has them"]}}
    grants = grants_for(groups_from_claims(claims))
    assert grants.roles == {roles.HIRING_MANAGER} and grants.tracks == {"asr"}
    assert not grants_for(groups_from_claims({"id_token": {"groups": "staff"}})).any
    assert grants_for(groups_from_claims({"id_token": {"groups": "interview-track:admins"}})).roles == {roles.ADMIN}


def test_sync_sets_exactly_what_the_provider_grants():
    roles.roles_ensure()
    user = UserFactory(username="sso-user", role=roles.HIRING_MANAGER)
    user.groups.add(Group.objects.create(name="Some other group"))  # not ours: left alone
    TrackManager.objects.create(user=user, track_slug="old-track")
    identity_sync(user=user, grants=grants_for(["interview-track:interviewers", "interview-track:admins",
                                                 "interview-track:manages:new-track"]))
    user.refresh_from_db()
    assert set(user.groups.values_list("name", flat=True)) == {roles.INTERVIEWER, roles.ADMIN, "Some other group"}
    assert user.is_staff and not user.is_superuser
    assert set(TrackManager.objects.filter(user=user).values_list("track_slug", flat=True)) == {"new-track"}
    identity_sync(user=user, grants=grants_for([]))
    user.refresh_from_db()
    assert set(user.groups.values_list("name", flat=True)) == {"Some other group"} and not user.is_staff
    assert not TrackManager.objects.filter(user=user).exists()

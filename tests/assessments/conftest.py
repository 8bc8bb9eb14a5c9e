import pytest

from assessments.models import Track
from assessments.services import candidate_create, content_sync, invitation_create


@pytest.fixture
def mini_track(db, content_root) -> Track:
    content_sync(exercises_dir=content_root / "exercises", rubrics_dir=content_root / "rubrics")
    return Track.objects.get(slug="mini", is_current=True)


@pytest.fixture
def invitation(mini_track):
    candidate = candidate_create(full_name="Grace Hopper", email="Grace@Example.com")
    return invitation_create(candidate=candidate, track=mini_track)

import pytest

from assessments.models import Track
from assessments.services import content_sync


@pytest.fixture
def mini_track(db, content_root) -> Track:
    content_sync(exercises_dir=content_root / "exercises", rubrics_dir=content_root / "rubrics")
    return Track.objects.get(slug="mini", is_current=True)

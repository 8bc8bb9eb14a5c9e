"""Property-based: schemathesis generates requests for every operation of the schema and sends them to a live
server on loopback with a key of every scope; no answer may be a 5xx, and every answer must match the schema
(status code documented, content type, body)."""

from __future__ import annotations

import base64

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis import checks

from api import services as api_services
from api.models import SCOPES
from assessments import services
from assessments.models import Question, Track

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def api_world(live_server, synced_content):
    track = Track.objects.get(slug="advanced-ml-speech", is_current=True)
    invitation = services.invitation_create(
        candidate=services.candidate_create(full_name="Fuzz Target", email="fuzz@example.com"), track=track)
    attempt = services.attempt_start(invitation=invitation)
    services.response_save(attempt=attempt, question=Question.objects.filter(kind="written", is_current=True).first(),
                           body="An answer.", base_revision=0)
    services.attempt_submit(attempt=attempt)
    key = api_services.api_key_create(name="fuzz", scopes=list(SCOPES), track_slugs=[track.slug], created_by=None)
    return {"url": live_server.url, "key": key.raw}


def test_every_operation_answers_within_its_schema(api_world):
    """Each operation in turn (schemathesis's pytest plugin does not load under this pytest; its Python API does)."""
    from hypothesis import given

    schema = schemathesis.openapi.from_url(f"{api_world['url']}/api/v1/schema/?format=json")
    bearer = {"Authorization": f"Bearer {api_world['key']}"}
    basic = {"Authorization": "Basic " + base64.b64encode(f"{api_world['key']}:".encode()).decode()}
    failures, operations = [], 0
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1

        @given(case=operation.as_strategy())
        @settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
        def run(case):
            case.call_and_validate(base_url=api_world["url"], timeout=30,
                                   headers=basic if "/greenhouse/" in case.path else bearer,
                                   checks=[checks.not_a_server_error, checks.status_code_conformance,
                                           checks.content_type_conformance, checks.response_schema_conformance])

        try:
            run()
        except Exception as exc:  # noqa: BLE001 - collected: every operation is tried
            failures.append(f"{operation.method.upper()} {operation.path}: {str(exc)[:1500]}")
    assert operations >= 16
    assert not failures, "\n\n".join(failures)

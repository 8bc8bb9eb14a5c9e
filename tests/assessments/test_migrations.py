"""Data migrations that must keep what users hold working."""

from __future__ import annotations

import time

import pytest
from django.core import signing
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

BEFORE = [("assessments", "0005_question_public_test_files")]
AFTER = [("assessments", "0006_invitation_token_hash")]


@pytest.mark.django_db(transaction=True)
def test_links_issued_before_token_hashes_keep_working():
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    old = executor.loader.project_state(BEFORE).apps
    track = old.get_model("assessments", "Track").objects.create(slug="t", version=1, title="T", content_hash="h",
                                                                  is_current=True)
    candidate = old.get_model("assessments", "Candidate").objects.create(full_name="Old Link", email="o@x.org",
                                                                         code="C-OLDLNK")
    inv = old.get_model("assessments", "Invitation").objects.create(candidate=candidate, track=track,
                                                                    nonce="n0nce", expires_at=timezone.now())
    token = signing.dumps({"i": inv.pk, "n": "n0nce"}, salt="assessments.invitation", compress=True)
    time.sleep(1.1)  # the signed links carry their time: the migration must not depend on rebuilding one

    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(AFTER)
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())

    from assessments.selectors.exam import invitation_from_token

    assert invitation_from_token(token=token).pk == inv.pk
    from assessments.errors import InvalidInvitationToken

    forged = signing.dumps({"i": inv.pk, "n": "guessed"}, salt="assessments.invitation", compress=True)
    with pytest.raises(InvalidInvitationToken):
        invitation_from_token(token=forged)

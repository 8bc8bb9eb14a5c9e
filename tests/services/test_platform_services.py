"""The real services CI provides are really used: PostgreSQL for the suite, a Docker engine for sandboxes."""

from __future__ import annotations

import os

import pytest
from django.db import connection

from sandboxes import docker_engine_available, resolve_backend
from tests.conftest import IN_CI, require_service


@pytest.mark.django_db
def test_suite_runs_on_postgresql_when_configured():
    url = os.environ.get("DATABASE_URL", "")
    if IN_CI:
        assert url.startswith(("postgres://", "postgresql://")), "CI must run the suite on PostgreSQL"
    require_service("PostgreSQL", connection.vendor == "postgresql", f"DATABASE_URL={url or '(unset: SQLite)'}")
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('server_version_num')::int")
        assert cursor.fetchone()[0] >= 130000


def test_auto_backend_picks_docker_when_an_engine_answers():
    ok, why = docker_engine_available(timeout=5)
    require_service("Docker engine", ok, why)
    choice = resolve_backend("auto", timeout=5)
    assert (choice.name, choice.is_isolated) == ("docker", True)
    assert "answered" in choice.reason


def test_auto_backend_falls_back_to_local_without_an_engine(monkeypatch, tmp_path):
    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path}/no-such.sock")
    choice = resolve_backend("auto", timeout=1)
    assert (choice.name, choice.is_isolated) == ("local", False)
    assert "no Docker engine answered" in choice.reason
    assert resolve_backend("docker").name == "docker"  # explicit choice is honoured, not second-guessed

"""Backup and restore, for real: a site's data written by the services goes through `manage.py backup` and comes back
through `manage.py restore` in another database, every row the same, and a restore never overwrites a database
that is in use.

The PostgreSQL round trip uses databases of its own (not pytest-django's test database), driven by subprocesses
with DATABASE_URL pointing at them, as an operator runs the commands. The quicker ones back up the test database
itself (SQLite by default, so they need no service) and restore it into a new one of the same kind.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection, transaction

from assessments.models import Attempt, AutomatedScore, DimensionScore, Response, Scorecard
from ops.backup import DATABASE_FILE, MANIFEST_FILE, VAR_FILE, BackupError, backup_create, backup_restore
from tests.conftest import require_service
from tests.workers import use_broker

from .conftest import make_candidate

ROOT = Path(__file__).resolve().parents[2]
POSTGRES = os.environ.get("TEST_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432")
MARK = "RESTORE✓MARKER-5531 «Zoë»"  # non-ASCII on purpose: the text must come back byte for byte

# Written into the source database by the real services (tests/ops/conftest.py's make_candidate: a submitted
# attempt, responses, a visible and a hidden grading run with its automated score, a submitted and an amended
# scorecard with dimension scores) plus an audit event.
SEED = f"""
import tempfile
from pathlib import Path
from django.db import transaction
from django.test import TestCase
from assessments import roles, services
from assessments.models import Track
from audit.services import audit_record
from tests import minimal_content
from tests.factories import UserFactory
from tests.ops.conftest import make_candidate

root = Path(tempfile.mkdtemp())
minimal_content.write(root)
with transaction.atomic():
    services.content_sync(exercises_dir=root / "exercises", rubrics_dir=root / "rubrics")
    roles.roles_ensure()
    track = Track.objects.get(slug="mini", is_current=True)
    ivy = UserFactory(username="ivy", role=roles.INTERVIEWER)
    world = make_candidate(track=track, interviewer=ivy, name="Zoë Ångström", email="zoe@example.org",
                           marker={MARK!r}, capture=TestCase.captureOnCommitCallbacks)
    audit_record(action="read", what="backup test", actor=ivy, candidate_id=world.candidate.pk,
                 candidate_code=world.candidate.code)
"""

# Every row of the records that matter, every field, as Django serialises them: equal output, equal data.
FINGERPRINT = """
import json
from django.apps import apps
from django.core import serializers
out = {}
for label in ("assessments.Candidate", "assessments.Invitation", "assessments.Attempt", "assessments.Response",
              "assessments.Submission", "graders.GradingRun", "assessments.AutomatedScore", "assessments.Scorecard",
              "assessments.DimensionScore", "audit.AuditEvent", "auditlog.LogEntry"):
    model = apps.get_model(label)
    out[label] = json.loads(serializers.serialize("json", model._base_manager.order_by("pk")))
print("FINGERPRINT=" + json.dumps(out, sort_keys=True))
"""


def _env(database_url: str, var_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("CELERY_", "DJANGO_")) and k not in {"DATABASE_URL", "CACHE_URL"}}
    env.update({"DJANGO_SETTINGS_MODULE": "webapp.settings", "DJANGO_DEBUG": "true", "DATABASE_URL": database_url,
                "INTERVIEW_TRACK_VAR_DIR": str(var_dir), "PYTHONPATH": str(ROOT)})
    return env


def _manage(*args: str, env: dict[str, str], check: bool = True) -> subprocess.CompletedProcess:
    result = subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True,
                            timeout=300, check=False)
    if check and result.returncode != 0:
        raise AssertionError(f"manage.py {' '.join(args)} exited {result.returncode}:\n{result.stdout}\n"
                             f"{result.stderr[-3000:]}")
    return result


def _fingerprint(env: dict[str, str]) -> dict:
    out = _manage("shell", "-c", FINGERPRINT, env=env).stdout
    (line,) = [line for line in out.splitlines() if line.startswith("FINGERPRINT=")]
    return json.loads(line.removeprefix("FINGERPRINT="))


def _postgres_available() -> tuple[bool, str]:
    missing = [tool for tool in ("pg_dump", "pg_restore") if shutil.which(tool) is None]
    if missing:
        return False, f"{', '.join(missing)} not on PATH (Debian: postgresql-client)"
    try:
        socket.create_connection(("127.0.0.1", 5432), timeout=2).close()
    except OSError as exc:
        return False, f"127.0.0.1:5432: {exc}"
    return True, ""


@pytest.fixture
def pg_databases():
    """Two databases of this test's own, dropped afterwards: the site backed up, and the empty one restored into."""
    ok, why = _postgres_available()
    require_service("PostgreSQL", ok, why)
    import psycopg

    names = [f"backup_src_{os.getpid()}", f"backup_dst_{os.getpid()}"]

    def drop_all(conn) -> None:
        for name in names:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    with psycopg.connect(f"{POSTGRES}/postgres", autocommit=True) as conn:
        drop_all(conn)
        for name in names:
            conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield [f"{POSTGRES}/{name}" for name in names]
    finally:
        with psycopg.connect(f"{POSTGRES}/postgres", autocommit=True) as conn:
            drop_all(conn)


@pytest.mark.slow
@pytest.mark.services
def test_postgres_backup_restores_every_record_into_an_empty_database(pg_databases, tmp_path):
    src_url, dst_url = pg_databases
    src = _env(src_url, tmp_path / "var-src")
    dst = _env(dst_url, tmp_path / "var-dst")
    _manage("migrate", "-v0", env=src)
    _manage("shell", "-c", SEED, env=src)
    (tmp_path / "var-src" / "exports").mkdir(parents=True)
    (tmp_path / "var-src" / "exports" / "kept.txt").write_text(MARK)
    before = _fingerprint(src)

    backup = _manage("backup", str(tmp_path / "backups"), env=src)
    folder = Path(backup.stdout.strip().splitlines()[-1])
    assert folder.parent == tmp_path / "backups" and folder.name.startswith("interview-track-")
    assert sorted(p.name for p in folder.iterdir()) == [DATABASE_FILE, MANIFEST_FILE, VAR_FILE]
    manifest = json.loads((folder / MANIFEST_FILE).read_text())
    assert manifest["database"]["vendor"] == "postgresql"
    assert manifest["counts"]["assessments.Attempt"] == 1
    assert manifest["counts"]["assessments.DimensionScore"] >= 2
    assert manifest["migrations"]["assessments"].startswith("0")
    assert "PGPASSWORD" not in backup.stdout

    # A pg_dump older than the server is refused before it runs, with the fix named.
    old = tmp_path / "old-client"
    old.mkdir()
    (old / "pg_dump").write_text("#!/bin/sh\necho 'pg_dump (PostgreSQL) 9.6.24'\n")
    (old / "pg_dump").chmod(0o755)
    too_old = _manage("backup", str(tmp_path / "never"), env={**src, "PATH": f"{old}:{src['PATH']}"}, check=False)
    assert too_old.returncode != 0
    assert "pg_dump is version 9 but the PostgreSQL server is" in too_old.stderr
    assert "postgresql-client-" in too_old.stderr
    assert not (tmp_path / "never").exists() or not any((tmp_path / "never").iterdir())

    restored = _manage("restore", str(folder), env=dst)
    assert "attempts (assessments.Attempt): 1 restored, 1 in the backup: ok" in restored.stdout
    assert "Restored the backup of" in restored.stdout
    after = _fingerprint(dst)
    for label in ("assessments.Attempt", "assessments.Response", "assessments.Submission", "graders.GradingRun",
                  "assessments.AutomatedScore", "assessments.Scorecard", "assessments.DimensionScore",
                  "audit.AuditEvent"):
        assert after[label], f"no {label} came back"
        assert after[label] == before[label], f"{label} differs after the restore"
    assert after == before
    bodies = [row["fields"]["body"] for row in after["assessments.Response"]]
    assert any(MARK in body for body in bodies), bodies
    evidence = [row["fields"]["evidence"] for row in after["assessments.DimensionScore"]]
    assert any(MARK in text for text in evidence), evidence
    assert {row["fields"]["score"] for row in after["assessments.AutomatedScore"]} == {0.6}
    assert (tmp_path / "var-dst" / "exports" / "kept.txt").read_text() == MARK

    # The destination is now in use: a second restore is refused without --force, and with it (it holds an attempt).
    again = _manage("restore", str(folder), env=dst, check=False)
    assert again.returncode != 0
    assert "is not empty" in again.stderr and "--force" in again.stderr
    forced = _manage("restore", "--force", str(folder), env=dst, check=False)
    assert forced.returncode != 0
    assert "holds 1 attempt(s)" in forced.stderr
    assert _fingerprint(dst) == before


# --- the test database, whichever it is: SQLite by default (no service), PostgreSQL under CI's DATABASE_URL -------


@pytest.fixture
def site(transactional_db, mini_track, staff, django_capture_on_commit_callbacks):
    """make_candidate's data, committed (a backup reads the database from another connection)."""
    # One transaction, as in a test's: the hidden run is created by make_candidate, not by the submit's on_commit.
    # Its tasks go to an in-memory broker, not the repository's var/.
    with use_broker("memory://localhost/"), transaction.atomic():
        return make_candidate(track=mini_track, interviewer=staff["interviewer"], marker=MARK,
                              capture=django_capture_on_commit_callbacks)


@pytest.fixture
def var_dir(settings, tmp_path):
    var = tmp_path / "var"
    (var / "exports").mkdir(parents=True)
    (var / "exports" / "kept.txt").write_text("keep me")
    (var / "broker" / "queue").mkdir(parents=True)
    (var / "broker" / "queue" / "message.msg").write_text("a queued task: rebuilt, never restored")
    sock = socket.socket(socket.AF_UNIX)
    sock.bind(str(var / "engine.sock"))
    settings.VAR_DIR = var
    yield var
    sock.close()


@pytest.fixture
def empty_database(tmp_path):
    """A URL for a new, empty database of the test database's kind (a restore needs the same kind)."""
    if connection.vendor == "sqlite":
        yield f"sqlite:///{tmp_path / 'restored' / 'site.sqlite3'}"
        return
    import psycopg

    s = connection.settings_dict
    server = (f"postgres://{s['USER']}{':' + s['PASSWORD'] if s.get('PASSWORD') else ''}"
              f"@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}")
    name = f"backup_quick_{os.getpid()}"
    with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    yield f"{server}/{name}"
    with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _select(database_url: str, sql: str) -> list[tuple]:
    if database_url.startswith("sqlite:///"):
        with sqlite3.connect(database_url.removeprefix("sqlite:///")) as db:
            return db.execute(sql).fetchall()
    import psycopg

    with psycopg.connect(database_url.replace("postgres://", "postgresql://", 1)) as db:
        return db.execute(sql).fetchall()


def test_round_trip_of_the_test_database(site, var_dir, tmp_path, empty_database):
    result = backup_create(directory=tmp_path / "backups")
    folder = result.path
    assert result.manifest["database"]["vendor"] == connection.vendor
    assert folder.stat().st_mode & 0o077 == 0, "a backup holds personal data: its owner's alone"
    assert result.manifest["counts"]["assessments.Attempt"] == 1
    assert result.manifest["counts"]["assessments.Response"] == Response.objects.count() == 2

    env = _env(empty_database, tmp_path / "var-restored")
    restored = _manage("restore", str(folder), env=env)
    assert "responses (assessments.Response): 2 restored, 2 in the backup: ok" in restored.stdout
    bodies = {row[0] for row in _select(empty_database, f"SELECT body FROM {Response._meta.db_table}")}
    assert bodies == set(Response.objects.values_list("body", flat=True))
    assert any(MARK in body for body in bodies)
    assert _select(empty_database, f"SELECT score FROM {AutomatedScore._meta.db_table}") == [(0.6,)]
    submitted = _select(empty_database, f"SELECT COUNT(*) FROM {Scorecard._meta.db_table} WHERE status = 'submitted'")
    assert submitted == [(Scorecard.objects.filter(status="submitted").count(),)] == [(2,)]
    evidence = {row[0] for row in _select(empty_database, f"SELECT evidence FROM {DimensionScore._meta.db_table}")}
    assert evidence == set(DimensionScore.objects.values_list("evidence", flat=True))
    restored_var = tmp_path / "var-restored"
    assert (restored_var / "exports" / "kept.txt").read_text() == "keep me"
    # The embedded broker's queue is not data (settings recreate its empty folders at start).
    assert not (restored_var / "broker" / "queue" / "message.msg").exists()
    assert not (restored_var / "engine.sock").exists()


def test_restore_fails_on_a_count_that_differs_from_the_manifest(site, var_dir, tmp_path, empty_database):
    folder = backup_create(directory=tmp_path / "b", exact=True).path
    assert folder == tmp_path / "b"
    manifest = json.loads((folder / MANIFEST_FILE).read_text())
    manifest["counts"]["assessments.Attempt"] = 2  # as if an attempt had been lost on the way
    (folder / MANIFEST_FILE).write_text(json.dumps(manifest))
    result = _manage("restore", str(folder), env=_env(empty_database, tmp_path / "var-dst"), check=False)
    assert result.returncode != 0
    assert "attempts (assessments.Attempt): 1 restored, 2 in the backup: MISMATCH" in result.stdout
    assert "counts differ" in result.stderr and "attempts (1 of 2)" in result.stderr


def test_restore_refuses_a_database_in_use_and_a_damaged_backup(site, var_dir, tmp_path):
    folder = backup_create(directory=tmp_path / "b").path
    with pytest.raises(BackupError, match=r"is not empty: .*--force"):
        backup_restore(source=folder)
    with pytest.raises(BackupError, match=r"holds 1 attempt\(s\): refusing to overwrite them, even with --force"):
        backup_restore(source=folder, force=True)
    assert Attempt.objects.count() == 1

    manifest = json.loads((folder / MANIFEST_FILE).read_text())
    newer = {**manifest, "migrations": {**manifest["migrations"], "assessments": "9999_from_the_future"}}
    (folder / MANIFEST_FILE).write_text(json.dumps(newer))
    with pytest.raises(BackupError, match=r"newer version .*assessments 9999_from_the_future"):
        backup_restore(source=folder)
    (folder / MANIFEST_FILE).write_text(json.dumps(manifest))

    with (folder / VAR_FILE).open("ab") as f:
        f.write(b"junk")
    with pytest.raises(BackupError, match="does not match the manifest"):
        backup_restore(source=folder)
    (folder / MANIFEST_FILE).unlink()
    with pytest.raises(BackupError, match="has no manifest.json"):
        backup_restore(source=folder)


def test_backup_here_refuses_a_folder_that_is_not_empty(transactional_db, var_dir, tmp_path):
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "other.txt").write_text("x")
    with pytest.raises(BackupError, match="not an empty folder"):
        backup_create(directory=tmp_path / "full", exact=True)
    assert sorted(p.name for p in (tmp_path / "full").iterdir()) == ["other.txt"]


def test_missing_client_tools_name_the_debian_package(monkeypatch):
    from ops import backup

    monkeypatch.setattr(backup.shutil, "which", lambda name: None)
    with pytest.raises(BackupError, match=r"pg_dump was not found on PATH.*apt-get install postgresql-client"):
        backup._client_tool("pg_dump")



@pytest.mark.parametrize("has_filters", [True, False])
def test_var_extract_refuses_entries_outside_the_var_folder(tmp_path, settings, monkeypatch, has_filters):
    """The application image's Python (Debian's 3.11.2) has no tarfile filters: the hand-made check refuses the same
    hostile archive as the "data" filter does, and extracts a good one."""
    import io
    import tarfile

    from ops import backup

    if not has_filters:
        monkeypatch.delattr(tarfile, "data_filter", raising=False)
    elif not hasattr(tarfile, "data_filter"):
        pytest.skip("this Python has no tarfile filters")
    settings.VAR_DIR = tmp_path / "var"

    def archive(name: str, entries: dict[str, bytes]) -> Path:
        path = tmp_path / name
        with tarfile.open(path, "w:gz") as tar:
            for entry, data in entries.items():
                info = tarfile.TarInfo(entry)
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
        return path

    good = archive("good.tar.gz", {"reference-figures/lab.json": b"{}"})
    backup._var_extract(good, log=lambda *_: None)
    assert (tmp_path / "var" / "reference-figures" / "lab.json").read_bytes() == b"{}"
    evil = archive("evil.tar.gz", {"../escaped.txt": b"owned"})
    with pytest.raises(Exception, match="escaped|outside|refus"):
        backup._var_extract(evil, log=lambda *_: None)
    assert not (tmp_path / "escaped.txt").exists()

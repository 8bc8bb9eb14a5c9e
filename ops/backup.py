"""Backups of a site: the database, the writable folder (VAR_DIR) and a manifest to check a restore against.

A backup is a folder of three files:

- `database.dump`: PostgreSQL's custom-format `pg_dump --no-owner`, or for SQLite a copy made with sqlite3's
  backup API (consistent while the site writes);
- `var.tar.gz`: VAR_DIR without what is rebuilt or is the database itself (the embedded broker, collected
  static files, caches, the SQLite file, sockets);
- `manifest.json`, written last (a folder without it is an unfinished backup): when, by which version, the
  database vendor, the last applied migration per app, the row counts of the records that matter, and each
  file's size and SHA-256.

The counts are read in the same snapshot that pg_dump dumps (an exported REPEATABLE READ snapshot), so a backup
of a live site still matches its manifest exactly, and a restore can prove it brought everything back.
Passwords never appear on a command line: the client tools get the connection through PG* environment variables.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import shutil
import sqlite3
import subprocess
import tarfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

from django.apps import apps
from django.conf import settings
from django.core.management import call_command
from django.db import connection, transaction
from django.db.migrations.loader import MigrationLoader

DATABASE_FILE = "database.dump"
VAR_FILE = "var.tar.gz"
MANIFEST_FILE = "manifest.json"
FORMAT = 1

# The records whose loss a restore must not hide, by model label, with the name a person reads.
COUNTED: tuple[tuple[str, str], ...] = (
    ("assessments.Candidate", "candidates"),
    ("assessments.Invitation", "invitations"),
    ("assessments.Attempt", "attempts"),
    ("assessments.Response", "responses"),
    ("assessments.Submission", "submissions"),
    ("graders.GradingRun", "grading runs"),
    ("assessments.AutomatedScore", "automated scores"),
    ("assessments.Scorecard", "scorecards"),
    ("assessments.DimensionScore", "dimension scores"),
    ("audit.AuditEvent", "audit events"),
    ("auditlog.LogEntry", "record changes (audit log)"),
)

CLIENT_PACKAGE = "postgresql-client"  # Debian's package of pg_dump and pg_restore

Log = Callable[[str], None]


class BackupError(Exception):
    """A backup or restore that cannot go on; the message says why and what to do."""


@dataclass(frozen=True)
class BackupResult:
    path: Path
    manifest: dict[str, Any]


@dataclass(frozen=True)
class CountCheck:
    label: str
    name: str
    expected: int | None  # None: the backup did not count it (made by an older version)
    actual: int | None  # None: this version has no such model

    @property
    def ok(self) -> bool:
        return self.expected is None or self.actual is None or self.expected == self.actual

    def line(self) -> str:
        if self.expected is None:
            return f"{self.name} ({self.label}): {self.actual} restored; not counted in the backup"
        if self.actual is None:
            return f"{self.name} ({self.label}): {self.expected} in the backup; no such model in this version"
        verdict = "ok" if self.ok else "MISMATCH"
        return f"{self.name} ({self.label}): {self.actual} restored, {self.expected} in the backup: {verdict}"


@dataclass(frozen=True)
class RestoreResult:
    source: Path
    manifest: dict[str, Any]
    checks: list[CountCheck] = field(default_factory=list)

    @property
    def mismatches(self) -> list[CountCheck]:
        return [check for check in self.checks if not check.ok]


def _noop(_: str) -> None:
    pass


# --- backup --------------------------------------------------------------------------------------------------


def backup_create(*, directory: Path, exact: bool = False, log: Log = _noop) -> BackupResult:
    """Back the site up into a new timestamped folder inside `directory` (or into `directory` itself when `exact`:
    it must then be empty or not exist). Returns the folder and its manifest."""
    target = _backup_folder(directory=Path(directory), exact=exact)
    created_here = not target.exists()
    target.mkdir(parents=True, exist_ok=True)
    target.chmod(0o700)  # candidates' personal data: for the backup's owner only
    try:
        vendor = connection.vendor
        if vendor == "postgresql":
            facts = _postgres_dump(target / DATABASE_FILE, log=log)
        elif vendor == "sqlite":
            facts = _sqlite_dump(target / DATABASE_FILE, log=log)
        else:
            raise BackupError(f"Backups support PostgreSQL and SQLite, not {vendor}.")
        log(f"database: {DATABASE_FILE} ({_size(target / DATABASE_FILE)})")
        _var_archive(target / VAR_FILE)
        log(f"files: {VAR_FILE} of {settings.VAR_DIR} ({_size(target / VAR_FILE)}; left out: {VAR_LEFT_OUT})")
        manifest = {
            "format": FORMAT,
            "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "app": _app_version(),
            "database": {"vendor": vendor, **facts["database"]},
            "migrations": facts["migrations"],
            "counts": facts["counts"],
            "files": {name: _file_facts(target / name) for name in (DATABASE_FILE, VAR_FILE)},
        }
        partial = target / f".{MANIFEST_FILE}.partial"
        partial.write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
        partial.replace(target / MANIFEST_FILE)  # last: its presence says the backup is whole
    except BaseException:
        # A half-written backup must not be mistaken for one: remove what this run wrote.
        if created_here:
            shutil.rmtree(target, ignore_errors=True)
        else:
            for name in (DATABASE_FILE, VAR_FILE, f".{MANIFEST_FILE}.partial"):
                (target / name).unlink(missing_ok=True)
        raise
    return BackupResult(path=target, manifest=manifest)


def _backup_folder(*, directory: Path, exact: bool) -> Path:
    if exact:
        if directory.exists() and (not directory.is_dir() or any(directory.iterdir())):
            raise BackupError(f"{directory} is not an empty folder: a backup is written into an empty one only "
                              "(or let the backup make a new timestamped folder inside it).")
        return directory
    if directory.exists() and not directory.is_dir():
        raise BackupError(f"{directory} is a file, not a folder.")
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    candidate, n = directory / f"interview-track-{stamp}", 1
    while candidate.exists():
        n += 1
        candidate = directory / f"interview-track-{stamp}-{n}"
    return candidate


def _postgres_dump(path: Path, *, log: Log) -> dict[str, Any]:
    pg_dump = _client_tool("pg_dump")
    client_major = _tool_major(pg_dump)
    # One REPEATABLE READ transaction: its exported snapshot is what pg_dump dumps and what the manifest counts.
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        cursor.execute("SHOW server_version_num")
        server_num = int(cursor.fetchone()[0])
        server_major = server_num // 10000
        if client_major < server_major:
            raise BackupError(
                f"pg_dump is version {client_major} but the PostgreSQL server is {server_major}: pg_dump refuses "
                f"a newer server. Install the PostgreSQL {server_major} client tools (Debian: "
                f"postgresql-client-{server_major}, from the PostgreSQL project's apt repository) or run the "
                "backup from an image that has them.")
        cursor.execute("SELECT pg_export_snapshot()")
        snapshot = cursor.fetchone()[0]
        migrations, counts = _facts(cursor)
        log(f"pg_dump {client_major} of PostgreSQL {server_major} (snapshot {snapshot})")
        _run([pg_dump, "--format=custom", "--no-owner", "--no-password", f"--snapshot={snapshot}",
              f"--file={path}"], what="pg_dump")
    return {"database": {"server_major": server_major, "pg_dump_major": client_major},
            "migrations": migrations, "counts": counts}


def _sqlite_dump(path: Path, *, log: Log) -> dict[str, Any]:
    source = Path(settings.DATABASES["default"]["NAME"])
    if not source.exists():
        raise BackupError(f"The SQLite database {source} does not exist.")
    # The backup API copies a consistent state page by page, with the WAL applied, while others write.
    with sqlite3.connect(source) as src, sqlite3.connect(path) as dst:
        src.backup(dst)
    # Counted in the copy itself: the manifest describes exactly what was saved.
    with sqlite3.connect(path) as copy:
        migrations, counts = _facts(copy.cursor())
    log(f"sqlite3 backup of {source}")
    return {"database": {"sqlite_version": sqlite3.sqlite_version}, "migrations": migrations, "counts": counts}


def _facts(cursor) -> tuple[dict[str, str], dict[str, int]]:
    """The last applied migration per app and the counted records' rows, read through one DB-API cursor."""
    cursor.execute("SELECT app, name FROM django_migrations ORDER BY applied, id")
    migrations: dict[str, str] = {}
    for app, name in cursor.fetchall():
        migrations[app] = name
    return dict(sorted(migrations.items())), _counts(cursor)


def _counts(cursor) -> dict[str, int]:
    counts = {}
    for label, _ in COUNTED:
        model = _model(label)
        if model is None:
            continue
        cursor.execute(f'SELECT COUNT(*) FROM "{model._meta.db_table}"')  # noqa: S608 - our own table name
        counts[label] = int(cursor.fetchone()[0])
    return counts


def _model(label: str):
    try:
        return apps.get_model(label)
    except LookupError:
        return None


VAR_LEFT_OUT = "the embedded broker, collected static files, caches, the SQLite database, sockets"


def _var_archive(path: Path) -> None:
    """Tar VAR_DIR (relative names) without what is rebuilt, is runtime state, or is the database itself."""
    var = Path(settings.VAR_DIR)
    excluded_roots = {var / "broker", Path(settings.STATIC_ROOT)}  # the embedded broker; collectstatic's output
    for name in ("PROMETHEUS_MULTIPROC_DIR", "GRADING_REFERENCE_CACHE"):
        if os.environ.get(name):
            excluded_roots.add(Path(os.environ[name]))
    excluded_roots = {p.resolve() for p in excluded_roots}
    database = settings.DATABASES["default"]
    db_file = Path(database["NAME"]).resolve() if database["ENGINE"].endswith("sqlite3") else None

    def leave_out(p: Path) -> bool:
        resolved = p.resolve()
        if resolved in excluded_roots or p.name in {"__pycache__", ".cache"}:
            return True
        if db_file is not None and resolved.parent == db_file.parent and (
                p.name == db_file.name or p.name.startswith(db_file.name + "-")):  # -wal, -shm, -journal
            return True
        # Test databases (settings_test puts them in VAR_DIR) and the beat's schedule (rebuilt at start).
        return bool(re.fullmatch(r"test-\d+\.sqlite3.*", p.name) or p.name.startswith("celerybeat-schedule"))

    with tarfile.open(path, "w:gz") as tar:
        if var.is_dir():
            for root, dirs, files in os.walk(var):
                here = Path(root)
                dirs[:] = sorted(d for d in dirs if not leave_out(here / d))
                for name in sorted(files):
                    file = here / name
                    # Sockets, pipes and devices are runtime objects, not data.
                    if leave_out(file) or not (file.is_symlink() or file.is_file()):
                        continue
                    tar.add(file, arcname=str(file.relative_to(var)), recursive=False)
                for d in dirs:
                    if (here / d).is_symlink():
                        tar.add(here / d, arcname=str((here / d).relative_to(var)), recursive=False)


def _app_version() -> dict[str, str]:
    try:
        version = metadata.version("interview-track")
    except metadata.PackageNotFoundError:
        version = ""
    commit = os.environ.get("GIT_COMMIT", "").strip()
    if not commit and (Path(settings.BASE_DIR) / ".git").exists() and shutil.which("git"):
        try:
            commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=settings.BASE_DIR, capture_output=True,
                                    text=True, timeout=5, check=False).stdout.strip()
        except (OSError, subprocess.TimeoutExpired):
            commit = ""
    return {"version": version, "git_commit": commit}


# --- restore -------------------------------------------------------------------------------------------------


def backup_restore(*, source: Path, force: bool = False, log: Log = _noop) -> RestoreResult:
    """Restore the backup folder `source` into the configured database and VAR_DIR, migrate to this version's
    schema, and compare the counted records with the manifest (the result's `mismatches`).

    Refuses a database that already holds our tables unless `force`, and refuses even then when it holds attempts.
    """
    source = Path(source)
    manifest = _manifest_read(source)
    vendor = manifest["database"]["vendor"]
    if vendor != connection.vendor:
        raise BackupError(f"This backup is of a {vendor} database; the configured database is {connection.vendor}. "
                          "Set DATABASE_URL to a database of the same kind.")
    _refuse_newer_schema(manifest)
    _refuse_non_empty_target(force=force)
    connection.close()
    if vendor == "postgresql":
        _postgres_restore(source / DATABASE_FILE, manifest=manifest, force=force, log=log)
    else:
        _sqlite_restore(source / DATABASE_FILE, log=log)
    connection.close()
    _var_extract(source / VAR_FILE, log=log)
    out = io.StringIO()
    # A backup from an older version restores into newer code: bring its schema up to this version's.
    call_command("migrate", interactive=False, verbosity=1, stdout=out)
    applied = [line.strip() for line in out.getvalue().splitlines() if line.strip().startswith("Applying ")]
    log(f"migrate: {len(applied)} migration(s) applied after the restore")
    with connection.cursor() as cursor:
        actual = _counts(cursor)
    expected = manifest.get("counts", {})
    checks = [CountCheck(label=label, name=name, expected=expected.get(label), actual=actual.get(label))
              for label, name in COUNTED if label in expected or label in actual]
    return RestoreResult(source=source, manifest=manifest, checks=checks)


def _manifest_read(source: Path) -> dict[str, Any]:
    path = source / MANIFEST_FILE
    if not path.is_file():
        raise BackupError(f"{source} has no {MANIFEST_FILE}: it is not a backup folder, or its backup did not finish.")
    try:
        manifest = json.loads(path.read_text())
    except ValueError as exc:
        raise BackupError(f"{path} is not valid JSON: {exc}") from exc
    if manifest.get("format") != FORMAT:
        raise BackupError(f"{path} has format {manifest.get('format')!r}; this version reads format {FORMAT}.")
    for name, expected in manifest.get("files", {}).items():
        file = source / name
        if not file.is_file():
            raise BackupError(f"{file} is missing: the backup is incomplete.")
        actual = _file_facts(file)
        if actual != expected:
            raise BackupError(f"{file} does not match the manifest ({actual['bytes']} bytes, sha256 "
                              f"{actual['sha256'][:12]}…; expected {expected['bytes']} bytes, "
                              f"{expected['sha256'][:12]}…): it was changed or damaged since the backup.")
    return manifest


def _refuse_newer_schema(manifest: dict[str, Any]) -> None:
    """A backup from a newer version than this code cannot be migrated backwards: say so before touching anything."""
    known = MigrationLoader(None, ignore_no_migrations=True).disk_migrations
    installed = {config.label for config in apps.get_app_configs()}
    unknown = [f"{app} {name}" for app, name in manifest.get("migrations", {}).items()
               if app in installed and (app, name) not in known]
    if unknown:
        raise BackupError("This backup was made by a newer version of Interview Track (migrations unknown here: "
                          f"{', '.join(unknown)}). Restore it with that version or a later one.")


def _our_tables() -> list[str]:
    tables = set(connection.introspection.django_table_names(only_existing=True, include_views=False))
    if "django_migrations" in connection.introspection.table_names():
        tables.add("django_migrations")
    return sorted(tables)


def _refuse_non_empty_target(*, force: bool) -> None:
    tables = _our_tables()
    if not tables:
        return
    where = _database_name()
    if not force:
        raise BackupError(
            f"The target database {where} is not empty: it already has {len(tables)} of Interview Track's tables "
            f"(e.g. {', '.join(tables[:3])}). Restore into a new, empty database, or pass --force to replace one "
            "that holds no attempts (e.g. one a deploy has just migrated).")
    attempts = _model("assessments.Attempt")._meta.db_table
    if attempts in tables:
        with connection.cursor() as cursor:
            cursor.execute(f'SELECT COUNT(*) FROM "{attempts}"')  # noqa: S608 - our own table name
            count = int(cursor.fetchone()[0])
        if count:
            raise BackupError(f"The target database {where} holds {count} attempt(s): refusing to overwrite them, "
                              "even with --force. Restore into a new, empty database.")


def _database_name() -> str:
    s = connection.settings_dict
    if connection.vendor == "sqlite":
        return str(s["NAME"])
    return f"{s['NAME']!r} on {s.get('HOST') or 'the local socket'}"


def _postgres_restore(dump: Path, *, manifest: dict[str, Any], force: bool, log: Log) -> None:
    pg_restore = _client_tool("pg_restore")
    client_major = _tool_major(pg_restore)
    dumped_by = int(manifest["database"].get("pg_dump_major") or 0)
    if client_major < dumped_by:
        raise BackupError(f"This dump was written by pg_dump {dumped_by}; pg_restore {client_major} cannot read it. "
                          f"Install the PostgreSQL {dumped_by} client tools (Debian: postgresql-client-{dumped_by}).")
    if force:
        # Only reached when no attempt exists: an empty, migrated schema is dropped so the dump can create its own.
        tables = connection.introspection.table_names()
        if tables:
            with connection.cursor() as cursor:
                cursor.execute("DROP TABLE IF EXISTS " + ", ".join(f'"{t}"' for t in tables) + " CASCADE")
            log(f"--force: dropped {len(tables)} table(s) of the empty target")
        connection.close()
    # --no-privileges: the source site's GRANTs name roles this server may not have. --single-transaction with
    # --exit-on-error: a failed restore leaves the database as it was, not half-filled.
    _run([pg_restore, "--no-owner", "--no-privileges", "--exit-on-error", "--single-transaction", "--no-password",
          f"--dbname={connection.settings_dict['NAME']}", str(dump)], what="pg_restore")
    log(f"database: pg_restore {client_major} into {_database_name()}")


def _sqlite_restore(dump: Path, *, log: Log) -> None:
    target = Path(connection.settings_dict["NAME"])
    target.parent.mkdir(parents=True, exist_ok=True)
    # Through the backup API rather than a file copy: a WAL left beside the old file would otherwise be replayed
    # into the new one, and the copy is all-or-nothing.
    with sqlite3.connect(dump) as src, sqlite3.connect(target) as dst:
        src.backup(dst)
    log(f"database: copied into {target}")


def _var_extract(archive: Path, *, log: Log) -> None:
    var = Path(settings.VAR_DIR)
    var.mkdir(parents=True, exist_ok=True)
    with tarfile.open(archive, "r:gz") as tar:
        members = tar.getmembers()
        if hasattr(tarfile, "data_filter"):
            # The "data" filter refuses absolute names, paths out of VAR_DIR, devices and unsafe links.
            tar.extractall(var, filter="data")
        else:
            # Python 3.11 before 3.11.4 (Debian bookworm's 3.11.2, the application image's) has no filters: the same
            # refusals by hand, for the entries a backup holds (files and folders; nothing else is ever written).
            root = var.resolve()
            for member in members:
                path = (var / member.name).resolve()
                if not (member.isfile() or member.isdir()) or member.name.startswith("/") or \
                        (path != root and root not in path.parents):
                    raise BackupError(f"{archive.name}: refusing {member.name!r} (not a plain file or folder "
                                      f"inside {var})")
            tar.extractall(var)  # noqa: S202 - every member was checked above
    log(f"files: {len(members)} entr{'y' if len(members) == 1 else 'ies'} into {var}")


# --- shared --------------------------------------------------------------------------------------------------


def _client_tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise BackupError(f"{name} was not found on PATH: install the PostgreSQL client tools (Debian: apt-get "
                          f"install {CLIENT_PACKAGE}; its major version must be at least the server's).")
    return path


def _tool_major(path: str) -> int:
    out = subprocess.run([path, "--version"], capture_output=True, text=True, check=False, timeout=30).stdout
    match = re.search(r"\)\s*(\d+)", out) or re.search(r"(\d+)\.\d+", out)
    if not match:
        raise BackupError(f"Could not read the version of {path} (it printed {out.strip()!r}).")
    return int(match.group(1))


def _pg_env() -> dict[str, str]:
    """The connection for pg_dump/pg_restore, through libpq's variables: nothing secret on a command line."""
    s = connection.settings_dict
    env = dict(os.environ)
    for key, var in (("HOST", "PGHOST"), ("PORT", "PGPORT"), ("USER", "PGUSER"), ("PASSWORD", "PGPASSWORD"),
                     ("NAME", "PGDATABASE")):
        if s.get(key):
            env[var] = str(s[key])
    for option, var in (("sslmode", "PGSSLMODE"), ("sslrootcert", "PGSSLROOTCERT"), ("sslcert", "PGSSLCERT"),
                        ("sslkey", "PGSSLKEY"), ("connect_timeout", "PGCONNECT_TIMEOUT")):
        if s.get("OPTIONS", {}).get(option):
            env[var] = str(s["OPTIONS"][option])
    return env


def _run(argv: list[str], *, what: str) -> None:
    result = subprocess.run(argv, env=_pg_env(), capture_output=True, text=True, check=False)
    if result.returncode != 0:
        tail = "\n".join(result.stderr.strip().splitlines()[-10:])
        raise BackupError(f"{what} failed (exit {result.returncode}):\n{tail}")


def _file_facts(path: Path) -> dict[str, Any]:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return {"bytes": path.stat().st_size, "sha256": digest.hexdigest()}


def _size(path: Path) -> str:
    size = float(path.stat().st_size)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if size < 1024 or unit == "GiB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return ""

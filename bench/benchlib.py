"""What the benchmarks share: percentiles, generated text, their own PostgreSQL database, Django set up in-process.

Imported by the scripts in this folder (`python bench/<script>.py` puts the folder on sys.path).
"""

from __future__ import annotations

import io
import os
from urllib.parse import urlsplit, urlunsplit

# Vocabulary for generated answers, so text looks like the track's subject and compresses like it.
WORDS = ("latency", "streaming", "beam", "encoder", "CTC", "WER", "rollback", "batching", "p99", "quantise",
         "monitoring", "drift", "label", "slice", "GPU", "cost", "attention", "chunk", "privacy", "ablation")


def percentile(values: list[float], q: float) -> float:
    """Linear interpolation between order statistics (numpy's default), q in 0..1.

    The same as graders/harness/benchmarks/latency.percentile, which cannot be imported here: the harness is
    self-contained for the sandbox and imports its sibling modules by their bare names.
    """
    ordered = sorted(values)
    k = (len(ordered) - 1) * q
    lo = int(k)
    hi = min(lo + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def _checked(url: str, *, dropping: bool) -> tuple[str, str]:
    """(database name, maintenance-database URL); refuses what a benchmark must never touch."""
    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    if parts.hostname not in {"127.0.0.1", "localhost"}:
        raise SystemExit(f"Refusing a database that is not on this machine: {parts.hostname!r}.")
    if not name:
        raise SystemExit("The database URL names no database.")
    if dropping and "bench" not in name:
        raise SystemExit(f"Refusing to drop {name!r}: the bench database's name must contain 'bench'.")
    return name, urlunsplit(parts._replace(path="/postgres"))


def database_check(url: str, *, dropping: bool = True) -> None:
    """Refuse early, before any work, what database_prepare / database_drop would refuse."""
    _checked(url, dropping=dropping)


def database_prepare(url: str, *, drop: bool) -> None:
    """Create the bench database if missing; drop it first when `drop` (so runs start alike)."""
    import psycopg
    from psycopg import sql

    name, admin_url = _checked(url, dropping=drop)
    with psycopg.connect(admin_url, autocommit=True) as conn:
        if drop:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def database_drop(url: str) -> None:
    import psycopg
    from psycopg import sql

    name, admin_url = _checked(url, dropping=True)
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def django_setup(env: dict[str, str]) -> None:
    """Configure Django from env in this process, then migrate, load the content and collect static files
    (DEBUG is off in the benchmarks, so pages need the static manifest)."""
    os.environ.update(env)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)
    call_command("sync_content", verbosity=0, stdout=io.StringIO())
    call_command("collectstatic", interactive=False, verbosity=0)

"""The house rules, checked: who may import whom, views without ORM or access rules, one task table,
one benchmark registry. docs/architecture.md explains each rule; this file keeps them true."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
OURS = {"webapp", "assessments", "graders", "sandboxes", "ops", "accounts", "audit", "api"}
# room -> the rooms it may import (besides itself)
ALLOWED = {
    "sandboxes": set(),
    "assessments": set(),
    "graders": {"assessments", "sandboxes"},
    "accounts": {"assessments"},
    "audit": {"assessments", "graders", "accounts"},
    "ops": {"assessments", "graders", "sandboxes", "audit"},
    "api": {"assessments", "graders"},
    "webapp": {"assessments", "graders", "ops", "accounts", "audit", "api"},
}
# Plain Python: shipped into the sandbox, run in notebooks, shared by the worker and the CLI, or read by settings.
NO_DJANGO = ["sandboxes", "graders/harness", "graders/result.py", "graders/grading.py", "graders/jobs.py",
             "assessments/content", "assessments/reporting", "accounts/saml.py"]


def _modules(room: str) -> list[Path]:
    return sorted(p for p in (ROOT / room).rglob("*.py") if "migrations" not in p.parts)


def _imports(path: Path) -> set[str]:
    """Top-level names of every absolute import in the file, function-local ones included."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("room", sorted(ALLOWED))
def test_rooms_import_only_what_they_may(room):
    bad = []
    for path in _modules(room):
        if room == "graders" and "harness" in path.relative_to(ROOT / room).parts:
            continue  # checked below: the harness imports nothing of ours at all
        for name in sorted(_imports(path) & OURS - {room} - ALLOWED[room]):
            bad.append(f"{path.relative_to(ROOT)} imports {name}")
    assert not bad, "\n".join(bad)


def test_the_harness_imports_nothing_of_ours():
    bad = [f"{p.relative_to(ROOT)} imports {n}" for p in _modules("graders/harness") for n in _imports(p) & OURS]
    assert not bad, "the harness is copied into the sandbox alone:\n" + "\n".join(bad)


@pytest.mark.parametrize("where", NO_DJANGO)
def test_plain_python_parts_do_not_import_django(where):
    paths = [ROOT / where] if where.endswith(".py") else _modules(where)
    bad = [str(p.relative_to(ROOT)) for p in paths if {"django", "rest_framework", "celery"} & _imports(p)]
    assert paths and not bad, f"these must stay plain Python: {bad}"


# --- webapp: no ORM, no access rules -------------------------------------------------------------

QUERYSET_METHODS = {"objects", "filter", "exclude", "select_related", "prefetch_related", "annotate", "aggregate",
                    "values_list", "order_by", "select_for_update", "bulk_create", "get_or_create",
                    "update_or_create", "only", "defer", "raw", "extra", "all"}
ACCESS_ATTRIBUTES = {"is_superuser", "is_staff", "has_perm", "has_perms", "groups"}


def _webapp_modules() -> list[Path]:
    return [p for p in _modules("webapp") if not p.name.startswith("settings") and "templatetags" not in p.parts]


@pytest.mark.parametrize("path", _webapp_modules(), ids=lambda p: str(p.relative_to(ROOT)))
def test_webapp_holds_no_orm_and_no_access_rules(path):
    """Reads come from selectors, rules from assessments.access, writes from services (docs/architecture.md)."""
    tree = ast.parse(path.read_text())
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr in QUERYSET_METHODS | ACCESS_ATTRIBUTES:
            found.append(f"line {node.lineno}: .{node.attr}")
        elif isinstance(node, ast.Name) and node.id == "get_user_model":
            found.append(f"line {node.lineno}: get_user_model")
        elif isinstance(node, ast.ImportFrom) and (node.module or "") in {"django.db", "django.db.models"}:
            found.append(f"line {node.lineno}: from {node.module} import ...")
    assert not found, f"{path.relative_to(ROOT)} queries or decides access itself:\n" + "\n".join(found)


def test_views_import_no_model_class_or_manager():
    """The runtime half of the check above: nothing a view module holds is a model, a manager or a queryset."""
    import importlib

    from django.db import models

    bad = []
    for path in sorted((ROOT / "webapp" / "views").glob("*.py")):
        module = importlib.import_module(f"webapp.views.{path.stem}")
        for name, value in vars(module).items():
            if (isinstance(value, type) and issubclass(value, models.Model)) or isinstance(
                    value, models.Manager | models.QuerySet):
                bad.append(f"webapp.views.{path.stem}.{name}")
    assert not bad, f"views must read through selectors, not models: {bad}"


# --- the task table ------------------------------------------------------------------------------


def _celery_tasks():
    from webapp.celery import app

    app.loader.import_default_modules()  # autodiscovery: every app's tasks module
    return {name: t for name, t in app.tasks.items() if not name.startswith("celery.")}


def test_every_task_is_in_the_task_table():
    from assessments.tasking import TASKS

    tasks = _celery_tasks()
    assert set(tasks) == set(TASKS), "declare tasks with assessments.tasking.task, not shared_task or app.task"
    for name, spec in TASKS.items():
        assert tasks[name].time_limit == spec.time_limit and tasks[name].retry_on == spec.retry_on, name


def test_every_task_routes_to_its_queue_and_every_queue_has_a_consumer():
    from assessments.tasking import TASKS, Queue
    from webapp.celery import app

    _celery_tasks()
    for name, spec in TASKS.items():
        assert app.amqp.router.route({}, name)["queue"].name == spec.queue, name
    dev = (ROOT / "dev").read_text()
    consumed = set(re.search(r"worker -B -Q (\S+)", dev).group(1).split(","))
    assert consumed == {str(q) for q in Queue}, "./dev run's worker must consume every queue of the table"


def test_the_beat_schedule_names_registered_tasks():
    from django.conf import settings

    from assessments.tasking import TASKS

    assert settings.CELERY_BEAT_SCHEDULE
    for entry in settings.CELERY_BEAT_SCHEDULE.values():
        assert entry["task"] in TASKS, entry


def test_grading_goes_to_a_queue_the_table_allows(db, content_root):
    from assessments.models import Question
    from assessments.services import content_sync
    from assessments.tasking import TASKS
    from graders.services import queue_for

    content_sync(exercises_dir=content_root / "exercises", rubrics_dir=content_root / "rubrics")
    _celery_tasks()
    spec = TASKS["graders.grade_run"]
    for question in Question.objects.filter(kind="coding"):
        assert queue_for(question) in (spec.queue, *spec.other_queues)
    from sandboxes.base import SandboxUnavailable

    assert SandboxUnavailable in spec.retry_on


# --- the benchmark registry ----------------------------------------------------------------------


def test_every_benchmark_kind_has_its_schema_runner_and_partial():
    from graders.registry import benchmark_registry_problems

    assert benchmark_registry_problems() == []


def test_a_kind_missing_a_part_is_named_with_the_file_to_add(monkeypatch, tmp_path):
    from django.core.exceptions import ImproperlyConfigured

    from assessments.content import benchmarks
    from graders import registry

    monkeypatch.setitem(benchmarks.BENCHMARK_KINDS, "energy", benchmarks.BenchmarkSchema(
        kind="energy", required=frozenset({"callable"})))
    problems = registry.benchmark_registry_problems()
    assert any("graders/harness/benchmarks/energy.py" in p for p in problems)
    assert any("graders/templates/graders/benchmarks/energy.html" in p for p in problems)
    with pytest.raises(ImproperlyConfigured, match="energy"):
        registry.benchmark_registry_check()
    # A runner without a schema is caught too.
    harness = tmp_path / "harness"
    (harness / "benchmarks").mkdir(parents=True)
    for kind in ("latency", "wer", "energy", "throughput"):
        (harness / "benchmarks" / f"{kind}.py").write_text("def run(cfg, **kw): ...\n")
    problems = registry.benchmark_registry_problems(harness)
    assert any("'throughput' has a runner but no content schema" in p for p in problems)


def test_the_shipped_harness_is_every_file_of_its_folder():
    from graders.jobs import HARNESS_DIR, harness_files

    on_disk = {f"harness/{p.relative_to(HARNESS_DIR).as_posix()}" for p in HARNESS_DIR.rglob("*.py")
               if "__pycache__" not in p.parts}
    assert on_disk <= set(harness_files()) and "harness/benchmarks/latency.py" in on_disk
    assert not any(name.endswith(".pyc") for name in harness_files())

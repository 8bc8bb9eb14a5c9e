"""A new benchmark kind is three files: its content-schema entry, its runner, its partial.

On a copy of the project, a throw-away kind ("agreement": how often the candidate's function answers as
the reference's does on private inputs) is added by touching exactly three files; a lab in a temporary
content folder declares it, and the copy validates the content, grades a right and a wrong solution
through the harness and shows the figures on the interviewers' partial. Without its partial the copy
refuses to start, naming the file to add.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from textwrap import dedent

import pytest

from tests import minimal_content

ROOT = Path(__file__).resolve().parents[2]
CODE = ["assessments", "graders", "sandboxes", "webapp", "ops", "manage.py", "docker/sandbox"]

SCHEMA_ENTRY = dedent('''

    def _check_agreement(r: Reader, where: str, cfg: dict) -> None:
        r.number(cfg, "min_agreement", f"{where}.min_agreement", 0, 1, 1.0)


    register(BenchmarkSchema(kind="agreement", required=frozenset({"callable", "inputs"}),
                             optional=frozenset({"min_agreement"}), data_fields=("inputs",), check=_check_agreement))
''')

RUNNER = dedent('''
    """Agreement: the share of private inputs on which the candidate's function answers as the reference's."""

    import json


    def run(cfg, *, candidate, reference, module, private):
        inputs = json.loads((private / cfg["inputs"]).read_text())
        same = sum(candidate.call(module, cfg["callable"], tuple(args), {})
                   == reference.call(module, cfg["callable"], tuple(args), {}) for args in inputs)
        share = same / len(inputs)
        floor = float(cfg.get("min_agreement", 1.0))
        return {"passed": share >= floor, "score": round(share, 4), "summary": f"agrees on {same}/{len(inputs)}",
                "agreement": round(share, 4), "inputs": len(inputs)}
''')

PARTIAL = ('<p data-testid="agreement">Agreement with the reference: <strong>{{ bench.figures.agreement }}</strong> '
           'on {{ bench.figures.inputs }} inputs</p>\n')

LAB = dedent('''\
    coding:
      entrypoint: solution.py
      resources: {cpus: 1, memory_mb: 256, wall_seconds: 20, gpu: false}
      benchmarks:
        agreement: {callable: add, inputs: bench/pairs.json, min_agreement: 0.9}
      scoring: {hidden_tests: 0.5, agreement: 0.5, core: {tests: [test_add]}}
''')

RENDER = dedent('''
    import json, sys
    from types import SimpleNamespace
    from django.template.loader import render_to_string
    from graders.result import GradingResult, ResultSummary
    result = GradingResult.from_json(json.load(open(sys.argv[1])))
    auto = SimpleNamespace(details=result.summary().to_json(), verdict=str(result.verdict), score=result.score,
                           source="test")
    print(render_to_string("graders/_automated.html", {"auto": auto, "summary": ResultSummary.from_json(auto.details)}))
''')


def _snapshot(root: Path) -> dict[str, str]:
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in root.rglob("*") if p.is_file() and "__pycache__" not in p.parts}


@pytest.fixture
def project(tmp_path: Path) -> Path:
    copy = tmp_path / "project"
    for name in CODE:
        src = ROOT / name
        if src.is_dir():
            shutil.copytree(src, copy / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            (copy / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, copy / name)
    return copy


def _run(project: Path, content: Path, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_URL", "CELERY_", "SANDBOX"))}
    env.update({"DJANGO_DEBUG": "true", "SANDBOX_BACKEND": "local", "INTERVIEW_TRACK_VAR_DIR": str(content / "var"),
                "CONTENT_EXERCISES_DIR": str(content / "exercises"), "CONTENT_RUBRICS_DIR": str(content / "rubrics")})
    return subprocess.run([sys.executable, *args], cwd=project, env=env, capture_output=True, text=True, timeout=180)


def test_a_new_benchmark_kind_is_graded_and_shown_with_three_files_touched(project: Path, tmp_path: Path):
    before = _snapshot(project)
    with (project / "assessments/content/benchmarks.py").open("a") as fh:
        fh.write(SCHEMA_ENTRY)
    (project / "graders/harness/benchmarks/agreement.py").write_text(RUNNER)
    (project / "graders/templates/graders/benchmarks/agreement.html").write_text(PARTIAL)
    after = _snapshot(project)
    touched = sorted(p for p in before.keys() | after.keys() if before.get(p) != after.get(p))
    assert touched == ["assessments/content/benchmarks.py", "graders/harness/benchmarks/agreement.py",
                       "graders/templates/graders/benchmarks/agreement.html"]

    content = tmp_path / "content"
    minimal_content.write(content)
    lab = content / "exercises/add-two"
    question = (lab / "question.yaml").read_text()
    (lab / "question.yaml").write_text(question[:question.index("coding:")] + LAB)
    (lab / "bench").mkdir()
    (lab / "bench/pairs.json").write_text(json.dumps([[i, 10 + i] for i in range(10)]))

    check = _run(project, content, "manage.py", "sync_content", "--check")
    assert check.returncode == 0, check.stderr

    graded = {}
    solutions = {"right": "def add(a, b):\n    return b + a\n",
                 "wrong": "def add(a, b):\n    return a + b if a < 5 else a - b\n"}
    for name, body in solutions.items():
        path = tmp_path / f"{name}.py"
        path.write_text(body)
        out = _run(project, content, "manage.py", "grade", "add-two", str(path), "--hidden", "--json")
        graded[name] = json.loads(out.stdout)
        (tmp_path / f"{name}.json").write_text(out.stdout)
    right, wrong = graded["right"], graded["wrong"]
    assert (right["verdict"], right["score"], right["benchmarks"]["agreement"]["agreement"]) == ("passed", 1.0, 1.0)
    # add(a, b) == a + b only for a < 5: half the private inputs, below the kind's 0.9 floor.
    assert wrong["benchmarks"]["agreement"] == {"passed": False, "score": 0.5, "summary": "agrees on 5/10",
                                                "agreement": 0.5, "inputs": 10}
    assert wrong["verdict"] == "failed" and wrong["score"] < right["score"]

    render = RENDER.replace("sys.argv[1]", repr(str(tmp_path / "wrong.json")))
    shown = _run(project, content, "manage.py", "shell", "-c", render)
    assert shown.returncode == 0, shown.stderr
    assert 'data-testid="agreement"' in shown.stdout and "<strong>0.5</strong> on 10 inputs" in shown.stdout

    # A kind missing a part stops the process at start-up, naming the file to add.
    (project / "graders/templates/graders/benchmarks/agreement.html").unlink()
    broken = _run(project, content, "manage.py", "check")
    assert broken.returncode != 0
    assert "graders/templates/graders/benchmarks/agreement.html" in broken.stderr

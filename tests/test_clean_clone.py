"""Grading works wherever the README says the app runs: from a clean clone with no Docker engine, the local
sandbox (on the environment `./dev sandbox-env` builds from the sandbox image's requirements) grades every lab as
the demo does: the reference passes and the starter fails."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.slow


def _clone(dest: Path) -> Path:
    """The files a clone has (tracked, and new ones git does not ignore), nothing the working tree built."""
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=ROOT,
                            capture_output=True, check=True).stdout.decode().split("\0")
    for rel in filter(None, listed):
        src = ROOT / rel
        if src.is_file():
            (dest / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / rel)
    return dest


def test_a_clean_clone_without_docker_grades_every_lab_locally(tmp_path):
    clone = _clone(tmp_path / "clone")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_URL", "CELERY_", "SANDBOX"))}
    built = subprocess.run(["./dev", "sandbox-env"], cwd=clone, env=env, capture_output=True, text=True, timeout=1200)
    assert built.returncode == 0, built.stderr[-3000:]
    python = built.stdout.strip().splitlines()[-1]
    assert Path(python).is_file()
    env.update({"DJANGO_DEBUG": "true", "SANDBOX_BACKEND": "auto", "DOCKER_HOST": "unix:///nonexistent/docker.sock",
                "SANDBOX_LOCAL_PYTHON": python, "INTERVIEW_TRACK_VAR_DIR": str(tmp_path / "var")})
    labs = sorted(p.parent for p in (clone / "exercises").glob("*/question.yaml")
                  if yaml.safe_load(p.read_text()).get("kind") == "coding")
    assert len(labs) >= 7

    def grade(job: tuple[Path, str]) -> tuple[str, str, dict, str]:
        lab, variant = job
        out = subprocess.run([sys.executable, "manage.py", "grade", lab.name, str(lab / variant / "solution.py"),
                              "--hidden", "--json"], cwd=clone, env=env, capture_output=True, text=True, timeout=900)
        try:
            result = json.loads(out.stdout)
        except json.JSONDecodeError:
            result = {"verdict": None}
        return lab.name, variant, result, out.stderr[-1500:]

    with ThreadPoolExecutor(max_workers=2) as pool:
        graded = list(pool.map(grade, [(lab, variant) for lab in labs for variant in ("reference", "starter")]))
    problems = []
    for lab, variant, result, stderr in graded:
        expected = "passed" if variant == "reference" else "failed"
        backend = result.get("sandbox", {}).get("backend")
        if result.get("verdict") != expected or backend != "local":
            failing = [t["message"][-300:] for t in result.get("tests", []) if t["outcome"] != "passed"][:2]
            problems.append(f"{lab} {variant}: {result.get('verdict')} via {backend}, expected {expected}; "
                            f"{failing or stderr}")
    assert not problems, "\n".join(problems)

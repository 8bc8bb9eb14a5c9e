"""Grade one file against an exercise folder with the harness as a local process (development only).

    python -m graders.harness.local exercises/<slug> path/to/solution.py [--suite hidden|visible]

No isolation: the candidate process runs as you. Use the Docker backend for real submissions.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml

from graders.jobs import build_job, read_exercise_dir, write_tree


def parse_result(stdout: str) -> dict:
    lines = [line for line in stdout.splitlines() if line.strip()]
    if not lines:
        raise ValueError("the harness printed nothing")
    return json.loads(lines[-1])


def run_local(exercise: Path, candidate: Path, suite: str = "hidden", drop_privileges: bool = False) -> dict:
    coding = yaml.safe_load((exercise / "question.yaml").read_text())["coding"]
    coding.setdefault("resources", {})
    coding["resources"] = {"cpus": 1, "memory_mb": 1024, "wall_seconds": 60, "gpu": False, **coding["resources"]}
    files = build_job(exercise_files=read_exercise_dir(exercise), coding=coding, suite=suite,
                      candidate_files={coding["entrypoint"]: candidate.read_bytes()}, drop_privileges=drop_privileges)
    with tempfile.TemporaryDirectory(prefix="harness-") as tmp:
        root = Path(tmp)
        if drop_privileges:
            root.chmod(0o755)  # the candidate's uid must reach work/ and lib/ (private/ stays 0700)
        write_tree(root, files)
        proc = subprocess.run([sys.executable, "-I", str(root / "harness" / "main.py"), str(root)],
                              capture_output=True, text=True, timeout=coding["resources"]["wall_seconds"] + 60)
    result = parse_result(proc.stdout)
    result["_stderr_tail"] = proc.stderr[-3000:]
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("exercise", type=Path)
    parser.add_argument("candidate", type=Path)
    parser.add_argument("--suite", default="hidden", choices=["hidden", "visible"])
    parser.add_argument("--stderr", action="store_true", help="also print the harness's stderr")
    parser.add_argument("--drop-privileges", action="store_true",
                        help="as root: run candidate code as uid 65534, as the Docker backend does")
    args = parser.parse_args()
    result = run_local(args.exercise, args.candidate, args.suite, args.drop_privileges)
    stderr = result.pop("_stderr_tail")
    print(json.dumps(result, indent=1))
    if args.stderr:
        print(stderr, file=sys.stderr)
    return 0 if result["verdict"] == "passed" else 1


if __name__ == "__main__":
    sys.exit(main())

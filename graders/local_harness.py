"""Grade one file against an exercise folder with the harness as a local process (development only).

    python -m graders.local_harness exercises/<slug> path/to/solution.py [--suite hidden|visible]

No isolation: the candidate process runs as you. Use the Docker backend for real submissions. This
CLI lives beside the harness, not in it: graders/harness/ is exactly what ships into the sandbox.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml

from assessments.content.coding import CodingConfig
from graders.jobs import build_job, read_exercise_dir, write_tree
from graders.result import GradingResult


def run_local(exercise: Path, candidate: Path, suite: str = "hidden",
              drop_privileges: bool = False) -> tuple[GradingResult, str]:
    """The harness's result for one file, and the tail of its stderr."""
    coding = CodingConfig.from_json(yaml.safe_load((exercise / "question.yaml").read_text())["coding"])
    files = build_job(exercise_files=read_exercise_dir(exercise), coding=coding, suite=suite,
                      candidate_files={coding.entrypoint: candidate.read_bytes()}, drop_privileges=drop_privileges)
    with tempfile.TemporaryDirectory(prefix="harness-") as tmp:
        root = Path(tmp)
        if drop_privileges:
            root.chmod(0o755)  # the candidate's uid must reach work/ and lib/ (private/ stays 0700)
        write_tree(root, files)
        proc = subprocess.run([sys.executable, "-I", str(root / "harness" / "main.py"), str(root)],
                              capture_output=True, timeout=coding.resources.wall_seconds + 60)
    return GradingResult.parse(proc.stdout), proc.stderr.decode("utf-8", "replace")[-3000:]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("exercise", type=Path)
    parser.add_argument("candidate", type=Path)
    parser.add_argument("--suite", default="hidden", choices=["hidden", "visible"])
    parser.add_argument("--stderr", action="store_true", help="also print the harness's stderr")
    parser.add_argument("--drop-privileges", action="store_true",
                        help="as root: run candidate code as uid 65534, as the Docker backend does")
    args = parser.parse_args()
    result, stderr = run_local(args.exercise, args.candidate, args.suite, args.drop_privileges)
    print(json.dumps(result.to_json(), indent=1))
    if args.stderr:
        print(stderr, file=sys.stderr)
    return 0 if result.verdict == "passed" else 1


if __name__ == "__main__":
    sys.exit(main())

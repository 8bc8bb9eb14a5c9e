"""The containers' health checks (docker/app/healthcheck.py), run as the compose file runs them."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "docker" / "app" / "healthcheck.py"


def beat_check(var: Path) -> int:
    env = {**os.environ, "INTERVIEW_TRACK_VAR_DIR": str(var)}
    return subprocess.run([sys.executable, str(SCRIPT), "--beat"], env=env, capture_output=True, timeout=30).returncode


@pytest.mark.parametrize("name", ["celerybeat-schedule", "celerybeat-schedule.db", "celerybeat-schedule.dat"])
def test_the_beat_is_healthy_while_its_schedule_is_written(tmp_path, name):
    """Celery's shelve names the file after the dbm module (the image's writes celerybeat-schedule.db)."""
    assert beat_check(tmp_path) == 1  # no schedule: the beat never started
    schedule = tmp_path / name
    schedule.write_bytes(b"x")
    assert beat_check(tmp_path) == 0
    stale = time.time() - 11 * 60  # the beat writes it every few minutes: one this old has stopped
    os.utime(schedule, (stale, stale))
    assert beat_check(tmp_path) == 1

"""The containers' health checks (docker/compose.yaml), with nothing but the standard library.

  healthcheck.py /readyz    web: GET the path on this container's gunicorn; healthy on 200
  healthcheck.py --beat     beat: its schedule file was written in the last 10 minutes (beat syncs it every 3)
"""

import glob
import os
import sys
import time
import urllib.error
import urllib.request


def web(path: str) -> int:
    # Any Host header will do: the probes answer whatever host they are asked for (webapp.middleware.ProbeMiddleware).
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:8000{path}", timeout=8) as response:
            return 0 if response.status == 200 else 1
    except urllib.error.HTTPError as exc:
        print(exc.read(500).decode(errors="replace"))
        return 1
    except OSError as exc:
        print(exc)
        return 1


def beat() -> int:
    # Celery's shelve adds the dbm module's suffix to the name it is given (celerybeat-schedule.db, or .dat/.dir).
    base = os.path.join(os.environ.get("INTERVIEW_TRACK_VAR_DIR", "/var/lib/interview-track"), "celerybeat-schedule")
    written = [os.stat(path).st_mtime for path in glob.glob(glob.escape(base) + "*")]
    if not written:
        print(f"no beat schedule at {base}*")
        return 1
    return 0 if time.time() - max(written) < 600 else 1


if __name__ == "__main__":
    arg = sys.argv[1] if len(sys.argv) > 1 else "/healthz"
    sys.exit(beat() if arg == "--beat" else web(arg))

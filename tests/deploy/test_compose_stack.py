"""The production stack, end to end: images built offline, docker/compose.yaml started on loopback, one candidate's
exam taken over HTTP and graded by the stack's own workers, the report read, /metrics scraped, all torn down.

This is the deployment a site runs (README "Deploy"): the same build script, compose file and site.env generator,
with only the test's own project name, port and plain-http cookie setting.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import time
import uuid
from pathlib import Path

import pytest

from tests.conftest import free_port, require_service

REPO = Path(__file__).resolve().parents[2]
COMPOSE_FILE = REPO / "docker" / "compose.yaml"
LAB = "ctc-greedy-decode"          # answered with its reference solution: hidden grading must pass it
WRITTEN = "adapt-or-bias"           # a written question of the shipped track
WRITTEN_ANSWER = "Stack smoke answer: measure p99 per slice before and after, then bisect the deploy."


def _compose_command() -> list[str] | None:
    if shutil.which("docker") and subprocess.run(["docker", "compose", "version"], capture_output=True).returncode == 0:
        return ["docker", "compose"]
    if shutil.which("docker-compose"):
        return ["docker-compose"]
    return None


def _engine_answers() -> bool:
    return bool(shutil.which("docker")) and subprocess.run(["docker", "info"], capture_output=True).returncode == 0


class Stack:
    def __init__(self, tmp: Path):
        self.compose = _compose_command()
        self.project = f"itsmoke{os.getpid()}{uuid.uuid4().hex[:4]}"
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.tmp = tmp
        self.images_env = tmp / "images.env"
        self.site_env = tmp / "site.env"
        self.env = {**os.environ, "WEB_PORT": str(self.port), "WEB_BIND": "127.0.0.1", "SITE_ENV": str(self.site_env),
                    "IMAGES_ENV": str(self.images_env)}

    def run(self, *args: str, timeout: float = 300, check: bool = True, input: str | None = None
            ) -> subprocess.CompletedProcess:
        cmd = [*self.compose, "-p", self.project, "-f", str(COMPOSE_FILE), "--env-file", str(self.images_env), *args]
        proc = subprocess.run(cmd, env=self.env, capture_output=True, text=True, timeout=timeout, input=input)
        if check and proc.returncode != 0:
            raise AssertionError(f"{' '.join(args)} failed ({proc.returncode}):\n{proc.stdout[-3000:]}\n"
                                 f"{proc.stderr[-3000:]}")
        return proc

    def manage_shell(self, code: str) -> dict:
        """Run Python in the web container (manage.py shell) and return the JSON its last line prints."""
        out = self.run("exec", "-T", "web", "/app/docker/app/entrypoint.sh", "manage", "shell", "-c", code,
                       timeout=120).stdout
        return json.loads(out.strip().splitlines()[-1])

    def logs(self) -> str:
        return self.run("logs", "--no-color", "--tail", "80", check=False, timeout=60).stdout[-12000:]


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    require_service("Docker engine", _engine_answers(), "start dockerd (.ci/run does)")
    require_service("docker compose", _compose_command() is not None,
                    "install the compose plugin or Debian's docker-compose (.ci/run does)")
    require_service("debootstrap", bool(shutil.which("debootstrap")), "apt-get install debootstrap")
    tmp = tmp_path_factory.mktemp("stack")
    st = Stack(tmp)
    # 1. The images, built offline and reused by hash (the first build takes minutes; an unchanged one, seconds).
    build = subprocess.run([str(REPO / "docker" / "build.sh")], env=st.env, capture_output=True, text=True,
                           timeout=1800)
    assert build.returncode == 0, build.stderr[-4000:]
    assert "APP_IMAGE=interview-track-app:" in st.images_env.read_text()
    # 2. The site's settings, generated as a site generates them; then what plain http on loopback needs.
    gen = subprocess.run([str(REPO / "docker" / "site-env.sh"), "localhost"], env=st.env, capture_output=True,
                         text=True, timeout=60)
    assert gen.returncode == 0, gen.stderr
    assert oct(st.site_env.stat().st_mode & 0o777) == "0o600"
    with st.site_env.open("a") as f:
        f.write("DJANGO_SECURE_COOKIES=false\nDJANGO_BEHIND_TLS_PROXY=false\n"
                "DJANGO_EMAIL_BACKEND=django.core.mail.backends.console.EmailBackend\n"
                "WORKER_HEARTBEAT_S=5\nGRADING_RECONCILE_S=10\n")
    # 3. Up, and ready.
    try:
        st.run("up", "-d", timeout=600)
        deadline = time.monotonic() + 300
        last = None
        while time.monotonic() < deadline:
            try:
                import requests

                last = requests.get(f"{st.base}/readyz", timeout=5)
                if last.status_code == 200:
                    break
            except OSError as exc:
                last = exc
            time.sleep(3)
        else:
            pytest.fail(f"/readyz never answered 200: {getattr(last, 'text', last)}\n{st.logs()}")
        yield st
    finally:
        st.run("down", "-v", "--remove-orphans", "-t", "20", check=False, timeout=300)


@pytest.mark.parametrize("files, env", [
    (["compose.yaml"], {}),
    (["compose.yaml"], {"COMPOSE_PROFILES": "gpu"}),
    (["compose.yaml", "compose.expose.yaml"], {"PRIVATE_ADDR": "10.0.0.5"}),
    (["compose.workers.yaml"], {"WORKER_NAME": "cpu-host-2"}),
    (["compose.workers.yaml"], {"WORKER_NAME": "gpu-host-1", "COMPOSE_PROFILES": "gpu"}),
])
@pytest.mark.services
def test_every_compose_file_a_site_runs_is_valid(tmp_path, files, env):
    """The files the docs tell a site to run, as the compose tool reads them (a bad quote or variable fails here)."""
    compose = _compose_command()
    require_service("docker compose", compose is not None, "install the compose plugin or Debian's docker-compose")
    images = tmp_path / "images.env"
    images.write_text("APP_IMAGE=a:1\nPOSTGRES_IMAGE=p:1\nREDIS_IMAGE=r:1\nSANDBOX_IMAGE=s:1\nDOCKER_GID=999\n")
    site = tmp_path / "site.env"
    site.write_text("DJANGO_SECRET_KEY=x\n")
    cmd = [*compose, "--env-file", str(images)]
    for name in files:
        cmd += ["-f", str(REPO / "docker" / name)]
    proc = subprocess.run([*cmd, "config"], capture_output=True, text=True, timeout=60,
                          env={**os.environ, "SITE_ENV": str(site), **env})
    assert proc.returncode == 0, proc.stderr
    config = proc.stdout
    assert "image: a:1" in config
    if "PRIVATE_ADDR" in env:
        assert "10.0.0.5" in config
    if env.get("COMPOSE_PROFILES") == "gpu":
        assert "capabilities:" in config and "gpu" in config and "grading-gpu" in config
    # Without an image tag, the tool stops with the message that says what to do.
    images.write_text("")
    proc = subprocess.run([*cmd, "config"], capture_output=True, text=True, timeout=60,
                          env={**os.environ, "SITE_ENV": str(site), **env})
    assert proc.returncode != 0 and "run docker/build.sh" in proc.stderr


def _csrf(session) -> str:
    return session.cookies.get("csrftoken", "")


@pytest.mark.services
@pytest.mark.slow
def test_candidate_flow_through_the_stack(stack):
    import requests

    ready = requests.get(f"{stack.base}/readyz", timeout=10).json()
    assert ready["status"] == "ready", ready

    # An invitation and an admin, as a site's operator would make them (manage.py in the web container).
    made = stack.manage_shell(
        "import json; from django.contrib.auth import get_user_model; "
        "from assessments.models import Track; from assessments.services import candidate_create, invitation_create; "
        "from assessments import roles; roles.roles_ensure(); "
        "U = get_user_model(); u = U.objects.filter(username='smoke-admin').first() or "
        "U.objects.create_superuser('smoke-admin', 'smoke@example.com', 'smoke-admin-pass-123'); "
        "t = Track.objects.filter(is_current=True).order_by('slug').first(); "
        "c = candidate_create(full_name='Sam Smoke', email='sam.smoke@example.com'); "
        "i = invitation_create(candidate=c, track=t); "
        "print(json.dumps({'token': i.token, 'track': t.slug}))")
    token = made["token"]
    exam = f"{stack.base}/exam/{token}/"

    candidate = requests.Session()
    assert candidate.get(exam, timeout=30).status_code == 200
    start = candidate.post(f"{exam}start/", data={"consent": "on", "csrfmiddlewaretoken": _csrf(candidate)},
                           allow_redirects=False, timeout=30)
    assert start.status_code in (302, 303), start.text[:500]
    headers = {"X-CSRFToken": _csrf(candidate), "Accept": "application/json"}

    # A written answer, autosaved.
    saved = candidate.post(f"{exam}answers/{WRITTEN}/", data={"body": WRITTEN_ANSWER, "base_revision": "0"},
                           headers=headers, timeout=30)
    assert saved.status_code == 200 and saved.json()["revision"] == 1, saved.text[:500]

    # The lab: the reference solution, saved, run against the visible tests (the visible worker), then submitted.
    reference = (REPO / "exercises" / LAB / "reference" / "solution.py").read_text()
    saved = candidate.post(f"{exam}answers/{LAB}/", data={"body": reference, "base_revision": "0"}, headers=headers,
                           timeout=30)
    assert saved.status_code == 200, saved.text[:500]
    visible = candidate.post(f"{exam}runs/{LAB}/", data={"body": reference, "csrfmiddlewaretoken": _csrf(candidate)},
                             allow_redirects=False, timeout=30)
    assert visible.status_code in (302, 303), visible.text[:500]
    run_id = re.search(r"run=([^&#]+)", visible.headers["Location"]).group(1)

    submitted = candidate.post(f"{exam}submit/", data={"csrfmiddlewaretoken": _csrf(candidate)},
                               allow_redirects=False, timeout=60)
    assert submitted.status_code in (302, 303) and "/done/" in submitted.headers["Location"]

    # Hidden grading of every lab, by the stack's own CPU worker; the visible run by the visible-runs worker.
    status_code = (
        "import json; from graders.models import GradingRun; from assessments.models import Attempt; "
        "a = Attempt.objects.get(invitation__candidate__email='sam.smoke@example.com'); "
        "runs = list(GradingRun.objects.filter(attempt=a).values('id', 'suite', 'status', 'verdict', 'worker', "
        "'question__slug')); "
        "print(json.dumps({'attempt': a.pk, 'status': a.status, 'runs': runs}, default=str))")
    deadline = time.monotonic() + 600
    while True:
        state = stack.manage_shell(status_code)
        hidden = [r for r in state["runs"] if r["suite"] == "hidden"]
        if hidden and all(r["status"] in ("done", "error") for r in state["runs"]):
            break
        assert time.monotonic() < deadline, f"grading did not finish: {state}\n{stack.logs()}"
        time.sleep(5)
    assert state["status"] == "submitted"
    lab_hidden = [r for r in hidden if r["question__slug"] == LAB]
    assert lab_hidden and lab_hidden[0]["verdict"] == "passed", state
    assert all(r["status"] == "done" for r in hidden), state
    assert {r["worker"].split("@")[-1].split(":")[0] for r in hidden} == {"worker-cpu"}, state
    visible_runs = [r for r in state["runs"] if r["suite"] == "visible"]
    assert [str(r["id"]) for r in visible_runs] == [run_id]
    assert visible_runs[0]["worker"].split("@")[-1].split(":")[0] == "worker-visible", state

    # The report, read by a signed-in admin; the operations page sees both workers.
    staff = requests.Session()
    staff.get(f"{stack.base}/login/", timeout=30)
    login = staff.post(f"{stack.base}/login/", data={"login": "smoke-admin", "password": "smoke-admin-pass-123",
                                                     "csrfmiddlewaretoken": _csrf(staff)},
                       headers={"Referer": f"{stack.base}/login/"}, allow_redirects=False, timeout=30)
    assert login.status_code in (302, 303), login.text[:1000]
    report = staff.get(f"{stack.base}/reports/attempts/{state['attempt']}/", timeout=60)
    assert report.status_code == 200 and "Sam Smoke" in report.text
    # The PDF export: WeasyPrint and Pango inside the image, fonts cached on the data volume (the root is read-only).
    pdf = staff.get(f"{stack.base}/reports/attempts/{state['attempt']}.pdf", timeout=120)
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF"), pdf.text[:500]
    operations = staff.get(f"{stack.base}/operations/", timeout=30)
    assert operations.status_code == 200
    assert "worker-cpu" in operations.text and "worker-visible" in operations.text

    # The health checks compose runs on a timer (the first only after a minute), run now: the beat's schedule is
    # being written, and each worker answers a ping under its own host name.
    stack.run("exec", "-T", "web", "python", "/app/docker/app/healthcheck.py", "/readyz", timeout=60)
    stack.run("exec", "-T", "beat", "python", "/app/docker/app/healthcheck.py", "--beat", timeout=60)
    for worker in ("worker", "worker-visible"):
        stack.run("exec", "-T", worker, "sh", "-c", "celery -A webapp inspect ping -d celery@$HOSTNAME --timeout 10",
                  timeout=120)

    # /metrics moved: this exam's requests and autosaves (web), and the grading the workers did (their endpoint).
    metrics = requests.get(f"{stack.base}/metrics", timeout=30).text
    assert _sample(metrics, "interview_track_autosave_duration_seconds_count") >= 2, metrics[:3000]
    assert _sample(metrics, "interview_track_http_request_duration_seconds_count", view="exam-submit") >= 1
    assert _sample(metrics, "interview_track_grading_runs", status="done") >= len(hidden) + 1, metrics[:3000]
    assert _sample(metrics, "interview_track_queue_depth", queue="grading-cpu") == 0
    # The web logs one JSON object a line, each request with its id, and never the candidate's token or answer.
    web_log = stack.run("logs", "--no-color", "web", timeout=60).stdout
    lines = [json.loads(part) for line in web_log.splitlines() if "{" in line
             for part in [line[line.index("{"):]] if part.rstrip().endswith("}")]
    access = [line for line in lines if line.get("logger") == "interview_track.request"]
    assert access and all(line.get("request_id") for line in access), web_log[-3000:]
    assert any(line.get("route") == "/exam/<str:token>/submit/" and line.get("attempt_id") == state["attempt"]
               for line in access), web_log[-3000:]
    assert token not in web_log and WRITTEN_ANSWER not in web_log
    worker_metrics = stack.run("exec", "-T", "worker", "python", "-c",
                               "import urllib.request; print(urllib.request.urlopen("
                               "'http://127.0.0.1:9808/metrics', timeout=10).read().decode())").stdout
    assert _sample(worker_metrics, "interview_track_grading_runs_finished_total", suite="hidden",
                   verdict="passed") >= 1, worker_metrics[:3000]
    assert _sample(worker_metrics, "interview_track_sandbox_run_seconds_count") >= len(hidden), worker_metrics[:3000]


@pytest.mark.services
@pytest.mark.slow
def test_backup_of_the_running_stack_restores_into_an_empty_database(stack):
    """`manage backup` against the live stack, `manage restore` into a new database beside it: every record back."""
    backups = stack.tmp / "backups"
    backups.mkdir()
    backups.chmod(0o777)  # the app's containers run as uid 10001
    # One-off containers of the web's service: its image, settings and network; no ports, no dependencies started.
    one_off = ["run", "--rm", "--no-deps", "-v", f"{backups}:/backups"]
    out = stack.run(*one_off, "web", "manage", "backup", "--here", "/backups/b1", timeout=300).stdout
    manifest = json.loads((backups / "b1" / "manifest.json").read_text())
    assert manifest["counts"], manifest
    stack.run("exec", "-T", "postgres", "createdb", "-U", "interview_track", "restored", timeout=60)
    password = re.search(r"^POSTGRES_PASSWORD=(.+)$", stack.site_env.read_text(), re.M).group(1)
    restored_db = ["-e", f"DATABASE_URL=postgres://interview_track:{password}@postgres:5432/restored",
                   "-e", "INTERVIEW_TRACK_VAR_DIR=/tmp/restored-var"]  # not the live stack's data volume
    out = stack.run(*one_off, *restored_db, "web", "manage", "restore", "/backups/b1", timeout=300).stdout
    assert "attempts" in out and "MISMATCH" not in out, out
    found = stack.run(*one_off, *restored_db, "web", "manage", "shell", "-c",
                      "from assessments.models import Response; "
                      f"print(Response.objects.filter(body={WRITTEN_ANSWER!r}).count())", timeout=120).stdout
    assert found.strip().splitlines()[-1] == "1", found
    # Restoring again, into what is now a site with attempts, is refused.
    again = stack.run(*one_off, *restored_db, "web", "manage", "restore", "/backups/b1", "--force", timeout=300,
                      check=False)
    assert again.returncode != 0 and "attempt" in (again.stdout + again.stderr).lower()


@pytest.mark.services
@pytest.mark.slow
def test_queued_grading_survives_a_redis_restart_with_no_worker_running(stack):
    """The broker's append-only file: an exam submitted while the hidden-grading worker is down waits in Redis, still
    waits after Redis restarts, and is graded once the worker is back. Runs last: it stops and starts services."""
    import requests

    stack.run("stop", "-t", "60", "worker", timeout=180)
    try:
        made = stack.manage_shell(
            "import json; from assessments.models import Track; "
            "from assessments.services import candidate_create, invitation_create; "
            "t = Track.objects.filter(is_current=True).order_by('slug').first(); "
            "c = candidate_create(full_name='Rita Restart', email='rita.restart@example.com'); "
            "print(json.dumps({'token': invitation_create(candidate=c, track=t).token}))")
        exam = f"{stack.base}/exam/{made['token']}/"
        candidate = requests.Session()
        candidate.get(exam, timeout=30)
        candidate.post(f"{exam}start/", data={"consent": "on", "csrfmiddlewaretoken": _csrf(candidate)}, timeout=30)
        submitted = candidate.post(f"{exam}submit/", data={"csrfmiddlewaretoken": _csrf(candidate)},
                                   allow_redirects=False, timeout=60)
        assert submitted.status_code in (302, 303)
        waiting = _until(lambda: _sample(requests.get(f"{stack.base}/metrics", timeout=30).text,
                                         "interview_track_queue_depth", queue="grading-cpu"), at_least=1)
        stack.run("restart", "-t", "30", "redis", timeout=180)
        _until(lambda: requests.get(f"{stack.base}/readyz", timeout=10).json()["broker"]["ok"], at_least=1)
        kept = int(stack.run("exec", "-T", "redis", "redis-cli", "llen", "grading-cpu", timeout=60).stdout.strip())
        assert kept >= waiting, f"{waiting} hidden runs were queued before the restart, {kept} after"
    finally:
        stack.run("start", "worker", timeout=180)
    state = _until(lambda: stack.manage_shell(
        "import json; from graders.models import GradingRun; "
        "runs = GradingRun.objects.filter(attempt__invitation__candidate__email='rita.restart@example.com'); "
        "print(json.dumps({'n': runs.count(), 'final': runs.filter(status__in=['done', 'error']).count(), "
        "'statuses': sorted(set(runs.values_list('status', flat=True)))}))"),
        check=lambda st: st["n"] and st["final"] == st["n"], timeout=600)
    assert state["statuses"] == ["done"], state


def _until(probe, *, at_least: float | None = None, check=None, timeout: float = 120):
    """Poll `probe` until its value is >= at_least (or `check(value)`), returning that value."""
    deadline = time.monotonic() + timeout
    value = None
    while time.monotonic() < deadline:
        try:
            value = probe()
        except (OSError, ValueError, AssertionError) as exc:  # a service restarting: ask again
            value = exc
        else:
            if (check(value) if check else value >= at_least):
                return value
        time.sleep(2)
    raise AssertionError(f"timed out; last value: {value!r}")


def _sample(text: str, name: str, **labels: str) -> float:
    """The sum of a metric's samples in Prometheus text whose labels include the given ones (prometheus_client's
    own parser, as tests/ops/test_metrics.py reads the exposition)."""
    from prometheus_client.parser import text_string_to_metric_families

    return sum(s.value for family in text_string_to_metric_families(text) for s in family.samples
               if s.name == name and all(s.labels.get(k) == v for k, v in labels.items()))

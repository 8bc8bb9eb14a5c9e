"""Grading benchmarks. Prints figures; asserts nothing (targets are printed beside them).

    python bench/grading.py [--overhead-n 21] [--burst 50] [--parallel 2] [--exercise softmax-cross-entropy-bug]
    python bench/grading.py --faults-only [--fault-n 6]
    python bench/grading.py --speed-only [--wer-n 3] [--visible-n 7]    (issue 17: the two figures below)

1. Sandbox overhead per job: the same harness job run through the Docker backend and directly on
   the host (local backend), alternating, in this process. Median and p95 of the difference and of
   the ratio. Target: median overhead under 150 ms.
2. Burst: N submissions of a torch exercise through Celery (Redis broker, real worker processes,
   the Docker backend), against the same N graded directly on the host with the same parallelism.
   Throughput ratio target: at least 0.8.
3. Faults (--faults, or --faults-only): recovery time from the end of each fault to every run stored, beside
   the same runs with no fault in the same process: Redis restarted with runs queued, the broker down while
   runs are committed, a whole worker killed mid-job, the database refusing connections for 30 s (PostgreSQL
   only: a TCP proxy cuts it), and the queue wait of a hidden run behind slow visible runs (fairness).
   Each fault owns what it breaks: its own Redis on a spare port (tests/faults.py).

4. WER lab (asr-domain-terms) hidden grading of the reference solution, per backend (local with the sandbox's
   Python when ./dev sandbox-env built one, Docker when an engine answers): the reference's cache off (the
   reference decoded in every grading, the previous path), cold (reference-only job, then the grading) and warm,
   in this process. Medians and ratios. Target: warm median <= 15 s.
5. Visible run on a torch lab: click ("run visible tests": the service the view calls) to the result on the
   candidate's page, through Celery (Redis, a real worker, the sandbox pool on Docker). The run's end is watched in
   the database; when the page shows it follows from exam.js's poll schedule, old (every 1 s) and new (quick polls
   first), plus the status request's own time, measured. Target: median <= 3 s.

Needs Redis (CELERY_BROKER_URL or redis://127.0.0.1:6379/14), a Docker engine and the sandbox image;
uses DATABASE_URL when set (PostgreSQL recommended), else a throwaway SQLite file.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from benchlib import percentile

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def setup_django(db_dir: Path) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "webapp.settings")
    os.environ.setdefault("DJANGO_DEBUG", "true")
    os.environ.setdefault("INTERVIEW_TRACK_VAR_DIR", str(db_dir))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    call_command("sync_content", verbosity=0)


def overhead(exercise: str, n: int, pool_size: int) -> dict:
    import yaml

    from assessments.content import CodingConfig
    from graders.backends import default_image_tag
    from graders.grading import grade
    from graders.jobs import read_exercise_dir
    from sandboxes.docker_backend import DockerBackend
    from sandboxes.local_backend import LocalBackend

    folder = ROOT / "exercises" / exercise
    coding = CodingConfig.from_json(yaml.safe_load((folder / "question.yaml").read_text())["coding"])
    files = read_exercise_dir(folder)
    candidate = {coding.entrypoint: (folder / "reference" / coding.entrypoint).read_bytes()}
    docker = DockerBackend(image=os.environ.get("SANDBOX_IMAGE") or default_image_tag(), pool_size=pool_size)
    local = LocalBackend(isolate_network=False)

    def timed(backend) -> float:
        t0 = time.perf_counter()
        result = grade(backend=backend, exercise_files=files, coding=coding, candidate_files=candidate, suite="visible")
        assert result.verdict == "passed", result
        return time.perf_counter() - t0

    timed(docker), timed(local)  # warm caches on both sides
    diffs, ratios, d_times, h_times = [], [], [], []
    for i in range(n):
        if pool_size:
            time.sleep(1.0)  # let the pool refill, as it would between submissions
        pair = (timed(docker), timed(local)) if i % 2 == 0 else tuple(reversed((timed(local), timed(docker))))
        d, h = pair
        d_times.append(d)
        h_times.append(h)
        diffs.append(d - h)
        ratios.append(d / h)
    docker.close()
    return {"n": n, "docker_median_s": statistics.median(d_times), "host_median_s": statistics.median(h_times),
            "overhead_median_ms": statistics.median(diffs) * 1e3, "overhead_p95_ms": percentile(diffs, 0.95) * 1e3,
            "ratio_median": statistics.median(ratios), "ratio_p95": percentile(ratios, 0.95)}


def burst(exercise: str, n: int, parallel: int, broker: str) -> dict:
    import yaml
    from django.db import connection, transaction

    from assessments.content import CodingConfig
    from assessments.models import Question
    from graders.grading import grade
    from graders.jobs import read_exercise_dir
    from graders.models import GradingRun
    from graders.services import grading_run_create
    from sandboxes.local_backend import LocalBackend
    from webapp.celery import app

    folder = ROOT / "exercises" / exercise
    coding = CodingConfig.from_json(yaml.safe_load((folder / "question.yaml").read_text())["coding"])
    source = (folder / "reference" / coding.entrypoint).read_text()

    # Host baseline: the same harness jobs, same parallelism, no broker, no container.
    files = read_exercise_dir(folder)
    local = LocalBackend(isolate_network=False)
    t0 = time.perf_counter()
    with ThreadPoolExecutor(parallel) as pool:
        host_results = list(pool.map(lambda _: grade(backend=local, exercise_files=files, coding=coding, suite="hidden",
                                                     candidate_files={coding.entrypoint: source.encode()}),
                                     range(n)))
    host_s = time.perf_counter() - t0
    assert all(r.verdict == "passed" for r in host_results)

    s = connection.settings_dict
    db_url = os.environ.get("DATABASE_URL") or f"sqlite:///{s['NAME']}"
    env = {**os.environ, "CELERY_BROKER_URL": broker, "DATABASE_URL": db_url, "SANDBOX_BACKEND": "docker"}
    workers = [subprocess.Popen([sys.executable, "-m", "celery", "-A", "webapp", "worker", "-Q", "grading-cpu",
                                 "--pool", "solo", "--without-gossip", "--without-mingle", "-n", f"bench{i}@%h",
                                 "-l", "WARNING"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL, start_new_session=True) for i in range(parallel)]
    app.conf.broker_url = broker
    app._pool = None
    try:
        time.sleep(6)  # workers up and consuming before the clock starts
        question = Question.objects.get(slug=exercise, is_current=True)
        t0 = time.perf_counter()
        with transaction.atomic():
            ids = [grading_run_create(question=question, candidate_files={coding.entrypoint: source},
                                      suite="hidden").pk for _ in range(n)]
        while GradingRun.objects.filter(pk__in=ids, status__in=["queued", "running"]).exists():
            time.sleep(0.2)
        celery_s = time.perf_counter() - t0
        verdicts = list(GradingRun.objects.filter(pk__in=ids).values_list("verdict", flat=True))
    finally:
        for w in workers:
            w.terminate()
        for w in workers:
            w.wait(timeout=60)
    return {"n": n, "parallel": parallel, "host_s": host_s, "celery_docker_s": celery_s,
            "host_throughput_per_min": n / host_s * 60, "celery_throughput_per_min": n / celery_s * 60,
            "throughput_ratio": host_s / celery_s, "passed": verdicts.count("passed")}


def faults(exercise: str, n: int) -> list[tuple[str, str]]:
    """Recovery times (seconds from the end of the fault to every run stored) and the fairness wait."""
    import signal

    from django.db import connection, transaction

    from assessments.models import Question
    from graders.models import GradingRun
    from graders.services import grading_run_create
    from tests.faults import OwnRedis, TcpProxy
    from webapp.celery import app

    question = Question.objects.get(slug=exercise, is_current=True)
    source = (ROOT / "exercises" / exercise / "reference" / question.coding_config.entrypoint).read_text()
    s = connection.settings_dict
    db_url = os.environ.get("DATABASE_URL") or f"sqlite:///{s['NAME']}"
    tmp = Path(tempfile.mkdtemp(prefix="bench-faults-"))
    redis = OwnRedis(tmp / "redis").start()
    workers: list[subprocess.Popen] = []

    def worker(*, database: str = db_url, queues: str = "default,grading-cpu,grading-visible", beat: bool = True,
               pool: str = "prefork") -> subprocess.Popen:
        env = {**{k: v for k, v in os.environ.items() if not k.startswith("CELERY_")},
               "CELERY_BROKER_URL": redis.url, "DATABASE_URL": database, "GRADING_RECONCILE_S": "2",
               "GRADING_PUBLISH_SETTLE_S": "1", "GRADING_LEASE_GRACE_S": "5"}
        extra = ["-B", "-s", str(tmp / f"beat{len(workers)}")] if beat else []
        proc = subprocess.Popen([sys.executable, "-m", "celery", "-A", "webapp", "worker", "-Q", queues, "--pool",
                                 pool, "--concurrency", "2", "--without-gossip", "--without-mingle", "-l", "WARNING",
                                 *extra], cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                start_new_session=True)
        workers.append(proc)
        return proc

    def kill(proc: subprocess.Popen, sig: int = signal.SIGTERM) -> None:
        if proc.poll() is None:
            os.killpg(proc.pid, sig)
            proc.wait(timeout=60)

    def create(k: int, body: str = source, suite: str = "hidden") -> list[str]:
        with transaction.atomic():
            return [str(grading_run_create(question=question, candidate_files={question.coding_config.entrypoint: body},
                                           suite=suite).pk) for _ in range(k)]

    def stored(ids: list[str], since: float) -> float:
        while GradingRun.objects.filter(pk__in=ids, status__in=["queued", "running"]).exists():
            time.sleep(0.2)
        return time.monotonic() - since

    app.conf.broker_url = redis.url
    app._pool = None
    out = []
    try:
        w = worker()
        t0 = time.monotonic()
        baseline = stored(create(n), t0)
        out.append(("no fault (fresh worker, beat on)", f"{n} runs stored in {baseline:.1f} s"))
        kill(w)
        ids = create(n)
        redis.restart()
        app._pool = None
        t0 = time.monotonic()
        worker()
        out.append(("Redis restarted with runs queued", f"{stored(ids, t0):.1f} s from the restart (no fault: "
                                                        f"{baseline:.1f} s)"))
        redis.kill()
        app._pool = None
        ids = create(n)  # the publishes fail: the runs wait in the database
        redis.start()
        app._pool = None
        t0 = time.monotonic()
        out.append(("broker down while runs were committed", f"{stored(ids, t0):.1f} s after it came back"))
        for proc in list(workers):
            kill(proc)
        slow_body = source + "\nimport time as _t\n_t.sleep(8)\n"  # a slow import: the job is mid-way when killed
        w = worker(beat=False, queues="grading-cpu")
        ids = create(1, slow_body)
        while not GradingRun.objects.filter(pk__in=ids, status="running").exists():
            time.sleep(0.2)
        kill(w, signal.SIGKILL)
        t0 = time.monotonic()
        worker()
        lease = question.coding_config.resources.wall_seconds + 20 + 5
        out.append(("whole worker killed mid-job", f"{stored(ids, t0):.1f} s after the kill (lease {lease} s)"))
        if connection.vendor == "postgresql":
            for proc in list(workers):
                kill(proc)
            proxy = TcpProxy((s["HOST"] or "127.0.0.1", int(s["PORT"] or 5432)))
            worker(database=db_url.replace(f":{s['PORT'] or 5432}/", f":{proxy.port}/"))
            ids = create(n, slow_body)
            while not GradingRun.objects.filter(pk__in=ids, status="running").exists():
                time.sleep(0.2)
            proxy.cut()
            time.sleep(30)
            proxy.restore()
            t0 = time.monotonic()
            out.append(("database refusing connections for 30 s", f"{stored(ids, t0):.1f} s after it came back"))
            proxy.close()
        else:
            out.append(("database refusing connections for 30 s", "skipped: needs PostgreSQL (DATABASE_URL)"))
        for proc in list(workers):
            kill(proc)
        redis.restart()  # a broker without the duplicates earlier faults left (each would take a turn)
        app._pool = None
        worker(beat=False, queues="grading-cpu,grading-visible", pool="solo")
        sleepy = source + "\nimport time as _t\n_t.sleep(5)\n"
        visible = create(4, sleepy, suite="visible")
        while not GradingRun.objects.filter(pk__in=visible, status="running").exists():
            time.sleep(0.2)
        hidden = create(1)
        stored([*visible, *hidden], time.monotonic())
        runs = {str(r.pk): r for r in GradingRun.objects.filter(pk__in=[*visible, *hidden])}
        job = max((runs[i].finished_at - runs[i].started_at).total_seconds() for i in visible)
        waited = (runs[hidden[0]].started_at - runs[hidden[0]].created_at).total_seconds()
        out.append(("fairness: hidden run behind 4 slow visible runs (1 slot)",
                    f"waited {waited:.1f} s; one visible job {job:.1f} s; the backlog {4 * job:.0f} s"))
    finally:
        for proc in workers:
            kill(proc, signal.SIGKILL)
        redis.kill()
    return out


SANDBOX_ENV = Path(os.environ.get("INTERVIEW_TRACK_CACHE") or Path.home() / ".cache" / "interview-track")


def _speed_backends(pool_size: int = 0) -> list[tuple[str, object]]:
    """(name, backend): local on the sandbox's Python when built, Docker when an engine answers with the image."""
    from graders.backends import default_image_tag
    from sandboxes import docker_engine_available
    from sandboxes.local_backend import LocalBackend

    out: list[tuple[str, object]] = []
    python = os.environ.get("SANDBOX_LOCAL_PYTHON") or next(
        (str(p) for p in sorted(SANDBOX_ENV.glob("sandbox-env-*/bin/python"))), "")
    if python:
        out.append(("local", LocalBackend(isolate_network=False, python=python)))
    ok, _ = docker_engine_available(timeout=5)
    if ok:
        from sandboxes.docker_backend import DockerBackend

        docker = DockerBackend(image=os.environ.get("SANDBOX_IMAGE") or default_image_tag(), pool_size=pool_size)
        try:
            docker.sandbox_identity()
            out.append(("docker", docker))
        except Exception as exc:  # noqa: BLE001 - no image: say so and go on with the local backend
            print(f"  (docker skipped: {exc})")
    return out


def wer_lab(n: int, exercise: str = "asr-domain-terms") -> list[dict]:
    """Hidden gradings of the WER lab's reference solution: cache off (previous path), cold, warm (n each)."""
    import yaml

    from assessments.content import CodingConfig
    from graders.grading import ReferenceCache, grade
    from graders.jobs import read_exercise_dir

    folder = ROOT / "exercises" / exercise
    coding = CodingConfig.from_json(yaml.safe_load((folder / "question.yaml").read_text())["coding"])
    files = read_exercise_dir(folder)
    candidate = {coding.entrypoint: (folder / "reference" / coding.entrypoint).read_bytes()}
    rows = []
    for name, backend in _speed_backends():
        def timed(cache, backend=backend) -> tuple[float, object]:
            t0 = time.perf_counter()
            result = grade(backend=backend, exercise_files=files, coding=coding, candidate_files=candidate,
                           suite="hidden", reference_cache=cache)
            return time.perf_counter() - t0, result

        with tempfile.TemporaryDirectory(prefix="bench-refcache-") as tmp:
            off, cold, warm, same = [], [], [], True
            for i in range(n):
                s_off, r_off = timed(None)
                cache_dir = Path(tmp) / f"round{i}"
                s_cold, r_cold = timed(ReferenceCache(cache_dir))
                s_warm, r_warm = timed(ReferenceCache(cache_dir))
                off.append(s_off)
                cold.append(s_cold)
                warm.append(s_warm)
                figures = [{k: v for k, v in r.benchmarks["wer"].to_json().items() if k != "seconds"}
                           for r in (r_off, r_cold, r_warm)]
                same &= (figures[0] == figures[1] == figures[2]
                         and len({(str(r.verdict), r.score) for r in (r_off, r_cold, r_warm)}) == 1)
                assert r_warm.sandbox["reference_figures"]["cache"] == "hit", r_warm.sandbox
        rows.append({"backend": name, "n": n, "off": statistics.median(off), "cold": statistics.median(cold),
                     "warm": statistics.median(warm), "same": same, "verdict": str(r_warm.verdict),
                     "warm_timings": dict(r_warm.timings)})
        if hasattr(backend, "close"):
            backend.close()
    return rows


# exam.js's poll schedules: the delay before the next status request, by the time since the run was first shown.
def _old_schedule(_: float) -> float:
    return 1.0


def _new_schedule(waited: float) -> float:
    return 0.25 if waited < 3.0 else 0.5 if waited < 10.0 else 1.0


def _seen_at(done_s: float, schedule, request_s: float) -> float:
    """When a page polling on `schedule` (from t=0, the click's answer) shows a result that exists from done_s."""
    t = 0.0
    while True:
        t += schedule(t)
        if t + request_s / 2 >= done_s:  # the request reads the database about half-way through
            return t + request_s


def visible_runs(exercise: str, n: int, broker: str) -> list[dict]:
    """Click to result on the page, per backend, through Celery and a real worker process."""
    import signal

    from django.db import connection
    from django.test import Client
    from django.urls import reverse

    from assessments.models import Question, Track
    from assessments.services import attempt_start, candidate_create, invitation_create
    from graders.models import GradingRun
    from graders.services import visible_run_request
    from webapp.celery import app

    question = Question.objects.get(slug=exercise, is_current=True)
    track = Track.objects.filter(is_current=True, sections__items__question=question).first()
    source = (ROOT / "exercises" / exercise / "reference" / question.coding_config.entrypoint).read_text()
    s = connection.settings_dict
    db_url = os.environ.get("DATABASE_URL") or f"sqlite:///{s['NAME']}"
    app.conf.broker_url = broker
    app._pool = None
    rows = []
    for name, _ in _speed_backends():
        env = {**{k: v for k, v in os.environ.items() if not k.startswith("CELERY_")}, "CELERY_BROKER_URL": broker,
               "DATABASE_URL": db_url, "SANDBOX_BACKEND": name, "SANDBOX_POOL_SIZE": "2" if name == "docker" else "0",
               "SANDBOX_ASYNC_REMOVE": "true"}
        if name == "local":
            env["SANDBOX_LOCAL_PYTHON"] = os.environ.get("SANDBOX_LOCAL_PYTHON") or next(
                str(p) for p in sorted(SANDBOX_ENV.glob("sandbox-env-*/bin/python")))
        worker = subprocess.Popen([sys.executable, "-m", "celery", "-A", "webapp", "worker", "-Q", "grading-visible",
                                   "--pool", "solo", "--without-gossip", "--without-mingle", "-l", "WARNING"],
                                  cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                  start_new_session=True)
        try:
            invitation = invitation_create(candidate=candidate_create(full_name=f"Bench {name}",
                                                                      email=f"bench-{name}@example.com"), track=track)
            attempt = attempt_start(invitation=invitation)
            client = Client(SERVER_NAME="localhost")
            done, request_s = [], []
            for i in range(n + 1):  # the first warms the worker (imports, the pool filling): not counted
                time.sleep(2.0 if name == "docker" else 0.5)  # the pool refills between clicks, as between people
                t0 = time.perf_counter()
                run = visible_run_request(attempt=attempt, question=question, body=source)
                while GradingRun.objects.filter(pk=run.pk, status__in=["queued", "running"]).exists():
                    time.sleep(0.02)
                elapsed = time.perf_counter() - t0
                url = reverse("exam-run-status", kwargs={"token": invitation.token, "run_id": run.pk})
                r0 = time.perf_counter()
                response = client.get(url, HTTP_HX_REQUEST="true")
                req = time.perf_counter() - r0
                assert response.status_code == 286, response.status_code
                if i:
                    done.append(elapsed)
                    request_s.append(req)
            req = statistics.median(request_s)
            old = [_seen_at(d, _old_schedule, req) for d in done]
            new = [_seen_at(d, _new_schedule, req) for d in done]
            rows.append({"backend": name, "n": n, "done": statistics.median(done), "old": statistics.median(old),
                         "new": statistics.median(new), "request_ms": req * 1e3,
                         "verdict": str(GradingRun.objects.get(pk=run.pk).verdict)})
        finally:
            os.killpg(worker.pid, signal.SIGTERM)
            worker.wait(timeout=60)
    return rows


def speed(args) -> None:
    print(f"== WER lab hidden grading (asr-domain-terms, reference solution, n={args.wer_n} per mode; "
          "target: warm median <= 15 s)")
    for r in wer_lab(args.wer_n) if args.wer_n else []:
        print(f"  {r['backend']}: cache off (previous path) {r['off']:.1f} s, cold {r['cold']:.1f} s, "
              f"warm {r['warm']:.1f} s; off/warm {r['off'] / r['warm']:.2f}x, cold/warm {r['cold'] / r['warm']:.2f}x;"
              f" same verdict and figures: {r['same']}; {r['verdict']}; warm harness timings {r['warm_timings']}")
    print(f"== visible run, click to result on the page ({args.visible_exercise}, n={args.visible_n}; "
          "target: median <= 3 s)")
    for r in visible_runs(args.visible_exercise, args.visible_n, args.broker) if args.visible_n else []:
        print(f"  {r['backend']}: result stored {r['done']:.2f} s after the click; on the page: old polling "
              f"(every 1 s) {r['old']:.2f} s, new polling {r['new']:.2f} s (ratio {r['old'] / r['new']:.2f}x); "
              f"status request {r['request_ms']:.0f} ms; {r['verdict']}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--exercise", default="softmax-cross-entropy-bug")
    parser.add_argument("--overhead-exercise", default="wer-by-slice", help="a light exercise for overhead")
    parser.add_argument("--overhead-n", type=int, default=21)
    parser.add_argument("--pool", type=int, default=2, help="pre-started containers for the pooled overhead run")
    parser.add_argument("--burst", type=int, default=50)
    parser.add_argument("--parallel", type=int, default=2)
    parser.add_argument("--broker", default=os.environ.get("CELERY_BROKER_URL", "redis://127.0.0.1:6379/14"))
    parser.add_argument("--skip-burst", action="store_true")
    parser.add_argument("--faults", action="store_true", help="also measure recovery from faults")
    parser.add_argument("--faults-only", action="store_true")
    parser.add_argument("--fault-exercise", default="wer-by-slice")
    parser.add_argument("--fault-n", type=int, default=6)
    parser.add_argument("--speed", action="store_true", help="also the WER-lab and visible-run figures")
    parser.add_argument("--speed-only", action="store_true")
    parser.add_argument("--wer-n", type=int, default=3, help="0 leaves the WER-lab figure out")
    parser.add_argument("--visible-n", type=int, default=7, help="0 leaves the visible-run figure out")
    parser.add_argument("--visible-exercise", default="softmax-cross-entropy-bug", help="a torch lab")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-grading-") as tmp:
        setup_django(Path(tmp))
        if args.speed or args.speed_only:
            speed(args)
            if args.speed_only:
                return 0
        if args.faults or args.faults_only:
            print(f"== faults ({args.fault_n} x {args.fault_exercise}, hidden; recovery = end of fault to all stored)")
            for name, figure in faults(args.fault_exercise, args.fault_n):
                print(f"  {name}: {figure}")
            if args.faults_only:
                return 0
        print(f"== sandbox overhead per job ({args.overhead_exercise}, visible suite, n={args.overhead_n})")
        for pool in (0, args.pool):
            o = overhead(args.overhead_exercise, args.overhead_n, pool)
            print(f"  pool={pool}: docker median {o['docker_median_s']:.3f} s, host median {o['host_median_s']:.3f} s;"
                  f" overhead median {o['overhead_median_ms']:.0f} ms, p95 {o['overhead_p95_ms']:.0f} ms;"
                  f" ratio median {o['ratio_median']:.2f}, p95 {o['ratio_p95']:.2f}  (target: median < 150 ms)")
        if not args.skip_burst:
            print(f"== burst: {args.burst} x {args.exercise} (hidden), parallelism {args.parallel}")
            b = burst(args.exercise, args.burst, args.parallel, args.broker)
            print(f"  host direct: {b['host_s']:.1f} s ({b['host_throughput_per_min']:.1f}/min);"
                  f" Celery+Redis+Docker: {b['celery_docker_s']:.1f} s ({b['celery_throughput_per_min']:.1f}/min);"
                  f" throughput ratio {b['throughput_ratio']:.2f} (target >= 0.8); passed {b['passed']}/{b['n']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Faults on the real stack: a Redis restart, a database that refuses connections, a broker down at submit,
Redis down under an autosave burst. Each owns what it breaks (tests/faults.py). Every grading must be
recorded exactly once, and no candidate may see an error for work that was committed."""

from __future__ import annotations

import time

import pytest
from django.db import transaction
from django.urls import reverse

from assessments.models import Question, Response, Track
from assessments.services import attempt_start, candidate_create, content_sync, invitation_create
from graders.models import GradingRun, RunStatus
from graders.services import grading_run_create
from tests.conftest import require_service
from tests.faults import OwnRedis, TcpProxy, spare_port
from tests.workers import database_url_for_tests, start_worker, stop_worker, use_broker, wait_for

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

RIGHT = "def add(a, b):\n    return a + b\n"
SLOW_BUT_RIGHT = "import time\n\ndef add(a, b):\n    time.sleep(2)\n    return a + b\n"


@pytest.fixture
def redis(tmp_path):
    ok, why = OwnRedis.available()
    require_service("redis-server", ok, why)
    server = OwnRedis(tmp_path / "redis").start()
    yield server
    server.kill()


@pytest.fixture
def question(content_root) -> Question:
    content_sync(exercises_dir=content_root / "exercises", rubrics_dir=content_root / "rubrics")
    return Question.objects.get(slug="add-two", is_current=True)


def _worker(tmp_path, broker_url: str, *, database_url: str | None = None, beat: bool = True, concurrency: int = 2):
    env = {"CELERY_BROKER_URL": broker_url, "DATABASE_URL": database_url or database_url_for_tests(),
           "GRADING_RECONCILE_S": "2", "GRADING_PUBLISH_SETTLE_S": "1", "GRADING_LEASE_GRACE_S": "5",
           "INTERVIEW_TRACK_VAR_DIR": str(tmp_path / "var")}
    log = tmp_path / "worker.log"
    return start_worker(log, queues="default,grading-cpu,grading-visible", env=env, pool="prefork",
                        concurrency=concurrency, beat=beat), log


def _all_final(ids, timeout: float):
    return wait_for(lambda: all(GradingRun.objects.get(pk=i).is_final for i in ids), timeout, interval=0.5)


def _stored_once(ids) -> None:
    """Every run done and passed, and nothing writes it again afterwards."""
    runs = {str(r.pk): r for r in GradingRun.objects.filter(pk__in=ids)}
    assert all((r.status, r.verdict) == (RunStatus.DONE, "passed") for r in runs.values()), {
        k: (r.status, r.verdict, r.error) for k, r in runs.items()}
    time.sleep(5)  # a duplicate message that is still about would be consumed by now
    for pk, r in runs.items():
        again = GradingRun.objects.get(pk=pk)
        assert (again.finished_at, again.result, again.deliveries) == (r.finished_at, r.result, r.deliveries)


def test_redis_restart_with_gradings_queued_loses_none(tmp_path, redis, question):
    import redis as redis_client

    with use_broker(redis.url), transaction.atomic():
        ids = [str(grading_run_create(question=question, candidate_files={"solution.py": RIGHT}, suite="hidden").pk)
               for _ in range(6)]
    client = redis_client.Redis.from_url(redis.url)
    assert client.llen("grading-cpu") == 6  # handed over, waiting for a worker
    redis.restart()  # no persistence: every queued message is gone
    assert client.llen("grading-cpu") == 0
    restarted = time.monotonic()
    worker, log = _worker(tmp_path, redis.url)
    try:
        assert _all_final(ids, 120), log.read_text()[-4000:]
        recovered_s = time.monotonic() - restarted
        _stored_once(ids)
        assert all(r.deliveries == 1 for r in GradingRun.objects.filter(pk__in=ids))
        assert "reconciled grading runs" in log.read_text()
    finally:
        stop_worker(worker)
    print(f"\nredis restart: {len(ids)} runs recovered in {recovered_s:.1f} s")


def test_database_refusing_connections_mid_grading(tmp_path, redis, question):
    from django.db import connection

    require_service("PostgreSQL", connection.vendor == "postgresql", "the database cut runs through a TCP proxy")
    settings = connection.settings_dict
    proxy = TcpProxy((settings["HOST"] or "127.0.0.1", int(settings["PORT"] or 5432)))
    via_proxy = database_url_for_tests().replace(f":{settings['PORT'] or 5432}/", f":{proxy.port}/")
    with use_broker(redis.url), transaction.atomic():
        ids = [str(grading_run_create(question=question, candidate_files={"solution.py": SLOW_BUT_RIGHT},
                                      suite="hidden").pk) for _ in range(4)]
    worker, log = _worker(tmp_path, redis.url, database_url=via_proxy)
    try:
        assert wait_for(lambda: GradingRun.objects.filter(pk__in=ids, status=RunStatus.RUNNING).exists(), 60), \
            log.read_text()[-3000:]
        proxy.cut()  # in-flight jobs finish in the sandbox with nowhere to store; queued ones cannot be claimed
        time.sleep(30)
        proxy.restore()
        restored = time.monotonic()
        assert _all_final(ids, 180), log.read_text()[-4000:]
        recovered_s = time.monotonic() - restored
        _stored_once(ids)
        text = log.read_text()
        assert "database unavailable" in text  # the outage was really met, and waited out
    finally:
        stop_worker(worker)
        proxy.close()
    print(f"\ndatabase cut 30 s: {len(ids)} runs done {recovered_s:.1f} s after it came back")


def test_broker_down_at_submit_the_candidate_sees_the_submitted_page(tmp_path, client, content_root):
    content_sync(exercises_dir=content_root / "exercises", rubrics_dir=content_root / "rubrics")
    track = Track.objects.get(slug="mini", is_current=True)
    invitation = invitation_create(candidate=candidate_create(full_name="Bo B", email="bo@example.com"), track=track)
    attempt = attempt_start(invitation=invitation)
    token = invitation.token
    port = spare_port()
    down = f"redis://127.0.0.1:{port}/0"
    with use_broker(down):
        code = client.post(reverse("exam-answer", args=[token, "add-two"]), {"body": RIGHT, "base_revision": 0})
        assert code.status_code == 302
        run = client.post(reverse("exam-run", args=[token, "add-two"]), {"body": RIGHT})
        assert run.status_code == 302  # "Run visible tests" is accepted and waits for the broker
        started = time.monotonic()
        submitted = client.post(reverse("exam-submit", args=[token]), follow=True)
        took = time.monotonic() - started
    assert submitted.status_code == 200 and submitted.request["PATH_INFO"].endswith("/done/")
    assert took < 10, f"the submit waited {took:.1f} s on a dead broker"
    runs = list(GradingRun.objects.filter(attempt=attempt))
    assert {r.suite for r in runs} == {"visible", "hidden"}
    assert all(r.status == RunStatus.QUEUED and r.published_at is None for r in runs)
    # The broker comes back: everything committed is graded, once.
    redis = OwnRedis(tmp_path / "redis", port=port).start()
    worker, log = _worker(tmp_path, redis.url)
    try:
        ids = [str(r.pk) for r in runs]
        assert _all_final(ids, 120), log.read_text()[-4000:]
        _stored_once(ids)
        assert attempt.submissions.get(question__slug="add-two").automated_score.verdict == "passed"
    finally:
        stop_worker(worker)
        redis.kill()


def test_redis_down_during_an_autosave_burst_loses_nothing(tmp_path, redis, client, settings, synced_content):
    """The cache (rate limiter) on a Redis that stops for 60 s: every page and save still answers, none lost."""
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": redis.url,
                                   "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1}}}
    track = Track.objects.get(slug="advanced-ml-speech", is_current=True)
    candidates = []
    for i in range(4):
        invitation = invitation_create(candidate=candidate_create(full_name=f"C {i}", email=f"c{i}@example.com"),
                                       track=track)
        attempt = attempt_start(invitation=invitation)
        slug = attempt.track.sections.first().items.first().question.slug
        candidates.append({"token": invitation.token, "slug": slug, "revision": 0, "attempt": attempt})
    errors, saves = [], 0
    started = time.monotonic()
    killed = revived = False
    while time.monotonic() - started < 75:
        elapsed = time.monotonic() - started
        if not killed and elapsed > 5:
            redis.kill()
            killed = True
        if killed and not revived and elapsed > 65:
            redis.start()
            revived = True
        for c in candidates:
            page = client.get(reverse("exam-question", args=[c["token"], c["slug"]]))
            saved = client.post(reverse("exam-answer", args=[c["token"], c["slug"]]),
                                {"body": f"answer {saves}", "base_revision": c["revision"]},
                                HTTP_ACCEPT="application/json")
            if page.status_code != 200 or saved.status_code != 200:
                errors.append((round(elapsed, 1), page.status_code, saved.status_code))
                continue
            c["revision"] = saved.json()["revision"]
            saves += 1
        time.sleep(0.2)
    assert killed and revived and not errors, errors[:10]
    stored = sum(Response.objects.get(attempt=c["attempt"], question__slug=c["slug"]).revision for c in candidates)
    assert stored == saves and saves > 100


def test_slow_visible_runs_do_not_hold_up_hidden_grading(tmp_path, redis, question):
    """Candidates whose visible runs sleep fill their own queue; a submitted attempt's hidden run waits for one
    job at most (the worker takes from the two queues in turn), not for the whole visible backlog."""
    from graders.services import visible_run_request

    track = Track.objects.get(slug="mini", is_current=True)
    attempts = [attempt_start(invitation=invitation_create(
        candidate=candidate_create(full_name=f"S {i}", email=f"s{i}@example.com"), track=track)) for i in range(4)]
    sleepy = "import time\n\ndef add(a, b):\n    time.sleep(4)\n    return a + b\n"
    env = {"CELERY_BROKER_URL": redis.url, "DATABASE_URL": database_url_for_tests(),
           "INTERVIEW_TRACK_VAR_DIR": str(tmp_path / "var")}
    log = tmp_path / "worker.log"
    worker = start_worker(log, queues="grading-cpu,grading-visible", env=env, pool="solo")  # one slot
    try:
        with use_broker(redis.url):
            visible = [str(visible_run_request(attempt=a, question=question, body=sleepy).pk) for a in attempts]
            # The attempt is submitted while the worker is busy with the first of four slow visible runs.
            assert wait_for(lambda: GradingRun.objects.filter(pk__in=visible, status=RunStatus.RUNNING).exists(),
                            60), log.read_text()[-3000:]
            with transaction.atomic():
                hidden = grading_run_create(question=question, candidate_files={"solution.py": RIGHT},
                                            suite="hidden")
        assert _all_final([*visible, str(hidden.pk)], 180), log.read_text()[-4000:]
    finally:
        stop_worker(worker)
    runs = {str(r.pk): r for r in GradingRun.objects.filter(pk__in=[*visible, str(hidden.pk)])}
    h = runs[str(hidden.pk)]
    jobs = sorted((r for k, r in runs.items() if k in visible), key=lambda r: r.started_at)
    one_job = max((r.finished_at - r.started_at).total_seconds() for r in jobs)
    visible_before = sum(1 for r in jobs if r.started_at < h.started_at)
    assert visible_before <= 1, f"hidden grading waited for {visible_before} visible runs"
    assert jobs[-1].finished_at > h.finished_at  # the visible backlog was still there when it ran
    waited = (h.started_at - h.created_at).total_seconds()
    assert waited <= one_job + 2, (waited, one_job)
    print(f"\nfairness: hidden run started after {visible_before} visible job(s) of a backlog of {len(jobs)}: "
          f"it waited {waited:.1f} s (one job {one_job:.1f} s)")

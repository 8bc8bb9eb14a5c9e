"""The exam's hot paths at the scale of a hiring event (issue 17): start, question page and autosave do a fixed,
small amount of database work, whatever the number of questions on the track or saves already made."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from assessments import selectors, services
from assessments.models import Attempt, QuestionKind, Response, SectionQuestion, Track
from assessments.selectors.exam import exam_layout
from webapp import ratelimit

pytestmark = pytest.mark.django_db

JSON = {"HTTP_ACCEPT": "application/json"}


@pytest.fixture(autouse=True)
def _clear_rate_limits():
    cache.clear()
    yield
    cache.clear()


def _statements(ctx: CaptureQueriesContext) -> list[str]:
    """The statements a request sent, without the savepoints the test's own transaction turns BEGIN/COMMIT into."""
    return [q["sql"] for q in ctx.captured_queries if not q["sql"].startswith(("SAVEPOINT", "RELEASE SAVEPOINT"))]


def _invitation(track: Track, n: int = 0):
    candidate = services.candidate_create(full_name=f"Hot Path {n}", email=f"hot{n}@example.com")
    return services.invitation_create(candidate=candidate, track=track)


def _url(name: str, invitation, **kw) -> str:
    return reverse(name, kwargs={"token": invitation.token, **kw})


def _questions(track: Track, kind: str):
    return [i.question for i in SectionQuestion.objects.filter(section__track=track, question__kind=kind)
            .select_related("question").order_by("section__order", "order")]


@pytest.fixture
def big_track(synced_content):
    return Track.objects.get(slug="advanced-ml-speech", is_current=True)


@pytest.fixture
def mini_track(content_root):
    services.content_sync(exercises_dir=content_root / "exercises", rubrics_dir=content_root / "rubrics")
    return Track.objects.get(slug="mini", is_current=True)


def _start(client, invitation) -> list[str]:
    with CaptureQueriesContext(connection) as ctx:
        resp = client.post(_url("exam-start", invitation), {"consent": "on"})
    assert resp.status_code == 302 and resp["Location"] == _url("exam-resume", invitation)
    return _statements(ctx)


def _page(client, invitation, slug: str) -> list[str]:
    with CaptureQueriesContext(connection) as ctx:
        resp = client.get(_url("exam-question", invitation, slug=slug))
    assert resp.status_code == 200
    return _statements(ctx)


def _save(client, invitation, slug: str, body: str, base: int) -> list[str]:
    with CaptureQueriesContext(connection) as ctx:
        resp = client.post(_url("exam-answer", invitation, slug=slug), {"body": body, "base_revision": base}, **JSON)
    assert resp.status_code == 200 and resp.json()["revision"] == base + 1
    return _statements(ctx)


def test_autosave_costs_the_same_at_the_first_and_the_fiftieth_save(client, big_track):
    invitation = _invitation(big_track)
    _start(client, invitation)
    slug = _questions(big_track, QuestionKind.WRITTEN)[0].slug
    first = _save(client, invitation, slug, "v0", 0)
    counts = [len(_save(client, invitation, slug, f"v{rev}", rev)) for rev in range(1, 50)]
    # invitation with its attempt, the attempt's lock, the answer's revision, the update: nothing per question
    # of the track (the layout is in memory) and nothing per save already made.
    assert set(counts) == {4}
    assert len(first) == 4  # the first save inserts the row instead of updating it
    assert not any("sectionquestion" in sql for sql in first)
    assert Response.objects.get(attempt__invitation=invitation, question__slug=slug).revision == 50


def test_autosave_does_not_read_the_answer_back(client, big_track):
    """The body goes to the database once per save; a save never fetches the (up to 200,000 character) answer."""
    invitation = _invitation(big_track)
    _start(client, invitation)
    slug = _questions(big_track, QuestionKind.WRITTEN)[0].slug
    big = "x" * 50_000
    _save(client, invitation, slug, big, 0)
    statements = _save(client, invitation, slug, big + "y", 1)
    selects = [sql for sql in statements if sql.startswith("SELECT") and "assessments_response" in sql]
    assert selects and not any('"assessments_response"."body"' in sql for sql in selects)


def test_a_stale_save_is_still_refused_with_the_current_text(client, big_track):
    invitation = _invitation(big_track)
    _start(client, invitation)
    slug = _questions(big_track, QuestionKind.WRITTEN)[0].slug
    _save(client, invitation, slug, "from tab A", 0)
    resp = client.post(_url("exam-answer", invitation, slug=slug), {"body": "from tab B", "base_revision": 0}, **JSON)
    assert resp.status_code == 409
    assert resp.json() | {"server_now": None, "deadline_at": None, "seconds_left": None} == {
        "code": "stale_revision", "current_revision": 1, "current_body": "from tab A",
        "error": "This answer was changed elsewhere (revision 1, yours was based on 0).",
        "server_now": None, "deadline_at": None, "seconds_left": None}
    assert Response.objects.get(attempt__invitation=invitation, question__slug=slug).body == "from tab A"


def test_question_page_costs_the_same_on_a_big_track_and_a_small_one(client, big_track, mini_track):
    big, mini = _invitation(big_track, 1), _invitation(mini_track, 2)
    _start(client, big)
    _start(client, mini)
    big_slug = _questions(big_track, QuestionKind.WRITTEN)[0].slug
    _page(client, big, big_slug)  # the first view of a track version reads its layout once
    _page(client, mini, "explain-ctc")
    on_big, on_mini = _page(client, big, big_slug), _page(client, mini, "explain-ctc")
    assert len(big_track.sections.all()) > 2 * len(mini_track.sections.all())
    # invitation with its attempt, the outline's revisions, this question's answer
    assert len(on_big) == len(on_mini) == 3


def test_question_page_costs_the_same_however_many_answers_are_saved(client, big_track):
    invitation = _invitation(big_track)
    _start(client, invitation)
    written = _questions(big_track, QuestionKind.WRITTEN)
    coding = _questions(big_track, QuestionKind.CODING)
    before = len(_page(client, invitation, written[0].slug))
    for q in [*written, *coding]:
        _save(client, invitation, q.slug, f"answer to {q.slug}", 0)
    assert len(_page(client, invitation, written[0].slug)) == before == 3
    # A lab's page adds only its latest visible-test run.
    assert len(_page(client, invitation, coding[0].slug)) == 4


def test_the_outline_counts_an_answer_of_blanks_as_unanswered(client, big_track):
    invitation = _invitation(big_track)
    _start(client, invitation)
    written = _questions(big_track, QuestionKind.WRITTEN)
    _save(client, invitation, written[0].slug, " \n\t\n ", 0)   # blanks only: not an answer
    _save(client, invitation, written[1].slug, "\n  CTC  \n", 0)  # text inside blanks: an answer
    attempt = Attempt.objects.get(invitation=invitation)
    items = {i.question.slug: i for i in selectors.exam_progress_get(attempt=attempt).items}
    assert (items[written[0].slug].answered, items[written[0].slug].revision) == (False, 1)
    assert (items[written[1].slug].answered, items[written[1].slug].revision) == (True, 1)
    assert selectors.exam_progress_get(attempt=attempt).answered == 1
    # The resume link leads to the first question without text, the blank one included.
    resp = client.get(_url("exam-resume", invitation))
    first = selectors.exam_progress_get(attempt=attempt).items[0].question.slug
    assert resp["Location"] == _url("exam-question", invitation, slug=first)


def test_start_costs_the_same_on_a_big_track_and_a_small_one(client, big_track, mini_track):
    _start(client, _invitation(big_track, 1))  # warms the process: content types, the layouts
    _start(client, _invitation(mini_track, 2))
    on_big, on_mini = _start(client, _invitation(big_track, 3)), _start(client, _invitation(mini_track, 4))
    assert len(on_big) == len(on_mini)
    assert not any("sectionquestion" in sql or "SUM(" in sql for sql in on_big)
    assert len(on_big) <= 8


def test_start_sets_the_deadline_from_the_timed_sections(client, mini_track):
    """The layout's minutes are the track's own rule: sections with something on the candidate's clock."""
    invitation = _invitation(mini_track)
    _start(client, invitation)
    attempt = Attempt.objects.get(invitation=invitation)
    assert mini_track.timed_minutes() == 30 + 20
    assert (attempt.deadline_at - attempt.started_at).total_seconds() == 50 * 60


def test_the_layout_is_read_once_per_track_version(client, big_track):
    a, b = _invitation(big_track, 1), _invitation(big_track, 2)
    _start(client, a)
    _start(client, b)
    slug = _questions(big_track, QuestionKind.WRITTEN)[1].slug
    _page(client, a, slug)
    again = _page(client, b, slug)
    assert not any("assessments_section" in sql for sql in again)


def test_a_content_change_is_never_served_from_an_old_layout(big_track):
    """A new question on a version (only tests do this: the admin shows content read-only) empties the cache."""
    invitation = _invitation(big_track)
    attempt = services.attempt_start(invitation=invitation)
    before = exam_layout(track=attempt.track)
    written = _questions(big_track, QuestionKind.WRITTEN)
    SectionQuestion.objects.filter(section__track=big_track, question=written[0]).delete()
    after = exam_layout(track=attempt.track)
    assert written[0].slug in before.by_slug and written[0].slug not in after.by_slug
    with pytest.raises(services.NotFound):
        selectors.exam_question(attempt=attempt, slug=written[0].slug)


def test_the_save_rate_limit_counts_each_save_once(settings):
    assert [ratelimit.hit("save", "42", window_s=60) for _ in range(3)] == [1, 2, 3]
    assert ratelimit.hit("save", "43", window_s=60) == 1  # another attempt: its own counter
    assert ratelimit.is_limited("save", "42", limit=3, window_s=60)
    assert not ratelimit.is_limited("save", "42", limit=4, window_s=60)


def test_the_rate_limit_lets_requests_through_when_its_store_is_down(monkeypatch):
    def down(*args, **kwargs):
        raise ConnectionError("store down")

    monkeypatch.setattr(ratelimit.cache, "incr", down)
    monkeypatch.setattr(ratelimit.cache, "add", down)
    assert ratelimit.hit("save", "42", window_s=60) == 0


@pytest.mark.parametrize(("cache_url", "engine"), [
    ("", "django.contrib.sessions.backends.db"),
    ("redis://127.0.0.1:6379/13", "django.contrib.sessions.backends.cached_db"),
])
def test_sessions_go_through_the_cache_only_when_it_is_shared(tmp_path, cache_url, engine):
    """The settings alone decide (nothing is connected): a per-process cache must not hold sessions."""
    code = ("import django, os; os.environ['DJANGO_SETTINGS_MODULE']='webapp.settings'; django.setup();"
            "from django.conf import settings as s; print(s.SESSION_ENGINE, s.CACHES['default']['BACKEND'])")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_URL", "CACHE_URL"))}
    env.update({"DJANGO_DEBUG": "true", "INTERVIEW_TRACK_VAR_DIR": str(tmp_path / "var")})
    if cache_url:
        env["CACHE_URL"] = cache_url
    out = subprocess.run([sys.executable, "-c", code], cwd=Path(__file__).resolve().parents[2], env=env,
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    session_engine, cache_backend = out.stdout.split()
    assert session_engine == engine
    assert cache_backend.endswith("RedisCache" if cache_url else "LocMemCache")

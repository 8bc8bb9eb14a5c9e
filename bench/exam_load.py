"""Exam load benchmark: the opening burst and steady autosaves. Prints figures; asserts nothing but "no lost saves"
(exit status 1 if any).

    python bench/exam_load.py [--candidates 200] [--duration 30] [--interval 3] [--workers 4] [--threads 4]
                              [--burst N] [--burst-window 10] [--baseline DIR]
                              [--database-url postgres://postgres@127.0.0.1:5432/interview_track_bench]
                              [--keep-db] [--port 0] [--max-requests N]

Modes:
- default: the --candidates start within the first --interval seconds, then autosave for --duration seconds.
- --burst N (issue 17: "300 starts within 10 s"): N candidates, each with its own invitation, open their link and
  start at evenly spread moments of --burst-window seconds (landing, start, then the pages it redirects to), with
  nothing else running; the opening's page loads are reported (p50/p95/p99/max, errors) and so is each candidate's
  time from the link to the first question page. Then the first --candidates of them autosave for --duration seconds
  (0: no steady phase), every one of them already started, so every save counts as steady state.
- --baseline DIR: the same run first against the code in DIR (the previous commit, from
  `git worktree add DIR <commit>`), then against this tree, on a fresh database each, and the ratios
  (this tree / baseline) at the end. The database schema and content come from this tree for both.

1. Setup, in this process: (re)creates the bench database (PostgreSQL on 127.0.0.1:5432, trust auth,
   user postgres; dropped and recreated at each run unless --keep-db, so runs are comparable), runs
   `migrate`, `sync_content` and `collectstatic` (DEBUG is off, so pages need the static manifest; the
   files go to a temporary INTERVIEW_TRACK_VAR_DIR), then creates N candidates and invitations on the
   current `advanced-ml-speech` track through the services. Attempts are NOT started here.
2. Serves the app with gunicorn (gthread, --workers x --threads) on 127.0.0.1, DEBUG off, a random
   DJANGO_SECRET_KEY, waits for /healthz, and warms the workers up: --workers x --threads spare invitations open
   their exam at once, unmeasured. The server's log goes to a temporary file; its error
   lines are summarised at the end. gunicorn's process group is always killed at exit.
3. N simulated candidates, one thread and one requests.Session each, only against 127.0.0.1:
   GET /exam/<token>/ (landing, sets csrftoken), POST /exam/<token>/start/ (consent), GET the pages it
   redirects to (/exam/<token>/questions/, then the first question's page), then for --duration seconds
   autosave 2-3 written questions in turn: POST /exam/<token>/answers/<question slug>/ with the full
   text and the last acknowledged revision, every --interval seconds +-50% (random first offset).
   409 stale_revision counts as a conflict (the current revision is adopted and the save resent);
   403, 5xx, timeouts (10 s) and connection errors count as errors, and the text is resent on the
   next tick, as the page does. A hard cap (--max-requests) bounds the total.
4. Afterwards, for each candidate and question, the last acknowledged text and revision are compared
   with the Response row. A save is lost when the row holds neither the acknowledged text nor a text the
   candidate sent after it. Figures: saves attempted/acknowledged, throughput, autosave latency
   p50/p95/p99/max (acknowledged saves only), errors by kind, conflicts, lost saves.
"""

from __future__ import annotations

import argparse
import io
import math
import os
import random
import re
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from benchlib import WORDS, database_check, database_prepare, django_setup, percentile

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

HOST = "127.0.0.1"  # the only address this script ever sends a request to
TRACK_SLUG = "advanced-ml-speech"
DEFAULT_DB_URL = "postgres://postgres@127.0.0.1:5432/interview_track_bench"
REQUEST_TIMEOUT_S = 10.0


# --- setup -----------------------------------------------------------------------------------


def server_env(db_url: str, var_dir: Path) -> dict[str, str]:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": os.environ.get("DJANGO_SETTINGS_MODULE", "webapp.settings"),
        "DATABASE_URL": db_url,
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_DEBUG": "false",
        "DJANGO_ALLOWED_HOSTS": HOST,
        "DJANGO_SECURE_COOKIES": "false",
        "INTERVIEW_TRACK_VAR_DIR": str(var_dir),
        "LOG_LEVEL": os.environ.get("LOG_LEVEL", "WARNING"),
    }


def invitations_create(n: int) -> tuple[list[tuple[int, str]], list[str], dict[str, int]]:
    """N candidates with an invitation each: ([(invitation id, token)], written question slugs, slug -> id)."""
    from django.db import connections, transaction

    from assessments.models import QuestionKind, SectionQuestion, Track
    from assessments.services import candidate_create, invitation_create

    track = Track.objects.get(slug=TRACK_SLUG, is_current=True)
    written = list(SectionQuestion.objects.filter(section__track=track, question__kind=QuestionKind.WRITTEN)
                   .order_by("section__order", "order").values_list("question__slug", "question_id"))
    if len(written) < 2:
        raise SystemExit(f"Track {TRACK_SLUG} has {len(written)} written question(s); the benchmark needs 2.")
    tokens = []
    with transaction.atomic():
        for i in range(n):
            candidate = candidate_create(full_name=f"Bench Candidate {i}", email=f"bench{i}@example.invalid")
            invitation = invitation_create(candidate=candidate, track=track)
            tokens.append((invitation.pk, invitation.token))
    connections.close_all()  # nothing held open while the server runs
    return tokens, [slug for slug, _ in written], dict(written)


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def gunicorn_start(port: int, workers: int, threads: int, env: dict[str, str], log_path: Path,
                   cwd: Path = ROOT) -> subprocess.Popen:
    exe = ROOT / ".venv" / "bin" / "gunicorn"
    if not exe.exists():
        exe = Path(sys.executable).with_name("gunicorn")
    log = open(log_path, "wb")  # noqa: SIM115 - handed to the child, closed after the start
    try:
        return subprocess.Popen(
            [str(exe), "webapp.wsgi:application", "--bind", f"{HOST}:{port}", "--workers", str(workers),
             "--threads", str(threads), "--worker-class", "gthread", "--timeout", "60", "--graceful-timeout", "5",
             "--log-level", "warning"],
            cwd=cwd, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )
    finally:
        log.close()


def gunicorn_stop(proc: subprocess.Popen) -> None:
    if proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=15)
    except ProcessLookupError:
        pass


def wait_healthy(base: str, proc: subprocess.Popen, log_path: Path, timeout_s: float = 60) -> None:
    import requests

    deadline = time.monotonic() + timeout_s
    with requests.Session() as s:
        s.trust_env = False  # no proxy from the environment: straight to 127.0.0.1
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise SystemExit(f"gunicorn exited ({proc.returncode}):\n{log_path.read_text()[-3000:]}")
            try:
                if s.get(f"{base}/healthz", timeout=2).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.25)
    raise SystemExit(f"gunicorn did not answer /healthz within {timeout_s:.0f} s:\n{log_path.read_text()[-3000:]}")


# --- the simulated candidates ----------------------------------------------------------------


@dataclass
class Answer:
    text: str = ""  # the local copy: what the candidate has typed so far
    base: int = 0  # last revision the server acknowledged (or reported on 409)
    acked_text: str | None = None
    acked_revision: int = 0
    sent_since_ack: list[str] = field(default_factory=list)  # texts sent after the last acknowledgement


@dataclass
class Stats:
    lock: threading.Lock = field(default_factory=threading.Lock)
    requests: int = 0
    attempted: int = 0
    acknowledged: int = 0
    conflicts: int = 0
    save_ms: list[float] = field(default_factory=list)
    save_sent_at: list[float] = field(default_factory=list)  # monotonic send time of each save_ms entry
    last_start_done: float = 0.0  # when the last candidate had its question page: the steady state begins
    page_ms: dict[str, list[float]] = field(default_factory=lambda: {"landing": [], "start": [], "resume": [],
                                                                  "question page": []})
    errors: Counter = field(default_factory=Counter)
    started: int = 0
    odd_revisions: int = 0


class Budget:
    """The hard cap on requests, shared by every candidate."""

    def __init__(self, cap: int):
        self.left = cap
        self.lock = threading.Lock()

    def take(self) -> bool:
        with self.lock:
            if self.left <= 0:
                return False
            self.left -= 1
            return True


def _reason(exc: Exception) -> str:
    """requests' exception and the innermost cause its message names (e.g. RemoteDisconnected)."""
    causes = re.findall(r"\b(\w+(?:Error|Disconnected|Timeout))\(", str(exc))
    return f"{type(exc).__name__} ({causes[-1]})" if causes else type(exc).__name__


def _json(resp) -> dict:
    try:
        data = resp.json()
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


class Candidate(threading.Thread):
    def __init__(self, index: int, invitation: tuple[int, str], slugs: list[str], base: str, args, stats: Stats,
                 budget: Budget, start_at: float, stop_at: float, *, session=None, begin: bool = True):
        super().__init__(name=f"candidate-{index}", daemon=True)
        self.session, self.do_begin, self.opened_ms = session, begin, None
        self.index, self.base, self.args = index, base, args
        self.invitation_id, self.token = invitation
        self.stats, self.budget, self.start_at, self.stop_at = stats, budget, start_at, stop_at
        self.rng = random.Random(index)
        self.slugs = self.rng.sample(slugs, k=min(len(slugs), self.rng.choice((2, 3))))
        self.answers = {slug: Answer() for slug in self.slugs}
        self.exam_url = f"{base}/exam/{self.token}/"

    def error(self, kind: str) -> None:
        with self.stats.lock:
            self.stats.errors[kind] += 1

    def request(self, session, method: str, url: str, **kwargs):
        """One request, or None when the cap is reached. Exceptions from requests propagate."""
        assert url.startswith(f"http://{HOST}:")
        if not self.budget.take():
            return None
        with self.stats.lock:
            self.stats.requests += 1
        return session.request(method, url, timeout=REQUEST_TIMEOUT_S, allow_redirects=False, **kwargs)

    def timed_page(self, session, label: str, method: str, url: str, ok: set[int], **kwargs):
        import requests

        t0 = time.perf_counter()
        try:
            resp = self.request(session, method, url, **kwargs)
        except requests.Timeout:
            self.error(f"{label}: timeout")
            return None
        except requests.RequestException as exc:
            self.error(f"{label}: {_reason(exc)}")
            return None
        if resp is None:
            return None
        if resp.status_code not in ok:
            self.error(f"{label}: HTTP {resp.status_code}")
            return None
        with self.stats.lock:
            self.stats.page_ms[label].append((time.perf_counter() - t0) * 1e3)
        return resp

    def run(self) -> None:
        import requests

        if self.session is None:  # kept after the run: a later phase goes on with the same cookies
            self.session = requests.Session()
            self.session.trust_env = False
            self.session.headers["Referer"] = self.exam_url
        session = self.session
        if self.do_begin:
            if self.args.burst:  # evenly spread over the window, in a shuffled order
                self.sleep_until(self.start_at)
            else:
                self.sleep_until(self.start_at + self.rng.uniform(0, min(self.args.interval, self.args.duration / 2)))
            t0 = time.perf_counter()
            if not self.begin(session):
                return
            self.opened_ms = (time.perf_counter() - t0) * 1e3
            with self.stats.lock:
                self.stats.started += 1
                self.stats.last_start_done = max(self.stats.last_start_done, time.monotonic())
        else:
            self.sleep_until(self.start_at + self.rng.uniform(0, self.args.interval))
        turn = 0
        retry: str | None = None
        while time.monotonic() < self.stop_at:
            slug = retry or self.slugs[turn % len(self.slugs)]
            if retry is None:
                turn += 1
            ok = self.save(session, slug)
            if ok is None:
                return  # request cap reached
            retry = None if ok else slug
            self.sleep_until(time.monotonic() + self.args.interval * self.rng.uniform(0.5, 1.5))

    def sleep_until(self, when: float) -> None:
        time.sleep(max(0.0, min(when, self.stop_at) - time.monotonic()))

    def begin(self, session) -> bool:
        if not self.timed_page(session, "landing", "GET", self.exam_url, {200}):
            return False
        csrf = session.cookies.get("csrftoken")
        if not csrf:
            self.error("landing: no csrftoken cookie")
            return False
        resp = self.timed_page(session, "start", "POST", f"{self.exam_url}start/", {302, 303},
                               data={"consent": "on", "csrfmiddlewaretoken": csrf})
        if not resp:
            return False
        # start -> /exam/<token>/questions/ -> the first question's page: follow, on 127.0.0.1 only
        for _ in range(3):
            location = urlsplit(resp.headers.get("Location", ""))
            if location.netloc not in {"", f"{HOST}:{self.args.port}"} or not location.path.startswith("/"):
                self.error("start: redirect off 127.0.0.1")
                return False
            url = f"{self.base}{location.path}" + (f"?{location.query}" if location.query else "")
            label = "resume" if location.path.endswith("/questions/") else "question page"
            resp = self.timed_page(session, label, "GET", url, {200, 302})  # errors counted, not fatal
            if resp is None or resp.status_code == 200:
                break
        return True

    def save(self, session, slug: str) -> bool | None:
        """One autosave tick (with resends after 409). True: acknowledged; False: failed; None: cap reached."""
        import requests

        answer = self.answers[slug]
        words = " ".join(self.rng.choice(WORDS) for _ in range(self.rng.randint(4, 16)))
        answer.text += f"[c{self.index} {slug} {len(answer.sent_since_ack) + answer.acked_revision}] {words}.\n"
        url = f"{self.exam_url}answers/{slug}/"
        for _ in range(3):  # the first send and up to two resends after a conflict
            body = answer.text
            answer.sent_since_ack.append(body)
            with self.stats.lock:
                self.stats.attempted += 1
            t0, sent_at = time.perf_counter(), time.monotonic()
            try:
                resp = self.request(session, "POST", url, data={"body": body, "base_revision": str(answer.base)},
                                    headers={"X-CSRFToken": session.cookies.get("csrftoken", ""),
                                             "Accept": "application/json"})
            except requests.Timeout:
                self.error("save: timeout")
                return False
            except requests.RequestException as exc:
                self.error(f"save: {_reason(exc)}")
                return False
            if resp is None:
                return None
            elapsed_ms = (time.perf_counter() - t0) * 1e3
            data = _json(resp)
            if resp.status_code == 200 and isinstance(data.get("revision"), int):
                revision = data["revision"]
                with self.stats.lock:
                    self.stats.acknowledged += 1
                    self.stats.save_ms.append(elapsed_ms)
                    self.stats.save_sent_at.append(sent_at)
                    if revision != answer.base + 1:
                        self.stats.odd_revisions += 1
                answer.base = answer.acked_revision = revision
                answer.acked_text = body
                answer.sent_since_ack = []
                return True
            if resp.status_code == 409 and data.get("code") == "stale_revision":
                with self.stats.lock:
                    self.stats.conflicts += 1
                answer.base = int(data.get("current_revision", answer.base))
                continue
            if resp.status_code == 403 and data.get("code"):
                self.error(f"save: 403 {data['code']}")
            else:
                self.error(f"save: HTTP {resp.status_code}")
            return False
        self.error("save: conflict persisted after 2 resends")
        return False


def run_load(tokens: list[tuple[int, str]], slugs: list[str], port: int, args) -> tuple[Stats, list[Candidate], float]:
    base = f"http://{HOST}:{port}"
    stats = Stats()
    budget = Budget(args.max_requests)
    start_at = time.monotonic() + 0.5
    stop_at = start_at + args.duration
    candidates = [Candidate(i, token, slugs, base, args, stats, budget, start_at, stop_at)
                  for i, token in enumerate(tokens)]
    return stats, candidates, _run(candidates, stats, start_at, stop_at)


def _run(candidates: list[Candidate], stats: Stats, start_at: float, stop_at: float) -> float:
    for c in candidates:
        c.start()
    for c in candidates:
        c.join(timeout=max(0.0, stop_at - time.monotonic()) + 4 * REQUEST_TIMEOUT_S)
    wall = time.monotonic() - start_at
    stuck = sum(c.is_alive() for c in candidates)
    if stuck:
        stats.errors["candidate thread still running at the end"] += stuck
    return wall


def warm_up(tokens: list[tuple[int, str]], slugs: list[str], args) -> None:
    """Spare candidates open their exam all at once, unmeasured (see one_run)."""
    stats, at = Stats(), time.monotonic()
    warmers = [Candidate(-1 - i, token, slugs, f"http://{HOST}:{args.port}", args, stats, Budget(10), at, at)
               for i, token in enumerate(tokens)]
    _run(warmers, stats, at, at)
    if stats.errors:
        print(f"  warm-up errors: {dict(stats.errors)}")


def run_burst(tokens: list[tuple[int, str]], slugs: list[str], port: int,
              args) -> tuple[Stats, list[Candidate], float, Stats | None, list[Candidate], float]:
    """The opening burst (every token opens and starts within --burst-window), then the steady autosaves of the first
    --candidates, on the sessions the burst left them: (burst stats, burst candidates, wall, steady ...)."""
    base = f"http://{HOST}:{port}"
    opening, budget = Stats(), Budget(args.max_requests)
    t0 = time.monotonic() + 0.5
    order = list(range(len(tokens)))
    random.Random(17).shuffle(order)
    # No saves in this phase (stop_at = the arrival): it measures the opening alone.
    candidates = []
    for i, token in enumerate(tokens):
        arrival = t0 + args.burst_window * order[i] / len(tokens)
        candidates.append(Candidate(i, token, slugs, base, args, opening, budget, arrival, arrival))
    burst_wall = _run(candidates, opening, t0, t0 + args.burst_window)
    if args.duration <= 0:
        return opening, candidates, burst_wall, None, [], 0.0
    steady = Stats()
    start_at = time.monotonic() + 0.5
    stop_at = start_at + args.duration
    # The same index draws the same questions; only candidates whose opening worked go on.
    savers = [Candidate(c.index, (c.invitation_id, c.token), slugs, base, args, steady, budget, start_at, stop_at,
                        session=c.session, begin=False)
              for c in candidates[:args.candidates] if c.opened_ms is not None]
    steady_wall = _run(savers, steady, start_at, stop_at)
    return opening, candidates, burst_wall, steady, savers, steady_wall


# --- checks ----------------------------------------------------------------------------------


def verify(candidates: list[Candidate], question_ids: dict[str, int]) -> dict:
    """Compare what each candidate had acknowledged with the Response rows."""
    from assessments.models import Response

    rows = {(inv_id, qid): (body, rev) for inv_id, qid, body, rev in
            Response.objects.values_list("attempt__invitation_id", "question_id", "body", "revision")}
    lost, stale_body, revision_mismatch, checked = [], 0, 0, 0
    for c in candidates:
        for slug, answer in c.answers.items():
            if answer.acked_text is None and not answer.sent_since_ack:
                continue
            checked += 1
            body, revision = rows.get((c.invitation_id, question_ids[slug]), (None, None))
            if answer.acked_text is None:
                continue  # nothing acknowledged: nothing to lose
            if body == answer.acked_text:
                if revision != answer.acked_revision:
                    revision_mismatch += 1
            elif body is not None and body in answer.sent_since_ack:
                stale_body += 1  # a later send landed although its answer never reached us (timeout)
            else:
                lost.append((c.index, slug, answer.acked_revision, revision))
    return {"checked": checked, "lost": lost, "later_text": stale_body, "revision_mismatch": revision_mismatch}


def server_errors(log_path: Path) -> tuple[list[str], list[str]]:
    """The server log's error lines, and the first traceback in full (the usual cause of a 5xx)."""
    if not log_path.exists():
        return [], []
    lines = log_path.read_text(errors="replace").splitlines()
    errors = [ln for ln in lines if re.search(r"ERROR|CRITICAL|WORKER TIMEOUT", ln)]
    first: list[str] = []
    if "Traceback (most recent call last):" in lines:
        at = lines.index("Traceback (most recent call last):")
        first = lines[max(0, at - 1):at + 1]
        for ln in lines[at + 1:]:
            first.append(ln)
            if not ln.startswith((" ", "\t")):
                break  # the exception line ends the block
    return errors, first


def _line(values: list[float]) -> str:
    return (f"p50 {statistics.median(values):.0f} ms, p95 {percentile(values, 0.95):.0f} ms,"
            f" p99 {percentile(values, 0.99):.0f} ms, max {max(values):.0f} ms")


def report_opening(stats: Stats, candidates: list[Candidate], wall: float, args) -> dict:
    """Print the burst's figures; return them for the comparison."""
    loads = [ms for values in stats.page_ms.values() for ms in values]
    opened = [c.opened_ms for c in candidates if c.opened_ms is not None]
    n_errors = sum(stats.errors.values())
    print(f"== burst: {len(candidates)} candidates open their link and start within {args.burst_window:g} s;"
          f" {wall:.1f} s wall; {stats.requests} requests")
    print(f"  started exams: {stats.started}/{len(candidates)}")
    for label, values in stats.page_ms.items():
        if values:
            print(f"  {label}: n={len(values)} {_line(values)}")
    if loads:
        print(f"  every page load of the opening: n={len(loads)} {_line(loads)}")
    if opened:
        print(f"  link to first question page, per candidate: n={len(opened)} {_line(opened)}")
    print(f"  errors: {n_errors}" + "".join(f"\n    {kind}: {n}" for kind, n in sorted(stats.errors.items())))
    figures = {"errors": n_errors, "started": stats.started}
    if loads:
        figures |= {"page p50": statistics.median(loads), "page p95": percentile(loads, 0.95),
                    "page p99": percentile(loads, 0.99), "page max": max(loads)}
    if opened:
        figures |= {"opening p95": percentile(opened, 0.95)}
    return figures


def report_saves(stats: Stats, wall: float, args, label: str, steady_from: float | None) -> dict:
    """Print the autosave figures; steady state is every save sent after `steady_from` (None: all of them)."""
    ms = stats.save_ms
    print(f"== {label}: {args.duration:.0f} s of autosaves every {args.interval:g} s +-50%, {wall:.1f} s wall;"
          f" {stats.requests} requests (cap {args.max_requests})")
    if steady_from is not None:
        print(f"  started exams: {stats.started}")
        for page, values in stats.page_ms.items():
            if values:
                print(f"  {page}: n={len(values)} p50 {statistics.median(values):.0f} ms,"
                      f" p95 {percentile(values, 0.95):.0f} ms, max {max(values):.0f} ms")
    print(f"  saves attempted {stats.attempted}, acknowledged {stats.acknowledged};"
          f" throughput {stats.acknowledged / wall:.1f} saves/s")
    figures = {}
    if ms:
        print(f"  autosave latency: p50 {statistics.median(ms):.1f} ms, p95 {percentile(ms, 0.95):.1f} ms,"
              f" p99 {percentile(ms, 0.99):.1f} ms, max {max(ms):.1f} ms")
        steady = [m for m, at in zip(ms, stats.save_sent_at, strict=True) if steady_from is None or at >= steady_from]
        if steady and steady_from is not None:
            print(f"  autosave latency once every candidate had started ({len(steady)} saves):"
                  f" p50 {statistics.median(steady):.1f} ms, p95 {percentile(steady, 0.95):.1f} ms,"
                  f" p99 {percentile(steady, 0.99):.1f} ms, max {max(steady):.1f} ms")
        if steady:
            figures = {"save p50": statistics.median(steady), "save p95": percentile(steady, 0.95),
                       "save p99": percentile(steady, 0.99), "save max": max(steady),
                       "saves/s": stats.acknowledged / wall}
    print(f"  errors: {sum(stats.errors.values())}"
          + "".join(f"\n    {kind}: {n}" for kind, n in sorted(stats.errors.items())))
    print(f"  conflicts (409 stale_revision): {stats.conflicts}; acknowledged revisions not base+1:"
          f" {stats.odd_revisions}")
    return figures | {"save errors": sum(stats.errors.values())}


def one_run(args, code_root: Path, label: str, env: dict[str, str], log_path: Path) -> tuple[dict, int]:
    """(Re)create the database, serve `code_root` with gunicorn, run the load, check the rows: (figures, lost)."""
    from django.core.management import call_command
    from django.db import connections

    t0 = time.perf_counter()
    connections.close_all()
    database_prepare(args.database_url, drop=not args.keep_db)
    call_command("migrate", interactive=False, verbosity=0)
    call_command("sync_content", verbosity=0, stdout=io.StringIO())
    tokens, slugs, question_ids = invitations_create(max(args.candidates, args.burst) + args.workers * args.threads)
    # The last invitations warm the workers up (imports, templates, the content) and are not measured: a server is
    # up well before a hiring event starts, and a cold worker's first page is not what the figures are about.
    tokens, warm_tokens = tokens[:-args.workers * args.threads], tokens[-args.workers * args.threads:]
    print(f"\n######## {label}: server code from {code_root}")
    print(f"== setup: {time.perf_counter() - t0:.1f} s; {len(tokens)} invitations on {TRACK_SLUG};"
          f" {len(slugs)} written questions; gunicorn gthread {args.workers}x{args.threads} on {HOST}:{args.port}")
    server_env_ = {**env, "PYTHONPATH": str(code_root)}  # the server imports its code from code_root only
    proc = gunicorn_start(args.port, args.workers, args.threads, server_env_, log_path, cwd=code_root)
    try:
        wait_healthy(f"http://{HOST}:{args.port}", proc, log_path)
        warm_up(warm_tokens, slugs, args)
        if args.burst:
            opening, openers, burst_wall, steady, savers, steady_wall = run_burst(tokens, slugs, args.port, args)
        else:
            stats, savers, wall = run_load(tokens, slugs, args.port, args)
    finally:
        gunicorn_stop(proc)
    figures: dict = {}
    if args.burst:
        figures |= report_opening(opening, openers, burst_wall, args)
        if steady is not None:
            figures |= report_saves(steady, steady_wall, args, f"steady autosaves of {len(savers)} started candidates",
                                    None)
    else:
        figures |= report_saves(stats, wall, args, f"load: {args.candidates} candidates", stats.last_start_done)
    check = verify(savers, question_ids)
    connections.close_all()
    errors_logged, first_traceback = server_errors(log_path)
    print(f"  server log error lines: {len(errors_logged)}"
          + "".join(f"\n    {line[:200]}" for line in errors_logged[:3]))
    if first_traceback:
        print("  first traceback (last frames):" + "".join(f"\n    {line[:200]}" for line in first_traceback[-9:]))
    print(f"== check: {check['checked']} answers; rows holding a later unacknowledged send: {check['later_text']};"
          f" revision mismatches: {check['revision_mismatch']}")
    for index, slug, acked, in_db in check["lost"][:10]:
        print(f"  lost: candidate {index} {slug}: acknowledged r{acked}, database r{in_db}")
    print(f"lost saves: {len(check['lost'])}")
    return figures | {"lost saves": len(check["lost"])}, len(check["lost"])


def print_comparison(before: dict, after: dict) -> None:
    print("\n######## this tree against the baseline (ratio = this tree / baseline; below 1 is faster)")
    for key in [k for k in before if k in after]:
        b, a = before[key], after[key]
        ratio = f"{a / b:.2f}" if isinstance(b, float) and b else "-"
        fmt = (lambda v: f"{v:.1f}") if isinstance(b, float) else str
        print(f"  {key:>14}: baseline {fmt(b):>8}   this tree {fmt(a):>8}   ratio {ratio}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--candidates", type=int, default=200)
    parser.add_argument("--duration", type=float, default=30.0, help="seconds of autosaving")
    parser.add_argument("--interval", type=float, default=3.0, help="mean seconds between saves (uniform +-50%%)")
    parser.add_argument("--burst", type=int, default=0, help="candidates who open and start within --burst-window")
    parser.add_argument("--burst-window", type=float, default=10.0)
    parser.add_argument("--baseline", type=Path, help="a checkout of the previous code to measure first")
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--database-url", default=DEFAULT_DB_URL)
    parser.add_argument("--keep-db", action="store_true", help="reuse the database instead of recreating it")
    parser.add_argument("--port", type=int, default=0, help="0: a free port")
    parser.add_argument("--max-requests", type=int, default=0,
                        help="hard cap on requests in all (0: 3 per candidate for the start + 3x the expected saves)")
    args = parser.parse_args()
    if args.candidates < 1 or args.duration < 0 or args.interval <= 0 or args.burst < 0 or args.burst_window <= 0:
        parser.error("--candidates, --interval and --burst-window must be positive; --duration, --burst not negative")
    if not args.burst and not args.duration:
        parser.error("--duration must be positive without --burst")
    if args.baseline is not None:
        args.baseline = args.baseline.resolve()
        if not (args.baseline / "webapp" / "wsgi.py").exists():
            parser.error(f"--baseline {args.baseline} holds no checkout of this project (no webapp/wsgi.py)")
        if args.keep_db:
            parser.error("--baseline runs on a fresh database each time: leave out --keep-db")
    args.port = args.port or free_port()
    if not args.max_requests:
        saves = 3 * math.ceil(args.duration / (args.interval * 0.5))
        args.max_requests = 4 * args.burst + args.candidates * (3 + saves)
    database_check(args.database_url, dropping=not args.keep_db)

    with tempfile.TemporaryDirectory(prefix="bench-exam-") as tmp:
        var_dir = Path(tmp) / "var"
        env = server_env(args.database_url, var_dir)
        database_prepare(args.database_url, drop=not args.keep_db)
        django_setup(env)  # once per process; each run below recreates the database
        figures, lost = {}, 0
        if args.baseline is not None:
            figures["baseline"], lost_before = one_run(args, args.baseline, "baseline", env,
                                                       Path(tmp) / "gunicorn-baseline.log")
            lost += lost_before
        figures["this tree"], lost_now = one_run(args, ROOT, "this tree", env, Path(tmp) / "gunicorn.log")
        lost += lost_now
    if args.baseline is not None:
        print_comparison(figures["baseline"], figures["this tree"])
    return 1 if lost else 0


if __name__ == "__main__":
    sys.exit(main())

"""Report pages benchmark. Prints figures; asserts only that the SQL query counts do not grow with the number
of candidates (exit status 1 if a page's count grows by more than 2 queries from the small size to the full one).

    python bench/report.py [--candidates 500] [--small 50] [--more 5000] [--repeats 5] [--seed 1]
                           [--database-url postgres://postgres@127.0.0.1:5432/interview_track_bench_report]
                           [--keep-db]

1. Setup, in this process: drops and recreates the bench database (PostgreSQL on 127.0.0.1:5432, trust auth,
   user postgres; its name must contain 'bench'), runs `migrate`, `sync_content` and `collectstatic` (DEBUG is
   off, so pages need the static manifest; the files go to a temporary INTERVIEW_TRACK_VAR_DIR), and the role
   groups. No Redis: the cache is process memory and the Celery broker the default filesystem one (unused).
   The database is dropped at exit unless --keep-db.
2. Data, with bulk_create (the services take seconds per attempt), the rows the services would write: 4
   interviewers and 1 hiring manager of `advanced-ml-speech`; per candidate an invitation, a submitted
   attempt (responses, one frozen Submission per track question, an AutomatedScore per coding submission),
   an assignment of each interviewer to the whole attempt and a submitted scorecard per interviewer with a
   level for every (question with a rubric, dimension). Levels are correlated: the candidate's latent
   ability + the rater's bias + noise, clipped to the rubric's levels (seeded: runs are reproducible).
3. Measures at --small candidates, then adds the rest and measures again at --candidates and at each of --more
   (after each addition the new candidates' stored summaries are computed once, timed): the comparison
   (selectors.reports.comparison, and GET /reports/tracks/<slug>/ through django.test.Client as the manager), one
   report (selectors.reports.attempt_report, and GET /reports/attempts/<id>/: the view also computes the comparison
   for its distribution chart, so its time grows with the candidates, its query count must not) and
   calibration (selectors.reports.calibration, and GET /reports/tracks/<slug>/calibration/). Each is run once to
   warm up, then --repeats times: median and min wall time, SQL queries (CaptureQueriesContext).
   A page whose count grows has its repeated statements printed (literals replaced by ?). Up to --scratch-max
   candidates it also times the previous path (every candidate's figures and bootstrap computed on each view)
   and prints the ratio.
"""

from __future__ import annotations

import argparse
import math
import os
import random
import re
import secrets
import statistics
import sys
import tempfile
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

from benchlib import WORDS, database_check, database_drop, database_prepare, django_setup

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

TRACK_SLUG = "advanced-ml-speech"
DEFAULT_DB_URL = "postgres://postgres@127.0.0.1:5432/interview_track_bench_report"
INTERVIEWERS = 4
RATER_BIAS = (-0.5, 0.0, 0.25, 0.6)  # in rubric levels: one harsh rater, one lenient
GROWTH_TOLERANCE = 2  # queries
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


# --- setup -----------------------------------------------------------------------------------


def django_env(db_url: str, var_dir: Path) -> dict[str, str]:
    env = {
        "DJANGO_SETTINGS_MODULE": "webapp.settings",
        "DATABASE_URL": db_url,
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_DEBUG": "false",
        "DJANGO_ALLOWED_HOSTS": "testserver,127.0.0.1",
        "DJANGO_SECURE_COOKIES": "false",
        "INTERVIEW_TRACK_VAR_DIR": str(var_dir),
        "CELERY_BROKER_URL": f"filesystem://{var_dir / 'broker'}",
        "LOG_LEVEL": os.environ.get("LOG_LEVEL", "WARNING"),
    }
    return env


def setup_django(env: dict[str, str]) -> None:
    for name in ("CACHE_URL", "CELERY_RESULT_BACKEND"):  # nothing of this benchmark goes to Redis
        os.environ.pop(name, None)
    django_setup(env)
    from assessments.roles import roles_ensure

    roles_ensure()


# --- data ------------------------------------------------------------------------------------


class World:
    """The track, its questions and rubrics, and the staff; loaded once."""

    def __init__(self):
        from django.contrib.auth import get_user_model
        from django.contrib.auth.models import Group

        from assessments.models import RubricDimension, RubricLevel, SectionQuestion, Track
        from assessments.roles import HIRING_MANAGER, INTERVIEWER
        from assessments.services import track_manager_add

        user_model = get_user_model()
        self.track = Track.objects.get(slug=TRACK_SLUG, is_current=True)
        self.placements = list(SectionQuestion.objects.filter(section__track=self.track)
                               .select_related("question", "section").order_by("section__order", "order"))
        self.questions = [p.question for p in self.placements]
        rubric_ids = {q.rubric_id for q in self.questions if q.rubric_id}
        self.levels: dict[int, list] = {}
        for level in RubricLevel.objects.filter(rubric_id__in=rubric_ids).order_by("score"):
            self.levels.setdefault(level.rubric_id, []).append(level)
        self.dimensions: dict[int, list] = {}
        for dim in RubricDimension.objects.filter(rubric_id__in=rubric_ids).order_by("order"):
            self.dimensions.setdefault(dim.rubric_id, []).append(dim)
        self.scored = [(q, d) for q in self.questions if q.rubric_id for d in self.dimensions.get(q.rubric_id, [])]
        self.minutes = self.track.timed_minutes()
        interviewer_group, manager_group = Group.objects.get(name=INTERVIEWER), Group.objects.get(name=HIRING_MANAGER)
        self.interviewers = []
        for i in range(INTERVIEWERS):
            user = user_model.objects.create_user(username=f"interviewer{i + 1}", email=f"i{i + 1}@example.invalid",
                                                  first_name="Interviewer", last_name=str(i + 1))
            user.groups.add(interviewer_group)
            self.interviewers.append(user)
        self.manager = user_model.objects.create_user(username="manager", email="manager@example.invalid",
                                                      first_name="Hiring", last_name="Manager")
        self.manager.groups.add(manager_group)
        track_manager_add(track_slug=TRACK_SLUG, user=self.manager)

    def describe(self) -> str:
        coding = sum(q.is_coding for q in self.questions)
        return (f"{len(self.questions)} questions ({coding} coding, {sum(bool(q.rubric_id) for q in self.questions)}"
                f" with a rubric), {len(self.scored)} dimension scores per scorecard")


def _text(rng: random.Random, n: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(n))


def _level(levels: list, value: float):
    """The rubric level nearest to a continuous value, clipped to the scale."""
    return min(levels, key=lambda lv: abs(lv.score - value))


def candidates_generate(world: World, start: int, count: int, seed: int) -> None:
    """Candidates start..start+count-1, each with everything up to submitted scorecards, in bulk."""
    from django.conf import settings
    from django.db import transaction
    from django.utils import timezone

    from assessments.models import (
        Assignment,
        Attempt,
        AttemptStatus,
        AutomatedScore,
        Candidate,
        DimensionScore,
        Invitation,
        QuestionKind,
        Recommendation,
        Response,
        ResponseSnapshot,
        Scorecard,
        ScorecardStatus,
        Submission,
        SubmitReason,
        token_hash,
    )

    now = timezone.now()
    rngs = [random.Random(seed * 1_000_003 + i) for i in range(start, start + count)]  # per candidate: reproducible
    abilities = [r.gauss(0.0, 1.0) for r in rngs]
    with transaction.atomic():
        candidates = Candidate.objects.bulk_create(
            Candidate(full_name=f"Bench Candidate {i}", email=f"bench{i}@example.invalid", created_by=world.manager,
                      code="C-" + "".join(CODE_ALPHABET[(i // len(CODE_ALPHABET) ** k) % len(CODE_ALPHABET)]
                                          for k in range(6)))
            for i in range(start, start + count))
        invitations = Invitation.objects.bulk_create(
            Invitation(candidate=c, track=world.track, created_by=world.manager,
                       token_hash=token_hash(secrets.token_urlsafe(32)),
                       expires_at=now + timedelta(days=settings.INVITATION_DEFAULT_DAYS))
            for c in candidates)
        attempts = []
        for inv, rng in zip(invitations, rngs, strict=True):
            started = now - timedelta(days=rng.uniform(1, 30))
            attempts.append(Attempt(invitation=inv, track=world.track, status=AttemptStatus.SUBMITTED,
                                    started_at=started, deadline_at=started + timedelta(minutes=world.minutes),
                                    submitted_at=started + timedelta(minutes=rng.uniform(0.5, 0.95) * world.minutes),
                                    submit_reason=SubmitReason.CANDIDATE, consented_at=started))
        Attempt.objects.bulk_create(attempts)

        responses, snapshots, submissions = [], [], []
        for attempt, rng in zip(attempts, rngs, strict=True):
            for q in world.questions:
                body = "" if q.kind == QuestionKind.LIVE else (
                    f"def solve():\n    # {_text(rng, 6)}\n    return {rng.randint(0, 99)}\n" if q.is_coding
                    else _text(rng, rng.randint(40, 160)))
                revision = rng.randint(1, 30) if body else 0
                if body:
                    responses.append(Response(attempt=attempt, question=q, body=body, revision=revision))
                    if q.is_coding:
                        snapshots.append(ResponseSnapshot(attempt=attempt, question=q, revision=revision, body=body,
                                                          created_at=attempt.submitted_at))
                submissions.append(Submission(attempt=attempt, question=q, body=body, revision=revision,
                                              content_hash=Submission.hash_body(body)))
        Response.objects.bulk_create(responses, batch_size=2000)
        ResponseSnapshot.objects.bulk_create(snapshots, batch_size=2000)
        Submission.objects.bulk_create(submissions, batch_size=2000)

        autos = []
        per_attempt = len(world.questions)
        for n, sub in enumerate(submissions):
            if not sub.question.is_coding:
                continue
            i = n // per_attempt
            rng = rngs[i]
            p = 1.0 / (1.0 + math.exp(-(abilities[i] + rng.gauss(0.0, 0.7))))
            tests = [{"name": f"test_{k}", "outcome": "passed" if rng.random() < p else "failed"} for k in range(8)]
            score = sum(t["outcome"] == "passed" for t in tests) / len(tests)
            autos.append(AutomatedScore(submission=sub, verdict="passed" if score == 1.0 else "failed", score=score,
                                        details={"tests": tests}, source="bench",
                                        graded_at=sub.attempt.submitted_at + timedelta(minutes=2)))
        AutomatedScore.objects.bulk_create(autos, batch_size=2000)

        Assignment.objects.bulk_create(
            (Assignment(attempt=a, interviewer=u, assigned_by=world.manager) for a in attempts
             for u in world.interviewers), batch_size=2000)
        recommendations = list(Recommendation.values)  # strong_no, no, yes, strong_yes
        cards = []
        for attempt, ability, rng in zip(attempts, abilities, rngs, strict=True):
            for interviewer, bias in zip(world.interviewers, RATER_BIAS, strict=True):
                leaning = ability + bias + rng.gauss(0.0, 0.8)
                rec = recommendations[min(3, max(0, round(1.5 + leaning)))]
                cards.append(Scorecard(attempt=attempt, interviewer=interviewer,
                                       status=ScorecardStatus.SUBMITTED, recommendation=rec,
                                       summary=_text(rng, 20), notes={str(q.pk): _text(rng, 10)
                                                                      for q in world.questions
                                                                      if q.kind == QuestionKind.LIVE},
                                       submitted_at=attempt.submitted_at + timedelta(hours=rng.uniform(2, 72))))
        Scorecard.objects.bulk_create(cards, batch_size=2000)

        scores = []
        for n, card in enumerate(cards):
            i, rater = divmod(n, INTERVIEWERS)
            rng = rngs[i]
            for q, dim in world.scored:
                levels = world.levels[q.rubric_id]
                lo, hi = levels[0].score, levels[-1].score
                value = (lo + hi) / 2 + abilities[i] * (hi - lo) / 4 + RATER_BIAS[rater] + rng.gauss(0.0, 0.6)
                level = _level(levels, min(hi, max(lo, value)))
                scores.append(DimensionScore(scorecard=card, question=q, dimension=dim, level=level,
                                             evidence=_text(rng, 12)))
        DimensionScore.objects.bulk_create(scores, batch_size=5000)


# --- measuring -------------------------------------------------------------------------------


def timed(fn, repeats: int, prepare=lambda: ()) -> dict:
    """One warm-up call, then `repeats` timed ones: median/min ms, the query count and the last statements.

    prepare() runs before each call, untimed and uncounted; fn gets what it returns.
    """
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    fn(*prepare())
    times, counts = [], []
    for _ in range(repeats):
        prepared = prepare()
        with CaptureQueriesContext(connection) as ctx:
            t0 = time.perf_counter()
            fn(*prepared)
            times.append((time.perf_counter() - t0) * 1e3)
        counts.append(len(ctx))
    return {"median_ms": statistics.median(times), "min_ms": min(times), "queries": max(counts),
            "varied": min(counts) != max(counts), "sql": [q["sql"] for q in ctx.captured_queries]}


def measure(world: World, repeats: int, attempt_id: int, *, scratch: bool = True) -> dict[str, dict]:
    from django.contrib.auth import get_user_model
    from django.test import Client

    from assessments.models import Attempt
    from assessments.selectors import reports as report

    user_model = get_user_model()
    client = Client()
    client.force_login(world.manager)

    # Fresh objects for each call, fetched untimed: a request gets its user (cold permission caches) from the
    # middleware and the attempt from the view.
    def fresh_manager():
        return (user_model.objects.get(pk=world.manager.pk),)

    def fresh_both():
        return (user_model.objects.get(pk=world.manager.pk),
                Attempt.objects.select_related("track", "invitation__candidate").get(pk=attempt_id))

    def get(url: str):
        def fn():
            resp = client.get(url)
            assert resp.status_code == 200, (url, resp.status_code)
        return fn

    def from_scratch(user):
        """The previous code path: every attempt's figures and bootstrap computed on each view (n=400 then)."""
        attempts = report.track_attempts(track_slug=TRACK_SLUG)
        inputs = report.load_inputs(attempts)
        return [report.summarise(a, inputs, user=user, bootstrap_n=400) for a in attempts]

    out = {
        "comparison: report.comparison()":
            timed(lambda user: report.comparison(track_slug=TRACK_SLUG, user=user), repeats, fresh_manager),
        f"comparison: GET /reports/tracks/{TRACK_SLUG}/": timed(get(f"/reports/tracks/{TRACK_SLUG}/"), repeats),
        "one report: report.attempt_report()":
            timed(lambda user, attempt: report.attempt_report(attempt=attempt, user=user), repeats, fresh_both),
        "one report: GET /reports/attempts/<id>/": timed(get(f"/reports/attempts/{attempt_id}/"), repeats),
        "calibration: report.calibration()": timed(lambda: report.calibration(track_slug=TRACK_SLUG), repeats),
        f"calibration: GET /reports/tracks/{TRACK_SLUG}/calibration/":
            timed(get(f"/reports/tracks/{TRACK_SLUG}/calibration/"), repeats),
    }
    out["calibration, computed (the first view after a change)"] = timed(
        lambda: report.calibration_compute(track_slug=TRACK_SLUG), 1)
    out["one report PDF: GET /reports/attempts/<id>.pdf"] = timed(get(f"/reports/attempts/{attempt_id}.pdf"),
                                                                 min(repeats, 3))
    if scratch:
        out["comparison, previous path: every summary from scratch"] = timed(from_scratch, 1, fresh_manager)
    return out


def pdf_burst(world: World, attempt_id: int, n: int = 12) -> None:
    """n PDF exports at once (one thread and client each, this process): each one's time. The stylesheets are read
    from disk by WeasyPrint's URL fetcher (webapp/pdf.py), so no request goes back to the app while rendering."""
    from concurrent.futures import ThreadPoolExecutor

    from django.db import connections
    from django.test import Client

    def one(_):
        client = Client()
        client.force_login(world.manager)
        t0 = time.perf_counter()
        resp = client.get(f"/reports/attempts/{attempt_id}.pdf")
        assert resp.status_code == 200 and resp.content[:5] == b"%PDF-"
        connections.close_all()
        return (time.perf_counter() - t0) * 1e3

    with ThreadPoolExecutor(max_workers=n) as pool:
        times = sorted(pool.map(one, range(n)))
    print(f"  {n} PDF exports at once (threads of one process, {os.cpu_count()} CPUs): median"
          f" {statistics.median(times):.0f} ms, max {times[-1]:.0f} ms")


def normalise(sql: str) -> str:
    sql = re.sub(r"'(?:[^']|'')*'", "?", sql)
    sql = re.sub(r"\b\d+(?:\.\d+)?\b", "?", sql)
    return re.sub(r"IN \((?:\?, )*\?\)", "IN (...)", sql)


def print_results(n: int, results: dict[str, dict]) -> None:
    print(f"== {n} candidates")
    for label, r in results.items():
        varied = " (count varied between runs; max shown)" if r["varied"] else ""
        print(f"  {label}: median {r['median_ms']:.0f} ms, min {r['min_ms']:.0f} ms; {r['queries']} queries{varied}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--candidates", type=int, default=500)
    parser.add_argument("--small", type=int, default=50, help="the first, smaller size measured")
    parser.add_argument("--more", type=int, nargs="*", default=[5000],
                        help="further sizes measured after --candidates (each larger); none: --more")
    parser.add_argument("--scratch-max", type=int, default=500,
                        help="measure the previous path (every summary from scratch) up to this size")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--database-url", default=DEFAULT_DB_URL)
    parser.add_argument("--keep-db", action="store_true", help="leave the database in place at exit (for a look)")
    args = parser.parse_args()
    if not 1 <= args.small < args.candidates or args.repeats < 1 or sorted(set(args.more)) != args.more or any(
            m <= args.candidates for m in args.more):
        parser.error("need 1 <= --small < --candidates < each of --more (increasing) and --repeats >= 1")
    database_check(args.database_url)  # refuse early

    with tempfile.TemporaryDirectory(prefix="bench-report-") as tmp:
        t0 = time.perf_counter()
        database_prepare(args.database_url, drop=True)
        try:
            setup_django(django_env(args.database_url, Path(tmp) / "var"))
            world = World()
            print(f"== setup: {time.perf_counter() - t0:.1f} s; {TRACK_SLUG}: {world.describe()};"
                  f" {INTERVIEWERS} interviewers, 1 hiring manager")
            return run(world, args)
        finally:
            from django.db import connections

            connections.close_all()
            if not args.keep_db:
                database_drop(args.database_url)


def run(world: World, args) -> int:
    from assessments.models import Attempt
    from assessments.selectors import reports as report
    from assessments.services.summaries import summaries_fresh

    measured: dict[int, dict[str, dict]] = {}
    done = 0
    sizes = [args.small, args.candidates, *args.more]
    for n in sizes:
        t0 = time.perf_counter()
        candidates_generate(world, done, n - done, args.seed)
        print(f"== generated {n - done} candidates ({(n - done) * INTERVIEWERS} scorecards,"
              f" {(n - done) * INTERVIEWERS * len(world.scored)} dimension scores) in {time.perf_counter() - t0:.1f} s")
        # Rows written in bulk have no stored summary yet: the first read computes them, once (what a deploy of this
        # version does on its first view; afterwards each change recomputes its own attempt, after commit).
        t0 = time.perf_counter()
        summaries_fresh(attempts=report.track_attempts(track_slug=TRACK_SLUG))
        print(f"== stored summaries of {n - done} new candidates computed in {time.perf_counter() - t0:.1f} s"
              f" ({(time.perf_counter() - t0) * 1e3 / max(1, n - done):.1f} ms each)")
        done = n
        first = Attempt.objects.filter(track=world.track).order_by("pk").values_list("pk", flat=True).first()
        measured[n] = measure(world, args.repeats, first, scratch=n <= args.scratch_max)
        print_results(n, measured[n])
        if n == args.candidates:
            pdf_burst(world, first)
        old = measured[n].get("comparison, previous path: every summary from scratch")
        if old:
            new = measured[n]["comparison: report.comparison()"]
            print(f"  ratio, previous path / stored summaries: {old['median_ms'] / new['median_ms']:.0f}x")

    small, large = measured[args.small], measured[sizes[-1]]
    print(f"== query counts, {args.small} vs {sizes[-1]} candidates (median of {args.repeats} runs above)")
    grows = []
    for label in small:
        if label not in large or "computed" in label or "PDF" in label:
            continue
        a, b = small[label]["queries"], large[label]["queries"]
        verdict = "constant" if abs(b - a) <= GROWTH_TOLERANCE else "GROWS"
        print(f"  {label}: {a} vs {b} queries: {verdict}")
        if verdict == "GROWS":
            grows.append(label)
    for label in grows:
        repeated = Counter(normalise(sql) for sql in large[label]["sql"])
        print(f"== repeated statements in {label!r} at {args.candidates} candidates:")
        for sql, count in repeated.most_common():
            if count > 2:
                print(f"  {count} x {sql[:400]}")
    return 1 if grows else 0


if __name__ == "__main__":
    sys.exit(main())

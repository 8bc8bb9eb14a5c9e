"""Gold submissions (graders.gold): the solutions a lab ships are regraded when the lab's files or the sandbox
change, and a verdict that moves raises the alarm (ERROR log, mail to the admins, a GoldRun marked drift).

The labs are copies of the real `wer-by-slice` (the fastest self-check on the local backend: ~0.5 s a grading)
with a few of its variants, graded through the local backend.
"""

from __future__ import annotations

import ast
import logging
import shutil
from pathlib import Path

import pytest
from django.conf import settings
from django.core import mail
from django.core.management import call_command

from graders import gold
from graders.backends import get_backend, local_backend
from graders.gold_selectors import gold_status
from graders.models import GoldRun, GoldVerdict
from sandboxes.base import Result, Termination

LAB = "wer-by-slice"
SOURCE = Path(settings.CONTENT_EXERCISES_DIR) / LAB  # the shipped lab (the tests point the setting elsewhere)
# Its hidden tests catch this wrong variant with exactly these two tests (neither a core check).
WRONG = "wrong/skipped_counted_in_n_utts.py"
CATCHING_TESTS = ("test_empty_reference_is_skipped_and_counted", "test_slice_with_only_skipped_utterances")
HIDDEN = "tests/hidden/test_wer_by_slice_hidden.py"
SOME_VARIANTS = (WRONG, "right/jiwer_process_words.py", "core/wer_capped_at_one.py")


def copy_lab(exercises: Path, name: str, variants=SOME_VARIANTS) -> Path:
    src = SOURCE
    dst = exercises / name
    shutil.copytree(src, dst, ignore=shutil.ignore_patterns("__pycache__", ".pytest_cache", "variants"))
    for rel in variants:
        (dst / "variants" / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(src / "variants" / rel, dst / "variants" / rel)
    return dst


def delete_tests(path: Path, names: tuple[str, ...]) -> None:
    """Delete test functions (decorators included) from a test file: the edit that lets a wrong variant through."""
    text = path.read_text()
    lines = text.splitlines(keepends=True)
    found = [n for n in ast.parse(text).body if isinstance(n, ast.FunctionDef) and n.name in names]
    assert {n.name for n in found} == set(names), "the lab's hidden tests were renamed: pick the new ones"
    for node in sorted(found, key=lambda n: n.lineno, reverse=True):
        start = min([node.lineno] + [d.lineno for d in node.decorator_list]) - 1
        del lines[start:node.end_lineno]
    path.write_text("".join(lines))


@pytest.fixture
def exercises(tmp_path, settings) -> Path:
    root = tmp_path / "exercises"
    root.mkdir()
    settings.CONTENT_EXERCISES_DIR = root
    settings.ADMINS = [("Ops", "ops@example.com")]
    return root


@pytest.fixture(scope="module")
def backend():
    return local_backend()


class BrokenImage:
    """A sandbox image that cannot run anything: every job ends as a sandbox error."""

    name = "docker"
    is_isolated = True
    image = "interview-track-sandbox:cpu-broken"

    def run(self, job) -> Result:
        return Result(termination=Termination.SANDBOX_ERROR, exit_code=None, stdout=b"", stderr=b"exec format error",
                      wall_seconds=0.0, backend=self.name, detail="exec format error")


def test_the_lab_hash_covers_every_file_in_a_stable_order(tmp_path):
    a = copy_lab(tmp_path / "a", LAB)
    b = copy_lab(tmp_path / "b", LAB, variants=tuple(reversed(SOME_VARIANTS)))  # other creation order
    assert gold.lab_hash(a) == gold.lab_hash(b)
    (a / "__pycache__").mkdir()
    (a / "__pycache__" / "x.pyc").write_bytes(b"\0")
    assert gold.lab_hash(a) == gold.lab_hash(b), "caches are not content"
    for rel in ("question.yaml", f"variants/{WRONG}", "reference/solution.py", HIDDEN, "prompt.md"):
        before = gold.lab_hash(b)
        (b / rel).write_text((b / rel).read_text() + "\n")
        assert gold.lab_hash(b) != before, rel
    (b / "bench").mkdir()
    before = gold.lab_hash(b)
    (b / "bench" / "new.txt").write_text("x")
    assert gold.lab_hash(b) != before, "a new file changes the hash"


@pytest.mark.slow
@pytest.mark.django_db
def test_baseline_then_skip_then_an_edited_hidden_test_raises_the_alarm(exercises, backend, caplog):
    lab = copy_lab(exercises, LAB)
    caplog.set_level(logging.INFO, logger="graders.gold")

    first = gold.gold_regrade(backend=backend)
    [outcome] = first.labs
    assert outcome.status == gold.BASELINE and not first.drift
    run = outcome.run
    # reference (hidden + visible), starter, and the three variants.
    assert (run.baseline, run.verdicts, run.changed, run.problems, run.drift) == (True, 6, 0, 0, False)
    gold_rows = {(g.variant, g.suite): g for g in GoldVerdict.objects.filter(lab=LAB)}
    assert set(gold_rows) == {("reference", "hidden"), ("reference", "visible"), ("starter", "hidden"),
                              *((v, "hidden") for v in SOME_VARIANTS)}
    assert (gold_rows["reference", "hidden"].verdict, gold_rows["reference", "hidden"].score) == ("passed", 1.0)
    wrong = gold_rows[WRONG, "hidden"]
    assert wrong.verdict == "failed" and wrong.score < 1.0 and wrong.problem == ""
    assert gold_rows["core/wer_capped_at_one.py", "hidden"].score <= 0.3
    assert {g.fingerprint for g in gold_rows.values()} == {run.fingerprint}
    assert wrong.lab_hash == gold.lab_hash(lab) and wrong.backend == "local" and wrong.image == backend.python
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR] and mail.outbox == []

    second = gold.gold_regrade(backend=backend)
    assert [(o.lab, o.status) for o in second.labs] == [(LAB, gold.UNCHANGED)]
    assert GoldRun.objects.count() == 1

    delete_tests(lab / HIDDEN, CATCHING_TESTS)
    third = gold.gold_regrade(backend=backend)
    [outcome] = third.labs
    assert outcome.status == gold.DRIFT and third.drift == [outcome]
    run = GoldRun.objects.get(pk=outcome.run.pk)
    assert run.drift and run.reason == "lab content changed" and run.changed == 1 and run.problems == 1
    [change] = [c for c in run.changes if c["alarm"]]
    assert (change["variant"], change["suite"], change["change"]) == (WRONG, "hidden", "verdict")
    assert change["before"] == {"verdict": "failed", "score": round(wrong.score, 4), "problem": None}
    assert change["after"]["verdict"] == "passed" and change["after"]["score"] == 1.0
    assert "must fail" in change["after"]["problem"]
    # The new verdict is the gold one now, its rule break on record.
    now = GoldVerdict.objects.get(lab=LAB, variant=WRONG, suite="hidden")
    assert (now.verdict, now.score, now.run_id) == ("passed", 1.0, run.pk) and "must fail" in now.problem

    errors = [r for r in caplog.records if r.levelno == logging.ERROR and r.name == "graders.gold"]
    assert len(errors) == 1 and LAB in errors[0].getMessage() and WRONG in errors[0].getMessage()
    assert len(mail.outbox) == 1
    sent = mail.outbox[0]
    assert sent.to == ["ops@example.com"] and LAB in sent.subject
    assert WRONG in sent.body and "failed 0." in sent.body and "passed 1.000" in sent.body

    status = gold_status()
    [lab_status] = status.open
    assert lab_status.lab == LAB and lab_status.last_run.pk == run.pk and lab_status.verdicts == 6
    assert [c["variant"] for c in lab_status.drift] == [WRONG]
    assert [(g.variant, g.suite) for g in lab_status.problems] == [(WRONG, "hidden")]

    # Nothing changed since: no second alarm, no new run.
    fourth = gold.gold_regrade(backend=backend)
    assert fourth.labs[0].status == gold.UNCHANGED and len(mail.outbox) == 1 and GoldRun.objects.count() == 2


@pytest.mark.slow
@pytest.mark.django_db
def test_a_new_sandbox_image_regrades_every_lab(exercises, backend, monkeypatch):
    copy_lab(exercises, LAB, variants=(WRONG,))
    copy_lab(exercises, "wer-by-slice-twin", variants=(WRONG,))
    assert {o.status for o in gold.gold_regrade(backend=backend).labs} == {gold.BASELINE}

    # The same image tag rebuilt (another id), grading as before: every lab regraded, no alarm.
    real = gold.sandbox_identity
    monkeypatch.setattr(gold, "sandbox_identity", lambda b: gold.Sandbox(b.name, real(b).image, "sha256:rebuilt"))
    report = gold.gold_regrade(backend=backend)
    assert [(o.lab, o.status, o.reason) for o in report.labs] == [
        (LAB, gold.REGRADED, "sandbox image changed"), ("wer-by-slice-twin", gold.REGRADED, "sandbox image changed")]
    assert all(o.run.changes == [] and o.run.image_id == "sha256:rebuilt" for o in report.labs)
    assert mail.outbox == []
    assert {o.status for o in gold.gold_regrade(backend=backend).labs} == {gold.UNCHANGED}

    # An image that breaks the sandbox: every lab regraded, the reference now fails, one mail names both labs.
    monkeypatch.setattr(gold, "sandbox_identity", real)
    report = gold.gold_regrade(backend=BrokenImage())
    assert [(o.status, o.reason) for o in report.labs] == [
        (gold.DRIFT, "sandbox backend, sandbox image changed")] * 2
    for outcome in report.labs:
        changes = {(c["variant"], c["suite"]): c for c in outcome.alarms}
        assert set(changes) == {("reference", "hidden"), ("reference", "visible"), ("starter", "hidden"),
                                (WRONG, "hidden")}
        assert changes["reference", "hidden"]["before"]["verdict"] == "passed"
        assert changes["reference", "hidden"]["after"]["verdict"] == "sandbox-error"
        assert outcome.run.image == BrokenImage.image
    assert len(mail.outbox) == 1
    assert LAB in mail.outbox[0].subject and "wer-by-slice-twin" in mail.outbox[0].subject


@pytest.mark.django_db
def test_a_regrade_that_lost_the_race_stores_nothing(exercises, monkeypatch):
    """Two workers regrade the same lab: the one that stores second finds the fingerprint stored and keeps out."""
    copy_lab(exercises, LAB, variants=(WRONG,))
    real = gold.lab_rows
    raced = []

    def lab_rows_while_another_worker_finishes(folder, backend, **kw):
        if not raced:
            raced.append("racing")
            raced.append(gold.gold_regrade(backend=backend))  # the other worker, done while we grade
        return real(folder, backend, **kw)

    monkeypatch.setattr(gold, "lab_rows", lab_rows_while_another_worker_finishes)
    report = gold.gold_regrade(backend=BrokenImage())  # instant: every job is a sandbox error
    assert raced[1].labs[0].status == gold.BASELINE
    assert report.labs[0].status == gold.SUPERSEDED
    assert GoldRun.objects.count() == 1 and GoldVerdict.objects.filter(lab=LAB).count() == 4
    assert mail.outbox == []


@pytest.mark.slow
@pytest.mark.django_db
def test_the_command_exits_non_zero_on_drift(exercises, settings, capsys):
    lab = copy_lab(exercises, LAB, variants=(WRONG,))
    settings.SANDBOX_BACKEND = "local"
    get_backend.cache_clear()
    try:
        call_command("gold_regrade")
        out = capsys.readouterr().out
        assert f"BASELINE   {LAB}: baseline (4 verdicts" in out and "drift in 0" in out
        call_command("gold_regrade", "--lab", LAB)
        assert f"UNCHANGED  {LAB}: fingerprint unchanged" in capsys.readouterr().out

        delete_tests(lab / HIDDEN, CATCHING_TESTS)
        with pytest.raises(SystemExit) as exit_:
            call_command("gold_regrade", "--lab", LAB)
        out = capsys.readouterr().out
        assert exit_.value.code == 1
        assert f"DRIFT      {LAB}: lab content changed" in out and f"ALARM     {WRONG} hidden: failed" in out
        assert f"drift in 1: {LAB}" in out and len(mail.outbox) == 1

        # --force grades again though nothing changed; the drifted verdict is the gold one now: no alarm.
        call_command("gold_regrade", "--lab", LAB, "--force")
        assert f"REGRADED   {LAB}: forced" in capsys.readouterr().out and len(mail.outbox) == 1
    finally:
        get_backend.cache_clear()


def test_the_command_names_an_unknown_lab(exercises):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="no coding lab 'nope'"):
        call_command("gold_regrade", "--lab", "nope")


@pytest.mark.django_db
def test_the_admin_shows_gold_runs_read_only(exercises, client, monkeypatch):
    from django.urls import reverse

    from assessments import roles
    from tests.factories import UserFactory

    copy_lab(exercises, LAB, variants=(WRONG,))
    gold.gold_regrade(backend=BrokenImage())  # instant baseline: every job a sandbox error
    (exercises / LAB / "prompt.md").write_text("edited")
    monkeypatch.setattr(BrokenImage, "run", lambda self, job: Result(
        termination=Termination.TIMEOUT, exit_code=None, stdout=b"", stderr=b"", wall_seconds=1.0, backend="docker"))
    run = gold.gold_regrade(backend=BrokenImage()).labs[0].run
    assert run.drift and run.changed == 4  # sandbox-error -> timeout, every one

    roles.roles_ensure()
    viewer = UserFactory(username="root", role=roles.ADMIN, is_staff=True)
    client.force_login(viewer)
    page = client.get(reverse("admin:graders_goldrun_change", args=[run.pk]))
    assert page.status_code == 200
    assert f"ALARM     {WRONG} hidden: sandbox-error 0.000 -&gt; timeout 0.000" in page.content.decode()
    assert client.get(reverse("admin:graders_goldrun_add")).status_code == 403
    assert client.get(reverse("admin:graders_goldverdict_changelist")).status_code == 200
    listed = client.get(reverse("admin:graders_goldverdict_changelist")).content.decode()
    assert WRONG in listed and "timeout" in listed
    # No delete through the admin either: the history is the record.
    assert client.post(reverse("admin:graders_goldrun_delete", args=[run.pk])).status_code == 403
    assert GoldRun.objects.filter(pk=run.pk).exists()


@pytest.mark.django_db
def test_the_beat_task_regrades_what_changed_and_retries_when_the_sandbox_is_away(exercises, monkeypatch):
    from celery.exceptions import Retry

    from graders import tasks
    from sandboxes.base import SandboxUnavailable

    assert settings.CELERY_BEAT_SCHEDULE["gold-regrade"]["task"] == "graders.gold_regrade"
    copy_lab(exercises, LAB, variants=(WRONG,))
    monkeypatch.setattr(gold, "get_backend", BrokenImage)  # instant: every job a sandbox error
    assert tasks.gold_regrade.apply().get() == {LAB: gold.BASELINE}
    assert tasks.gold_regrade.apply().get() == {LAB: gold.UNCHANGED}

    def away(self, job):
        raise SandboxUnavailable("engine down")

    monkeypatch.setattr(BrokenImage, "run", away)
    with pytest.raises(Retry):
        tasks.gold_regrade.apply(kwargs={"force": True}, throw=True).get()
    assert GoldRun.objects.count() == 1

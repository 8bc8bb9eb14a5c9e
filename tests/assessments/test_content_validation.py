"""Malformed content is refused with the file, the field and what is wrong — and changes nothing."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from assessments.content import ContentError, load_content
from assessments.models import Question, Rubric, Track


def _edit(rel: str, old: str, new: str) -> Callable[[Path], None]:
    def apply(root: Path) -> None:
        path = root / rel
        text = path.read_text()
        assert old in text, f"fixture drifted: {old!r} not in {rel}"
        path.write_text(text.replace(old, new, 1))

    return apply


def _write(rel: str, data: bytes | str) -> Callable[[Path], None]:
    def apply(root: Path) -> None:
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data if isinstance(data, bytes) else data.encode())

    return apply


def _remove(rel: str) -> Callable[[Path], None]:
    def apply(root: Path) -> None:
        path = root / rel
        shutil.rmtree(path) if path.is_dir() else path.unlink()

    return apply


Q = "exercises/explain-ctc/question.yaml"
C = "exercises/add-two/question.yaml"
R = "rubrics/basic.yaml"
T = "exercises/tracks/mini.yaml"

CASES = [
    ("yaml syntax", _edit(Q, "kind: written", "kind: [written"), Q, None, "is not valid YAML at line"),
    ("not a mapping", _write(Q, "- just\n- a list\n"), Q, None, "must hold a mapping at the top level"),
    ("missing field", _edit(Q, "title: Explain CTC\n", ""), Q, "title", "is required"),
    ("unknown field", _edit(Q, "summary:", "sumary:"), Q, "sumary", "is not a known field"),
    ("bad kind", _edit(Q, "kind: written", "kind: essay"), Q, "kind", "must be one of coding, design, live, written"),
    ("unknown competency", _edit(Q, "[research-depth]", "[telepathy]"), Q, "competencies",
     "'telepathy' is not defined"),
    ("unknown rubric", _edit(Q, "rubric: basic", "rubric: nope"), Q, "rubric", "'nope' is not a rubric"),
    ("rubric missing on written", _edit(Q, "rubric: basic\n", ""), Q, "rubric", "is required for written questions"),
    ("time out of range", _edit(Q, "time_estimate_minutes: 30", "time_estimate_minutes: 999"), Q,
     "time_estimate_minutes", "must be between 1 and 240 (got 999)"),
    ("time not a number", _edit(Q, "time_estimate_minutes: 30", "time_estimate_minutes: soon"), Q,
     "time_estimate_minutes", "must be a whole number"),
    ("too few follow-ups", _edit(Q, "follow_ups: [why blank, why LM]", "follow_ups: [why blank]"), Q,
     "guidance.follow_ups", "needs at least 2 item(s)"),
    ("prompt missing", _remove("exercises/explain-ctc/prompt.md"), "exercises/explain-ctc/prompt.md", None,
     "is missing"),
    ("prompt empty", _write("exercises/explain-ctc/prompt.md", "   \n"), "exercises/explain-ctc/prompt.md", None,
     "is empty"),
    ("non-utf8 file", _write("exercises/explain-ctc/prompt.md", b"caf\xe9\n"), "exercises/explain-ctc/prompt.md",
     None, "is not valid UTF-8"),
    ("coding block on written", _edit(Q, "guidance:", "coding: {entrypoint: solution.py}\nguidance:"), Q, "coding",
     "is only allowed on coding questions"),
    ("coding without coding block", _edit(C, "coding:\n  entrypoint: solution.py", "extra:\n  entrypoint: solution.py"),
     C, "coding", "is required for coding questions"),
    ("reference missing", _remove("exercises/add-two/reference"), C, "coding.entrypoint",
     "reference/solution.py is missing"),
    ("hidden tests missing", _remove("exercises/add-two/tests/hidden"), C, "coding",
     "tests/hidden/ needs at least one test_*.py"),
    ("too few wrong variants", _remove("exercises/add-two/variants/wrong/w0.py"), C, "coding",
     "variants/wrong/ needs at least 4 solution files (found 3)"),
    ("bad memory", _edit(C, "memory_mb: 256", "memory_mb: 10"), C, "coding.resources.memory_mb",
     "must be between 64 and 16384"),
    ("gpu not a bool", _edit(C, "gpu: false", "gpu: maybe"), C, "coding.resources.gpu", "must be true or false"),
    ("scoring all zero", _edit(C, "hidden_tests: 1.0", "hidden_tests: 0"), C, "coding.scoring",
     "needs at least one weight above 0"),
    ("scoring names undeclared benchmark", _edit(C, "hidden_tests: 1.0\n", "hidden_tests: 1.0\n    latency: 1.0\n"), C,
     "coding.scoring.latency", "does not declare"),
    ("benchmark file missing",
     _edit(C, "  scoring:", "  benchmarks:\n    latency: {callable: add, inputs: 'bench/in.py:make', max_ratio: 2}"
              "\n  scoring:"),
     C, "coding.benchmarks.latency.inputs", "bench/in.py does not exist"),
    ("shared driver with a hidden-only helper",
     lambda root: (_write("exercises/add-two/tests/driver.py", "def secret(a):\n    return a\n")(root),
                   _write("exercises/add-two/tests/hidden/test_secret.py",
                          "from driver import secret\n\ndef test_s():\n    assert secret(1) == 1\n")(root)),
     C, "coding", "gives the hidden tests secret, which no visible test uses"),
    ("binary outside bench", _write("exercises/add-two/starter/blob.bin", b"\xff\xfe\x00"),
     "exercises/add-two/starter/blob.bin", None, "binary data belongs under bench/ or tests/"),
    ("rubric missing descriptor", _edit(R, "      2: Deep.\n", ""), R, "dimensions[0].descriptors.2",
     "every scale score needs a descriptor"),
    ("rubric scale unordered", _edit(R, "score: 2, label: Senior", "score: 0, label: Senior"), R, "scale",
     "listed from lowest to highest"),
    ("track unknown question", _edit(T, "question: add-two", "question: add-three"), T,
     "sections[1].questions[0].question", "'add-three' is not a question"),
    ("track duplicate question", _edit(T, "question: add-two", "question: explain-ctc"), T,
     "sections[1].questions[0].question", "already used in section 'one'"),
    ("track duplicate section", _edit(T, "slug: two", "slug: one"), T, "sections[1].slug", "duplicate section 'one'"),
    ("track time limit", _edit(T, "time_limit_minutes: 30", "time_limit_minutes: 0"), T,
     "sections[0].time_limit_minutes", "must be between 1 and 600"),
    ("estimates exceed the section", _edit(C, "time_estimate_minutes: 20", "time_estimate_minutes: 45"), T,
     "sections[1].time_limit_minutes", "section 'Two' allows 20 min but its questions' time_estimate_minutes add up "
     "to 45 (add-two 45)"),
    ("section time is padding", _edit(T, "time_limit_minutes: 30", "time_limit_minutes: 90"), T,
     "sections[0].time_limit_minutes", "add up to 30 (explain-ctc 30); make them agree"),
    ("track weights", _edit(T, "human_weight: 0.5", "human_weight: 0.7"), T, "scoring",
     "automated_weight + human_weight must be 1"),
    ("negative weight", _edit(T, "weight: 2.0", "weight: -1"), T, "sections[1].questions[0].weight",
     "must be between 0 and 100"),
    ("bad slug folder", lambda root: (root / "exercises/explain-ctc").rename(root / "exercises/Explain_CTC"),
     "exercises/Explain_CTC/question.yaml", "folder name", "must be a lowercase slug"),
]


@pytest.mark.parametrize(("label", "mutate", "path", "field", "message"), CASES, ids=[c[0] for c in CASES])
def test_bad_content_names_file_field_and_problem(content_root, label, mutate, path, field, message):
    load_content(content_root / "exercises", content_root / "rubrics")  # valid before the change
    mutate(content_root)
    with pytest.raises(ContentError) as excinfo:
        load_content(content_root / "exercises", content_root / "rubrics")
    matches = [i for i in excinfo.value.issues if i.path == path and i.field == field and message in i.message]
    assert matches, f"expected {path} / {field} / {message!r}; got:\n{excinfo.value}"
    if field:
        assert f"{path}: field '{field}': " in str(matches[0])


def test_several_problems_are_reported_together(content_root):
    _edit(Q, "kind: written", "kind: essay")(content_root)
    _edit(R, "      2: Deep.\n", "")(content_root)
    with pytest.raises(ContentError) as excinfo:
        load_content(content_root / "exercises", content_root / "rubrics")
    paths = {i.path for i in excinfo.value.issues}
    assert {Q, R} <= paths


def test_symlink_in_question_folder_is_refused(content_root):
    (content_root / "exercises/add-two/tests/hidden/leak.py").symlink_to("/etc/passwd")
    with pytest.raises(ContentError, match="symbolic links are not allowed"):
        load_content(content_root / "exercises", content_root / "rubrics")


@pytest.mark.django_db
def test_malformed_content_changes_nothing_in_the_database(content_root):
    call_command("sync_content", exercises=str(content_root / "exercises"), rubrics=str(content_root / "rubrics"))
    before = (list(Question.objects.values_list("slug", "version", "content_hash")),
              list(Track.objects.values_list("slug", "version")), Rubric.objects.count())
    # One good change (a new prompt) next to one bad change: nothing at all may land.
    _write("exercises/explain-ctc/prompt.md", "Explain CTC, again.\n")(content_root)
    _edit(T, "time_limit_minutes: 30", "time_limit_minutes: -5")(content_root)
    with pytest.raises(CommandError, match="nothing was changed"):
        call_command("sync_content", exercises=str(content_root / "exercises"), rubrics=str(content_root / "rubrics"))
    after = (list(Question.objects.values_list("slug", "version", "content_hash")),
             list(Track.objects.values_list("slug", "version")), Rubric.objects.count())
    assert after == before

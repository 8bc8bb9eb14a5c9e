"""Code similarity (winnowing over normalised tokens): a planted copy with renamed variables, reordered functions
and new comments is found in a cohort of real submissions; the exercises' own right variants, which are
legitimately alike, stay below the threshold; the starter's code does not count."""

from __future__ import annotations

import ast
import io
import keyword
import tokenize
from pathlib import Path

import pytest

from assessments.reporting.similarity import (
    DEFAULT_THRESHOLD,
    calibrated_threshold,
    cohort,
    compare,
    fingerprints,
)

EXERCISES = Path(__file__).resolve().parents[2] / "exercises"
LABS = sorted(p for p in EXERCISES.iterdir() if (p / "variants" / "right").is_dir())


def _renamed(source: str) -> str:
    """Every identifier the code defines renamed consistently (what a copier does first)."""
    tree = ast.parse(source)
    defined = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
    defined |= {a.arg for n in ast.walk(tree) if isinstance(n, ast.arguments) for a in n.args + n.kwonlyargs}
    defined |= {n.name for n in ast.walk(tree) if isinstance(n, ast.FunctionDef) and n.name.startswith("_")}
    mapping = {name: f"zz_{i}" for i, name in enumerate(sorted(defined)) if not keyword.iskeyword(name)}
    out, previous = [], None
    for tok in tokenize.generate_tokens(io.StringIO(source).readline):
        text = tok.string
        if tok.type == tokenize.NAME and text in mapping and not (previous and previous.string == "."):
            text = mapping[text]
        out.append((tok.type, text))
        previous = tok
    return tokenize.untokenize(out)


def _reordered_with_comments(source: str) -> str:
    """Top-level statements in reverse order (imports first), each preceded by a new comment."""
    tree = ast.parse(source)
    lines = source.splitlines()
    blocks = ["\n".join(lines[n.lineno - 1 - len(n.decorator_list) if hasattr(n, "decorator_list") else n.lineno - 1:
                              n.end_lineno]) for n in tree.body]
    imports = [b for b, n in zip(blocks, tree.body, strict=True) if isinstance(n, ast.Import | ast.ImportFrom)]
    rest = [b for b, n in zip(blocks, tree.body, strict=True) if not isinstance(n, ast.Import | ast.ImportFrom)]
    return "\n\n".join(imports + [f"# my own helper, part {i}\n{b}" for i, b in enumerate(reversed(rest))]) + "\n"


def _lab_sources(lab: Path) -> dict[str, str]:
    return {f"{p.parent.name}/{p.name}": p.read_text() for p in sorted((lab / "variants").glob("*/*.py"))}


@pytest.mark.parametrize("lab", LABS, ids=[p.name for p in LABS])
def test_right_variants_are_not_flagged_against_each_other(lab):
    starter = (lab / "starter" / "solution.py").read_text()
    rights = [p.read_text() for p in sorted((lab / "variants" / "right").glob("*.py"))]
    rights.append((lab / "reference" / "solution.py").read_text())
    flagged = cohort({str(i): s for i, s in enumerate(rights)}, starter=starter, threshold=DEFAULT_THRESHOLD)
    assert not flagged, [(p.a, p.b, p.match.score) for p in flagged]


@pytest.mark.parametrize("lab", LABS, ids=[p.name for p in LABS])
def test_a_planted_copy_is_found_in_the_cohort(lab):
    starter = (lab / "starter" / "solution.py").read_text()
    sources = _lab_sources(lab)
    original_name = next(n for n in sources if n.startswith("right/"))
    planted = _reordered_with_comments(_renamed(sources[original_name]))
    assert planted != sources[original_name]
    compile(planted, "planted.py", "exec")  # still a program
    sources["planted/copy.py"] = planted
    threshold = calibrated_threshold([s for n, s in sources.items() if n.startswith("right/")]
                                     + [(lab / "reference" / "solution.py").read_text()], starter=starter)
    pairs = cohort(sources, starter=starter, threshold=threshold)
    # (The wrong variants are one-line mutations of the reference, so they pair up with each other too: in a real
    # cohort, that is what a copy looks like.) The planted copy is flagged, and most alike its original.
    with_copy = [p for p in pairs if "planted/copy.py" in (p.a, p.b)]
    assert with_copy, f"the planted copy is not flagged at {threshold}"
    best = with_copy[0]
    assert {best.a, best.b} == {original_name, "planted/copy.py"}, [(p.a, p.b, p.match.score) for p in with_copy[:3]]
    assert best.match.regions_a and best.match.regions_b  # where, for the side-by-side view


def test_the_starters_code_does_not_count_and_unrelated_code_scores_nothing():
    starter = "\n".join(f"def helper_{i}(values):\n    return [v * {i} + 1 for v in values if v > {i}]\n"
                        for i in range(6))
    a = starter + "\ndef answer(x):\n    return sorted(x)[::-1]\n"
    b = starter + "\ndef answer(x):\n    total = 0\n    for v in x:\n        total += v\n    return total\n"
    assert compare(fingerprints(a), fingerprints(b)).score > 0.6  # alike through the starter only...
    ignore = fingerprints(starter).hashes()
    assert compare(fingerprints(a), fingerprints(b), ignore=ignore).score == 0.0  # ...which is not counted
    other = "import json\n\ndef load(path):\n    with open(path) as fh:\n        return json.load(fh)['items']\n"
    assert compare(fingerprints(a), fingerprints(other)).score < 0.2


def test_code_that_does_not_parse_still_fingerprints_what_it_can():
    broken = "def f(x):\n    return [i * 2 for i in range(x)]\n\ndef g(:\n"
    assert fingerprints(broken).hashes()

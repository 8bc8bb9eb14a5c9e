"""The reference's WER figures are computed once per lab content and sandbox, by a reference-only job, and reused:
hit on the second grading, missed after a content change or a sandbox (image / Python) change, and the grading
result is the same with the cache cold, warm or off. Through the local backend (a tiny WER lab, no recogniser)."""

from __future__ import annotations

import io
import json
import wave

import pytest

from assessments.content import CodingConfig, Resources
from graders.grading import ReferenceCache, grade, reference_cache_key
from graders.jobs import build_job
from sandboxes.local_backend import LocalBackend

# Four "utterances" told apart by their length; the recogniser under test maps a length to its words.
TEXTS = {"g1": "the cat sat", "g2": "hello world", "d1": "deploy Kubernetes now", "d2": "kubernetes is down"}
SLICES = {"g1": "general", "g2": "general", "d1": "domain", "d2": "domain"}
LENGTHS = {"g1": 1600, "g2": 3200, "d1": 4800, "d2": 6400}


def _wav(n: int) -> bytes:
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(16000)
        w.writeframes(b"\x01\x00" * n)
    return buf.getvalue()


def recogniser(texts: dict[str, str]) -> bytes:
    by_length = {LENGTHS[k]: v for k, v in texts.items()}
    return (f"BY_LENGTH = {by_length!r}\n\n"
            "def transcribe(samples, sample_rate):\n"
            "    return BY_LENGTH.get(len(samples), '')\n").encode()


REFERENCE = recogniser(TEXTS)
# Misses the term in d2 ("cooper netties"): recall 1 of 2; general slice as good as the reference's.
CANDIDATE = recogniser({**TEXTS, "d2": "cooper netties is down"})


def lab(*, reference: bytes = REFERENCE, terms: str = "kubernetes\n") -> dict[str, bytes]:
    manifest = [{"id": k, "slice": SLICES[k], "audio": f"bench/wer/{k}.wav", "text": TEXTS[k]} for k in TEXTS]
    files = {f"bench/wer/{k}.wav": _wav(n) for k, n in LENGTHS.items()}
    files.update({
        "bench/wer/manifest.json": json.dumps(manifest).encode(),
        "bench/wer/terms.txt": terms.encode(),
        "reference/solution.py": reference,
        "tests/hidden/test_contract.py": b"import numpy as np\nfrom solution import transcribe\n\n"
                                         b"def test_returns_str():\n"
                                         b"    assert isinstance(transcribe(np.zeros(10, np.int16), 16000), str)\n",
    })
    return files


def coding(cpus: int = 2) -> CodingConfig:
    return CodingConfig(
        entrypoint="solution.py", resources=Resources(cpus=cpus, memory_mb=1024, wall_seconds=120),
        scoring={"hidden_tests": 0.5, "wer": 0.5},
        benchmarks={"wer": {"callable": "transcribe", "manifest": "bench/wer/manifest.json",
                            "domain_terms": "bench/wer/terms.txt", "normalizer": "basic",
                            "thresholds": {"max_general_wer_ratio": 1.1, "min_domain_term_recall": 0.6}}})


class Counting(LocalBackend):
    """The local backend, counting the reference-only jobs it runs; `identity` stands for the sandbox's."""

    def __init__(self, identity: str = "python-A"):
        super().__init__(isolate_network=False)
        self.identity = identity
        self.reference_jobs = 0
        self.jobs: list[dict] = []

    def sandbox_identity(self, *, gpu: bool = False) -> str:
        return self.identity

    def run(self, job):
        spec = json.loads(job.files["private/job.json"])
        self.jobs.append({"spec": spec, "files": sorted(job.files)})
        self.reference_jobs += spec.get("mode") == "reference-figures"
        return super().run(job)


def _grade(backend, cache, *, files=None, cpus: int = 2):
    return grade(backend=backend, exercise_files=files or lab(), coding=coding(cpus),
                 candidate_files={"solution.py": CANDIDATE}, suite="hidden", reference_cache=cache)


def _figures(result) -> dict:
    wer = result.benchmarks["wer"].to_json()
    wer.pop("seconds")
    return {"verdict": str(result.verdict), "score": result.score,
            "tests": [(t.name, str(t.outcome)) for t in result.tests], "wer": wer}


@pytest.mark.parametrize("cpus", [2, 1], ids=["tests-and-wer-overlapped", "one-cpu-sequential"])
def test_hit_on_second_grading_and_the_same_result_as_without_the_cache(tmp_path, cpus):
    backend = Counting()
    cache = ReferenceCache(tmp_path / "cache")
    off = _grade(backend, None, cpus=cpus)
    assert backend.reference_jobs == 0 and off.sandbox["reference_figures"]["cache"] == "off"
    cold = _grade(backend, cache, cpus=cpus)
    assert cold.sandbox["reference_figures"]["cache"] == "miss" and backend.reference_jobs == 1
    warm = _grade(backend, cache, cpus=cpus)
    assert warm.sandbox["reference_figures"]["cache"] == "hit" and backend.reference_jobs == 1
    assert warm.timings.get("reference_cached") == 1.0

    assert _figures(off) == _figures(cold) == _figures(warm)
    # By hand: the candidate recalls 1 of the 2 term occurrences, the reference both; both transcribe the general
    # slice perfectly. Recall credit 0.5 / 0.6, guards hold; tests 1/1: score (1 + 0.8333) / 2.
    wer = warm.benchmarks["wer"].figures
    assert wer["candidate"]["domain_terms"] == {"occurrences": 2, "recalled": 1, "recall": 0.5, "false_alarms": 0,
                                                "false_alarm_rate": 0.0}
    assert wer["reference"]["domain_terms"]["recall"] == 1.0
    assert wer["candidate"]["slices"]["general"]["wer"] == 0.0 == wer["reference"]["slices"]["general"]["wer"]
    # "kubernetes" -> "cooper netties": one substitution and one insertion over 6 reference words.
    assert wer["candidate"]["slices"]["domain"]["wer"] == pytest.approx(2 / 6, abs=1e-4)
    assert warm.benchmarks["wer"].score == pytest.approx(0.8333, abs=1e-4) and not warm.benchmarks["wer"].passed
    assert str(warm.verdict) == "failed" and warm.score == pytest.approx((1 + 0.8333) / 2, abs=1e-3)


def test_missed_after_a_content_change_or_a_sandbox_change(tmp_path):
    cache = ReferenceCache(tmp_path / "cache")
    backend = Counting("python-A")
    first = _grade(backend, cache)
    assert first.sandbox["reference_figures"]["cache"] == "miss"
    assert _grade(backend, cache).sandbox["reference_figures"]["cache"] == "hit"

    # The lab's content changed (a reference that gets d1 wrong): a new key, measured again, and it shows.
    changed = lab(reference=recogniser({**TEXTS, "d1": "deploy cooper netties now"}))
    result = _grade(backend, cache, files=changed)
    assert result.sandbox["reference_figures"]["cache"] == "miss" and backend.reference_jobs == 2
    assert result.benchmarks["wer"].figures["reference"]["domain_terms"]["recall"] == 0.5
    assert _grade(backend, cache, files=changed).sandbox["reference_figures"]["cache"] == "hit"

    # The sandbox changed (another image or Python): a miss, though the lab is the same.
    other = Counting("python-B")
    assert _grade(other, cache).sandbox["reference_figures"]["cache"] == "miss" and other.reference_jobs == 1
    keys = {reference_cache_key(exercise_files=lab(), coding=coding(), sandbox_identity=i)[0]
            for i in ("python-A", "python-B")}
    keys.add(reference_cache_key(exercise_files=changed, coding=coding(), sandbox_identity="python-A")[0])
    assert len(keys) == 3 and {p.stem for p in (tmp_path / "cache").glob("*.json")} == keys


def test_the_reference_only_job_carries_no_candidate_and_the_grading_gets_the_figures_privately(tmp_path):
    backend = Counting()
    _grade(backend, ReferenceCache(tmp_path / "cache"))
    ref_job, grading = backend.jobs
    assert ref_job["spec"]["mode"] == "reference-figures"
    assert not [f for f in ref_job["files"] if f.startswith(("private/candidate/", "private/tests/"))]
    assert grading["spec"]["reference_figures"] == "reference_figures.json"
    assert "private/reference_figures.json" in grading["files"]  # private/: root-only 0700 in the sandbox
    with pytest.raises(ValueError):
        build_job(exercise_files=lab(), coding=coding(), candidate_files={"solution.py": CANDIDATE}, suite="hidden",
                  drop_privileges=False, mode="reference-figures")


def test_a_failing_reference_is_not_cached_and_the_grading_measures_it_as_before(tmp_path):
    broken = recogniser(TEXTS).replace(b"    return BY_LENGTH", b"    if len(samples) == 6400:\n"
                                       b"        raise RuntimeError('boom')\n    return BY_LENGTH")
    files = lab(reference=broken)
    cache = ReferenceCache(tmp_path / "cache")
    backend = Counting()
    off = _grade(backend, None, files=files)
    result = _grade(backend, cache, files=files)
    assert result.sandbox["reference_figures"]["cache"].startswith("miss: the reference-only job failed")
    assert not list((tmp_path / "cache").glob("*.json"))
    assert _figures(result) == _figures(off)
    assert result.benchmarks["wer"].figures["reference"]["domain_terms"]["recall"] == 0.5


def test_a_tampered_entry_is_ignored(tmp_path):
    cache = ReferenceCache(tmp_path / "cache")
    key = "ab" * 32
    cache.put(key, {"wer": {"hypotheses": {"g1": "x"}}}, parts={"content": "c"})
    assert cache.get(key) == {"wer": {"hypotheses": {"g1": "x"}}}
    path = tmp_path / "cache" / f"{key}.json"
    data = json.loads(path.read_text())
    data["key"] = "cd" * 32  # an entry copied under another key's name
    path.write_text(json.dumps(data))
    assert cache.get(key) is None
    assert (tmp_path / "cache").stat().st_mode & 0o077 == 0  # the folder is the worker's alone
    assert cache.get("../../etc/passwd") is None
    with pytest.raises(ValueError):
        cache.put("../outside", {}, parts={})

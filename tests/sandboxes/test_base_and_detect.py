"""The sandbox interface's helpers and the backend choice, without any engine."""

from __future__ import annotations

import io
import json
import tarfile

from sandboxes import resolve_backend
from sandboxes.base import Job, Limits, substitute, tar_files
from sandboxes.docker_backend import DockerBackend


def test_tar_holds_the_files_as_root_owned_regular_files():
    data = tar_files({"b/x.py": b"print(1)", "a.txt": b"hi"})
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        members = tar.getmembers()
        assert [m.name for m in members] == ["a.txt", "b/x.py"]
        assert all(m.isfile() and m.uid == 0 and m.mode == 0o644 for m in members)
        assert tar.extractfile("b/x.py").read() == b"print(1)"


def test_root_is_substituted_in_every_argument():
    assert substitute(["python3", "{root}/main.py", "--in={root}"], "/job") == ["python3", "/job/main.py", "--in=/job"]


def test_forced_choices_and_auto_without_an_engine(monkeypatch):
    assert resolve_backend("local").name == "local" and not resolve_backend("local").is_isolated
    assert resolve_backend("DOCKER").name == "docker" and resolve_backend("docker").is_isolated
    monkeypatch.setenv("DOCKER_HOST", "unix:///nonexistent/docker.sock")
    auto = resolve_backend("auto", timeout=1)
    assert (auto.name, auto.configured) == ("local", "auto") and "no Docker engine" in auto.reason


def test_container_isolation_settings():
    """Every isolation setting of a sandbox container, checked without an engine (the config is plain data)."""
    backend = DockerBackend(image="img:cpu", gpu_image="img:gpu", client=object(), runtime="runsc")
    config = backend.container_config(Job(files={}, command=["python3", "x"], labels={"interview-track.run": "r1"},
                                          limits=Limits(memory_mb=512, cpus=1.5, pids=128, gpu=True)))
    host = config["host_config"]
    assert host["network_mode"] == "none" and config["network_disabled"] is True
    assert host["read_only"] is True and host["cap_drop"] == ["ALL"] and host["cap_add"] == ["SETUID", "SETGID"]
    assert host["security_opt"] == ["no-new-privileges"] and host["runtime"] == "runsc"
    assert host["mem_limit"] == host["memswap_limit"] == "512m"
    assert host["pids_limit"] == 128 and host["nano_cpus"] == 1_500_000_000
    assert {u["Name"] for u in host["ulimits"]} == {"core", "nofile", "fsize"}
    assert "size=" in host["tmpfs"]["/sandbox"]
    assert "docker.sock" not in json.dumps(config, default=str)
    assert set(config["environment"]) == {"PYTHONDONTWRITEBYTECODE", "HOME", "LANG"}
    (request,) = host["device_requests"]
    assert request["Count"] == 1 and request["Capabilities"] == [["gpu"]]
    assert config["image"] == "img:gpu" and config["labels"] == {"interview-track.sandbox": "1",
                                                                  "interview-track.run": "r1"}
    cpu = backend.container_config(Job(files={}, command=["python3", "x"], limits=Limits(gpu=False)))
    assert cpu["image"] == "img:cpu" and "device_requests" not in cpu["host_config"]

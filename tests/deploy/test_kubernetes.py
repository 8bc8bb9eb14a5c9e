"""docker/kubernetes/, checked offline: the core objects against Kubernetes' own JSON schemas (kubernetes-validate,
strict: an unknown or misspelt field fails), the KEDA objects and the app contract by structure (queues, variables,
probes, commands, the one beat, the GPU), and the kustomization against the folder. Not checked here: a real API server
(`kubectl apply --dry-run=server`) and KEDA acting in a cluster (docs/deploy.md, "What was validated")."""

from __future__ import annotations

import copy
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from django.urls import Resolver404, resolve

from tests.conftest import require_service

ROOT = Path(__file__).resolve().parents[2]
MANIFESTS = ROOT / "docker" / "kubernetes"
# The oldest Kubernetes these manifests are for (native sidecars: 1.29) and the version they are pinned to.
KUBERNETES_VERSIONS = ("1.29.0", "1.30.0")
APP_IMAGE = "interview-track-app"
ENGINE_IMAGES = ("docker:", "interview-track-gpu-engine")  # the only containers that may run privileged
APP_COMMANDS = {"web", "worker", "beat", "init", "manage"}  # docker/app/entrypoint.sh
NON_CORE_API_GROUPS = ("keda.sh/", "kustomize.config.k8s.io/")
# Read outside our code: by the docker SDK, prometheus_client, or the image's entrypoint (the deployment contract).
DOCUMENTED_VARIABLES = {"DOCKER_HOST", "CELERY_QUEUES", "CELERY_CONCURRENCY", "WORKER_HOSTNAME",
                        "PROMETHEUS_MULTIPROC_DIR", "WORKER_METRICS_PORT", "LOG_FORMAT", "METRICS_TOKEN", "LOG_LEVEL"}
OUR_ROOMS = ("webapp", "assessments", "graders", "sandboxes", "ops", "accounts", "audit", "api")
ENV_READ = re.compile(r"""(?:os\.environ(?:\.get|\.setdefault)?\s*[(\[]|os\.getenv\(|env_bool\(|env_list\("""
                      r"""|\benv\.get\()\s*["']([A-Z][A-Z0-9_]+)["']""")


def _documents() -> list[tuple[str, dict]]:
    docs = []
    for path in sorted(MANIFESTS.glob("*.yaml")):
        if path.name == "kustomization.yaml":
            continue
        docs += [(path.name, doc) for doc in yaml.safe_load_all(path.read_text()) if doc]
    return docs


DOCS = _documents()


def _of_kind(kind: str) -> dict[str, dict]:
    return {doc["metadata"]["name"]: doc for _, doc in DOCS if doc["kind"] == kind}


def _pod_spec(obj: dict) -> dict:
    return obj["spec"]["template"]["spec"]


def _containers(obj: dict, *, init: bool = True) -> list[dict]:
    spec = _pod_spec(obj)
    return spec["containers"] + (spec.get("initContainers", []) if init else [])


def _is_app(container: dict) -> bool:
    return container["image"].split(":")[0] == APP_IMAGE


def _env(container: dict) -> dict[str, str]:
    return {item["name"]: item.get("value", "") for item in container.get("env", [])}


def _queues(deployment: dict) -> list[str]:
    (worker,) = [c for c in _containers(deployment, init=False) if c.get("args", [""])[0] == "worker"]
    return _env(worker)["CELERY_QUEUES"].split(",")


def _workloads() -> dict[str, dict]:
    return {**_of_kind("Deployment"), **{f"job/{name}": job for name, job in _of_kind("Job").items()}}


def _app_variables() -> set[str]:
    names = set(DOCUMENTED_VARIABLES)
    for room in OUR_ROOMS:
        for path in (ROOT / room).rglob("*.py"):
            names |= set(ENV_READ.findall(path.read_text()))
    entrypoint = ROOT / "docker" / "app" / "entrypoint.sh"
    if entrypoint.exists():
        names |= set(re.findall(r"\$\{([A-Z_][A-Z0-9_]*)", entrypoint.read_text()))
    return names


def test_kustomization_lists_every_manifest_and_nothing_else():
    kustomization = yaml.safe_load((MANIFESTS / "kustomization.yaml").read_text())
    files = {p.name for p in MANIFESTS.glob("*.yaml")} - {"kustomization.yaml"}
    assert sorted(kustomization["resources"]) == sorted(files)
    assert kustomization["namespace"] == _of_kind("Namespace").popitem()[0]
    assert {image["name"] for image in kustomization["images"]} >= {APP_IMAGE}


@pytest.mark.parametrize("version", KUBERNETES_VERSIONS)
def test_core_objects_validate_against_the_kubernetes_schema(version):
    import kubernetes_validate

    checked = []
    for filename, doc in DOCS:
        if doc["apiVersion"].startswith(NON_CORE_API_GROUPS):
            continue
        try:
            kubernetes_validate.validate(doc, version, strict=True)
        except kubernetes_validate.ValidationError as exc:
            path = ".".join(str(p) for p in exc.path)
            pytest.fail(f"{filename}: {doc['kind']}/{doc['metadata']['name']} at {path}: {exc.message}")
        checked.append(doc["kind"])
    assert {"Namespace", "ConfigMap", "Secret", "Deployment", "Service", "Job", "PodDisruptionBudget",
            "NetworkPolicy"} <= set(checked)


def test_the_schema_check_catches_a_misspelt_field_and_a_wrong_type():
    # The check above means something only if it fails on the mistakes people make.
    import kubernetes_validate

    web = copy.deepcopy(_of_kind("Deployment")["web"])
    container = _pod_spec(web)["containers"][0]
    container["readinesProbe"] = container.pop("readinessProbe")
    with pytest.raises(kubernetes_validate.ValidationError, match="readinesProbe"):
        kubernetes_validate.validate(web, KUBERNETES_VERSIONS[-1], strict=True)
    web = copy.deepcopy(_of_kind("Deployment")["web"])
    web["spec"]["replicas"] = "two"
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(web, KUBERNETES_VERSIONS[-1], strict=True)


def test_the_kustomization_renders_and_what_it_renders_validates():
    kubectl = shutil.which("kubectl") or shutil.which("kustomize")
    require_service("kubectl or kustomize", kubectl is not None,
                    "neither is installed (no Debian bookworm package; this machine kind has kubectl): the rendering "
                    "was not checked")
    args = [kubectl, "kustomize", str(MANIFESTS)] if kubectl.endswith("kubectl") else [kubectl, "build", str(MANIFESTS)]
    rendered = subprocess.run(args, capture_output=True, text=True, timeout=120, check=False)
    assert rendered.returncode == 0, rendered.stderr
    import kubernetes_validate

    objects = [doc for doc in yaml.safe_load_all(rendered.stdout) if doc]
    assert len(objects) == len(DOCS)
    for doc in objects:
        if doc["kind"] != "Namespace":
            assert doc["metadata"]["namespace"] == "interview-track", doc["metadata"]["name"]
        if not doc["apiVersion"].startswith(NON_CORE_API_GROUPS):
            kubernetes_validate.validate(doc, KUBERNETES_VERSIONS[-1], strict=True)
        for container in (doc.get("spec", {}).get("template", {}).get("spec", {}).get("containers", [])):
            assert not container["image"].startswith(APP_IMAGE), "kustomization.yaml's images did not apply"


def test_every_worker_deployment_scales_on_its_own_queues_with_keda():
    deployments = _of_kind("Deployment")
    scaled = _of_kind("ScaledObject")
    auths = _of_kind("TriggerAuthentication")
    secrets = _of_kind("Secret")
    workers = {name for name, d in deployments.items()
               if any(c.get("args", [""])[0] == "worker" for c in _containers(d, init=False))}
    assert workers == {"worker-cpu", "worker-gpu"}
    assert {so["spec"]["scaleTargetRef"]["name"] for so in scaled.values()} == workers
    for name, so in scaled.items():
        assert so["apiVersion"] == "keda.sh/v1alpha1"
        target = so["spec"]["scaleTargetRef"]
        assert target.get("kind", "Deployment") == "Deployment" and target["name"] in deployments, name
        queues = _queues(deployments[target["name"]])
        triggers = so["spec"]["triggers"]
        assert triggers and all(t["type"] == "redis" for t in triggers), name
        # Celery's Redis queue is a list named after the queue: each trigger reads one this Deployment consumes,
        # and every queue it consumes has a trigger.
        assert sorted(t["metadata"]["listName"] for t in triggers) == sorted(queues), name
        for trigger in triggers:
            assert re.fullmatch(r"[1-9]\d*", trigger["metadata"]["listLength"]), trigger
            auth = auths[trigger["authenticationRef"]["name"]]
            for ref in auth["spec"]["secretTargetRef"]:
                assert ref["key"] in secrets[ref["name"]]["stringData"], ref
        assert 0 <= so["spec"].get("minReplicaCount", 0) <= so["spec"]["maxReplicaCount"]
    assert scaled["worker-gpu"]["spec"]["minReplicaCount"] == 0
    assert scaled["worker-cpu"]["spec"]["minReplicaCount"] >= 1  # visible runs never wait for a pod to start


def test_every_queue_of_the_task_table_has_a_worker():
    from assessments.tasking import Queue

    consumed = {q for name, d in _of_kind("Deployment").items() if name.startswith("worker") for q in _queues(d)}
    assert consumed == {q.value for q in Queue}
    assert _queues(_of_kind("Deployment")["worker-cpu"]) == ["default", "grading-cpu", "grading-visible"]


def test_app_containers_set_only_variables_the_app_reads():
    known = _app_variables()
    config = _of_kind("ConfigMap")["interview-track-config"]["data"]
    secret = _of_kind("Secret")["interview-track-secrets"]["stringData"]
    unknown = {f"ConfigMap: {k}" for k in config if k not in known} | {f"Secret: {k}" for k in secret if k not in known}
    for name, workload in _workloads().items():
        for container in filter(_is_app, _containers(workload)):
            unknown |= {f"{name}/{container['name']}: {k}" for k in _env(container) if k not in known}
            refs = {ref.get("configMapRef", ref.get("secretRef", {})).get("name") for ref in container["envFrom"]}
            assert refs == {"interview-track-config", "interview-track-secrets"}, f"{name}/{container['name']}"
    assert not unknown, f"variables no part of the app reads (a typo, or a setting that was renamed): {sorted(unknown)}"


def test_app_containers_run_the_images_commands():
    for name, workload in _workloads().items():
        for container in filter(_is_app, _containers(workload)):
            if "command" in container:  # the wait-for-migrations init containers run manage.py directly
                assert "manage.py migrate --check" in " ".join(container["command"]), f"{name}/{container['name']}"
            else:
                assert container["args"][0] in APP_COMMANDS, f"{name}/{container['name']}"
    assert _containers(_of_kind("Job")["init"])[0]["args"] == ["init"]


def test_the_beat_is_exactly_one():
    beat = _of_kind("Deployment")["beat"]
    assert beat["spec"]["replicas"] == 1
    assert beat["spec"]["strategy"] == {"type": "Recreate"}
    assert "beat" not in {so["spec"]["scaleTargetRef"]["name"] for so in _of_kind("ScaledObject").values()}
    beats = [c for d in _of_kind("Deployment").values() for c in _containers(d) if c.get("args", [""])[0] == "beat"]
    assert len(beats) == 1


def test_the_gpu_worker_asks_for_a_gpu_on_gpu_nodes_and_none_by_default():
    gpu = _of_kind("Deployment")["worker-gpu"]
    spec = _pod_spec(gpu)
    assert gpu["spec"]["replicas"] == 0
    gpus = [c["resources"]["limits"].get("nvidia.com/gpu") for c in _containers(gpu)]
    assert gpus.count(1) == 1, "one container holds the pod's one GPU"
    assert spec["nodeSelector"] and any(t["key"] == "nvidia.com/gpu" for t in spec["tolerations"])
    (worker,) = [c for c in spec["containers"] if c["args"] == ["worker"]]
    assert _env(worker)["CELERY_QUEUES"] == "grading-gpu" and _env(worker)["SANDBOX_GPU"] == "require"
    # Its engine holds the GPU and listens on the pod's loopback only.
    (engine,) = [c for c in spec["initContainers"] if c.get("restartPolicy") == "Always"]
    assert "nvidia.com/gpu" in engine["resources"]["limits"]
    assert any("127.0.0.1:2375" in arg for arg in engine["args"]) and _env(worker)["DOCKER_HOST"].endswith(
        "127.0.0.1:2375")


def test_the_cpu_workers_reach_the_dedicated_sandbox_engine():
    worker = _pod_spec(_of_kind("Deployment")["worker-cpu"])["containers"][0]
    host, port = re.fullmatch(r"tcp://([a-z0-9-]+):(\d+)", _env(worker)["DOCKER_HOST"]).groups()
    service = _of_kind("Service")[host]
    assert int(port) in {p["port"] for p in service["spec"]["ports"]}
    engine = _of_kind("Deployment")[host]
    assert service["spec"]["selector"].items() <= engine["spec"]["template"]["metadata"]["labels"].items()


def test_probes_ask_for_paths_the_app_serves():
    probes = []
    for name, deployment in _of_kind("Deployment").items():
        for container in filter(_is_app, _containers(deployment)):
            for kind in ("readinessProbe", "livenessProbe", "startupProbe"):
                if "httpGet" in container.get(kind, {}):
                    probes.append((name, kind, container[kind]["httpGet"]))
    assert probes, "the web has HTTP probes"
    for name, kind, http in probes:
        try:
            resolve(http["path"])
        except Resolver404:
            pytest.fail(f"{name} {kind}: {http['path']} is not in webapp/urls.py")
        # The kubelet reaches the pod by its address: Host must be a name Django allows.
        hosts = {h["value"] for h in http.get("httpHeaders", []) if h["name"] == "Host"}
        allowed = _of_kind("ConfigMap")["interview-track-config"]["data"]["DJANGO_ALLOWED_HOSTS"].split(",")
        assert hosts and hosts <= set(allowed), f"{name} {kind}: Host {hosts} not in DJANGO_ALLOWED_HOSTS"
    web = _pod_spec(_of_kind("Deployment")["web"])["containers"][0]
    # /readyz fails while the workers are away; that must not take the web out of service.
    assert web["readinessProbe"]["httpGet"]["path"] == "/healthz"
    assert web["livenessProbe"]["httpGet"]["path"] == "/healthz"
    for name in ("worker-cpu", "worker-gpu"):
        (worker,) = [c for c in _pod_spec(_of_kind("Deployment")[name])["containers"] if c["args"] == ["worker"]]
        assert 'inspect ping -d "celery@$HOSTNAME"' in " ".join(worker["livenessProbe"]["exec"]["command"])


def test_app_containers_are_locked_down_and_sized():
    config = _of_kind("ConfigMap")["interview-track-config"]["data"]
    writable = {"/tmp", config["PROMETHEUS_MULTIPROC_DIR"], config["INTERVIEW_TRACK_VAR_DIR"]}
    for name, workload in _workloads().items():
        spec = _pod_spec(workload)
        assert spec.get("automountServiceAccountToken") is False, name
        empty_dirs = {v["name"] for v in spec.get("volumes", []) if "emptyDir" in v}
        for container in _containers(workload):
            where = f"{name}/{container['name']}"
            resources = container.get("resources", {})
            assert {"cpu", "memory"} <= resources.get("requests", {}).keys(), where
            assert {"cpu", "memory"} <= resources.get("limits", {}).keys(), where
            security = {**spec.get("securityContext", {}), **container.get("securityContext", {})}
            if container["image"].startswith(ENGINE_IMAGES):
                continue  # a Docker engine runs privileged (sandbox-engine.yaml says why and where)
            assert not security.get("privileged"), where
            assert security.get("runAsNonRoot") is True and security.get("readOnlyRootFilesystem") is True, where
            assert security.get("allowPrivilegeEscalation") is False, where
            assert security.get("capabilities", {}).get("drop") == ["ALL"], where
            mounts = {m["mountPath"]: m["name"] for m in container.get("volumeMounts", [])}
            assert writable <= mounts.keys(), f"{where}: read-only root needs {writable - mounts.keys()}"
            assert {mounts[path] for path in writable} <= empty_dirs, where


def test_web_and_workers_are_scraped_on_their_metrics_ports():
    for name in ("web", "worker-cpu", "worker-gpu"):
        template = _of_kind("Deployment")[name]["spec"]["template"]
        annotations = template["metadata"]["annotations"]
        assert annotations["prometheus.io/scrape"] == "true" and annotations["prometheus.io/path"] == "/metrics"
        ports = {p["containerPort"] for c in template["spec"]["containers"] for p in c.get("ports", [])}
        assert int(annotations["prometheus.io/port"]) in ports, name


def test_services_budgets_and_policies_select_real_pods():
    pods = [d["spec"]["template"]["metadata"]["labels"] for d in _of_kind("Deployment").values()]

    def selects(selector: dict) -> bool:
        return any(selector.items() <= labels.items() for labels in pods)

    for name, service in _of_kind("Service").items():
        assert selects(service["spec"]["selector"]), f"Service {name} selects no pod"
    pdb = _of_kind("PodDisruptionBudget")["web"]
    assert selects(pdb["spec"]["selector"]["matchLabels"]) and pdb["spec"]["minAvailable"] == 1
    assert _of_kind("Deployment")["web"]["spec"]["replicas"] == 2
    for name, policy in _of_kind("NetworkPolicy").items():
        labels = policy["spec"]["podSelector"].get("matchLabels")
        if labels:
            assert selects(labels), f"NetworkPolicy {name} selects no pod"


def test_postgres_and_redis_are_the_sites_own_services():
    assert not _of_kind("StatefulSet")
    images = [c["image"] for d in _of_kind("Deployment").values() for c in _containers(d)]
    assert not [i for i in images if re.match(r"(postgres|redis)\b", i)]
    secret = _of_kind("Secret")["interview-track-secrets"]["stringData"]
    assert secret["DATABASE_URL"].startswith("postgres://") and secret["CELERY_BROKER_URL"].startswith("redis://")

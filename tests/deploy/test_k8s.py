"""deploy/k8s, statically: every object of the kustomization, every name one object uses of
another (Services → pods and ports, probes → container ports and the hub's health routes,
ConfigMaps, Secrets, volumes), each hub container's effective settings, PodDisruptionBudgets
and resources, and the Kafka StatefulSet against HUB_KAFKA_BOOTSTRAP."""

from __future__ import annotations

from typing import Any

import pytest

from hub import __version__
from hub.settings import Settings

from .manifests import (
    K8S,
    effective_port,
    health_paths,
    hub_command,
    k8s_documents,
    kustomization,
    read_env_file,
    required_settings,
    served_port_setting,
    settings_from,
)
from .yamlish import load_all

DOCS = k8s_documents()
KUSTOMIZATION = kustomization()
NAMESPACE = KUSTOMIZATION["namespace"]


def _objects(kind: str) -> dict[str, dict[str, Any]]:
    return {d["metadata"]["name"]: d for d in DOCS if d["kind"] == kind}


GENERATED = {g["name"]: g for g in KUSTOMIZATION["configMapGenerator"]}
CONFIGMAPS = {**{n: {} for n in GENERATED}, **_objects("ConfigMap")}
SECRETS = _objects("Secret")
WORKLOADS = {**_objects("Deployment"), **_objects("StatefulSet")}
HUB_DEPLOYMENTS = {n: d for n, d in _objects("Deployment").items() if n.startswith("isd-hub-")}
SERVICES = _objects("Service")
HUB_ENV = read_env_file(K8S / "config" / "hub.env")


def _pod(obj: dict[str, Any]) -> dict[str, Any]:
    pod: dict[str, Any] = obj["spec"]["template"]
    return pod


def _containers(obj: dict[str, Any]) -> list[dict[str, Any]]:
    containers: list[dict[str, Any]] = _pod(obj)["spec"]["containers"]
    return containers


def _configmap_keys(name: str) -> set[str]:
    if name in GENERATED:
        generator = GENERATED[name]
        keys = {f.split("=")[0] for f in generator.get("files", [])}
        for env_file in generator.get("envs", []):
            keys |= set(read_env_file(K8S / env_file))
        return keys
    return set(CONFIGMAPS[name].get("data", {}))


def _secret_data(name: str) -> dict[str, str]:
    return {k: str(v) for k, v in SECRETS[name].get("stringData", {}).items()}


def _env(container: dict[str, Any]) -> dict[str, str]:
    """The container's environment as the kubelet builds it: envFrom, then env."""
    env: dict[str, str] = {}
    for source in container.get("envFrom", []):
        if "configMapRef" in source:
            name = source["configMapRef"]["name"]
            generator = GENERATED[name]
            for env_file in generator.get("envs", []):
                env.update(read_env_file(K8S / env_file))
        else:
            env.update(_secret_data(source["secretRef"]["name"]))
    for item in container.get("env", []):
        env[item["name"]] = str(item.get("value", "<from reference>"))
    return env


def _port(container: dict[str, Any], port: int | str) -> int:
    if isinstance(port, int):
        return port
    (number,) = [p["containerPort"] for p in container["ports"] if p["name"] == port]
    return int(number)


def test_kustomization_resources_and_generated_files_exist() -> None:
    for resource in KUSTOMIZATION["resources"]:
        assert (K8S / resource).is_file(), resource
    for generator in KUSTOMIZATION["configMapGenerator"]:
        for item in [*generator.get("files", []), *generator.get("envs", [])]:
            assert (K8S / item.split("=")[-1]).is_file(), item
    seen = set()
    for doc in DOCS:
        key = (doc["kind"], doc["metadata"]["name"])
        assert key not in seen, f"{key} twice"
        seen.add(key)
        assert doc["apiVersion"]
        assert doc["kind"]
    assert _objects("Namespace") == {NAMESPACE: _objects("Namespace")[NAMESPACE]}


def test_the_monitoring_overlay_selects_the_hub_services() -> None:
    (overlay,) = load_all(K8S / "monitoring" / "kustomization.yaml")
    (monitor,) = [d for r in overlay["resources"] for d in load_all(K8S / "monitoring" / r)]
    selected = [
        s
        for s in SERVICES.values()
        if monitor["spec"]["selector"]["matchLabels"].items() <= s["metadata"]["labels"].items()
    ]
    assert {s["metadata"]["name"] for s in selected} == set(HUB_DEPLOYMENTS)
    for service in selected:  # the job label is the Service name: the rules want isd-hub*
        assert service["metadata"]["name"].startswith("isd-hub")
        assert monitor["spec"]["endpoints"][0]["port"] in {
            p["name"] for p in service["spec"]["ports"]
        }
    assert monitor["spec"]["endpoints"][0]["path"] in health_paths()


@pytest.mark.parametrize("name", sorted(WORKLOADS))
def test_selectors_match_pod_labels_and_every_workload_has_a_disruption_budget(name: str) -> None:
    workload = WORKLOADS[name]
    selector = workload["spec"]["selector"]["matchLabels"]
    assert selector.items() <= _pod(workload)["metadata"]["labels"].items()
    replicas = workload["spec"]["replicas"]
    budgets = [
        b
        for b in _objects("PodDisruptionBudget").values()
        if b["spec"]["selector"]["matchLabels"].items() <= selector.items()
        and b["spec"]["selector"]["matchLabels"].items()
        <= _pod(workload)["metadata"]["labels"].items()
    ]
    if replicas > 1:
        (budget,) = budgets
        spec = budget["spec"]
        # A budget that allows no eviction would block every node drain.
        assert spec.get("minAvailable", 0) < replicas
        assert spec.get("maxUnavailable", 1) >= 1


@pytest.mark.parametrize("name", sorted(SERVICES))
def test_services_select_pods_and_target_their_ports(name: str) -> None:
    service = SERVICES[name]
    selector = service["spec"]["selector"]
    targets = [
        w for w in WORKLOADS.values() if selector.items() <= _pod(w)["metadata"]["labels"].items()
    ]
    assert targets, f"Service {name} selects no pods"
    for workload in targets:
        (container,) = _containers(workload)
        for port in service["spec"]["ports"]:
            _port(container, port.get("targetPort", port["port"]))  # names a container port


@pytest.mark.parametrize("name", [*sorted(WORKLOADS), "Job/isd-hub-migrate"])
def test_references_resolve_and_resources_are_requested(name: str) -> None:
    obj = _objects("Job")["isd-hub-migrate"] if name.startswith("Job/") else WORKLOADS[name]
    pod = _pod(obj)["spec"]
    volumes = {v["name"]: v for v in pod.get("volumes", [])}
    claims = {c["metadata"]["name"] for c in obj["spec"].get("volumeClaimTemplates", [])}
    for volume in volumes.values():
        if "configMap" in volume:
            assert volume["configMap"]["name"] in CONFIGMAPS
        if "secret" in volume:
            assert volume["secret"]["secretName"] in SECRETS
    for container in pod["containers"]:
        for source in container.get("envFrom", []):
            ref = source.get("configMapRef") or source["secretRef"]
            assert ref["name"] in (CONFIGMAPS if "configMapRef" in source else SECRETS)
        for item in container.get("env", []):
            key_ref = item.get("valueFrom", {}).get("secretKeyRef")
            if key_ref:
                assert key_ref["key"] in _secret_data(key_ref["name"])
        for mount in container.get("volumeMounts", []):
            assert mount["name"] in volumes or mount["name"] in claims, mount
        resources = container["resources"]
        assert {"cpu", "memory"} <= set(resources["requests"])
        assert "memory" in resources["limits"]
        image = container["image"]
        if image.startswith("isd-hub"):
            assert image == f"isd-hub:{__version__}"


@pytest.mark.parametrize("name", sorted(HUB_DEPLOYMENTS))
def test_hub_probes_use_the_real_endpoints_on_the_port_the_process_serves(name: str) -> None:
    (container,) = _containers(HUB_DEPLOYMENTS[name])
    (command,) = hub_command(container["args"])
    setting = served_port_setting(command)
    assert setting is not None
    port = effective_port(_env(container), setting)
    (declared,) = container["ports"]
    assert declared["containerPort"] == port
    paths = health_paths()
    probes = {kind: container[kind]["httpGet"] for kind in ("livenessProbe", "readinessProbe")}
    assert probes["livenessProbe"]["path"] == "/healthz"  # restart only when the process hangs
    assert probes["readinessProbe"]["path"] == "/readyz"  # database and broker answer
    for probe in [*probes.values(), container["startupProbe"]["httpGet"]]:
        assert probe["path"] in paths
        assert _port(container, probe["port"]) == port
    annotations = _pod(HUB_DEPLOYMENTS[name])["metadata"]["annotations"]
    assert annotations["prometheus.io/scrape"] == "true"
    assert int(annotations["prometheus.io/port"]) == port
    assert annotations["prometheus.io/path"] in paths


@pytest.mark.parametrize("name", [*sorted(HUB_DEPLOYMENTS), "Job/isd-hub-migrate"])
def test_hub_containers_get_every_setting_they_need(name: str) -> None:
    obj = _objects("Job")["isd-hub-migrate"] if name.startswith("Job/") else HUB_DEPLOYMENTS[name]
    (container,) = _containers(obj)
    env = _env(container)
    missing = required_settings() - set(env)
    assert not missing, f"{name} lacks {sorted(missing)}"
    assert env["HUB_HOST"] == "0.0.0.0"  # noqa: S104 - or the probes reach nothing
    placeholder = env["HUB_PERSON_KEY_SECRET"]
    settings = settings_from({**env, "HUB_PERSON_KEY_SECRET": placeholder + "-" * 16})
    assert settings.replication_factor == 3
    assert env["OTEL_SERVICE_NAME"] == f"isd-hub-{name.split('/')[-1].removeprefix('isd-hub-')}"
    # The files the settings name are in the ConfigMap mounted there.
    mounts = {m["mountPath"]: m["name"] for m in container["volumeMounts"]}
    volumes = {v["name"]: v for v in _pod(obj)["spec"]["volumes"]}
    for path in (settings.parties_file, settings.eb_policy_file):
        volume = volumes[mounts[str(path.parent)]]
        assert path.name in _configmap_keys(volume["configMap"]["name"])


def test_placeholder_person_key_makes_the_hub_refuse_to_start() -> None:
    """The committed placeholder must never become a production key by accident."""
    with pytest.raises(ValueError, match="person_key_secret"):
        Settings(person_key_secret=_secret_data("isd-hub-secrets")["HUB_PERSON_KEY_SECRET"])


def test_the_job_prepares_database_topics_and_parties() -> None:
    job = _objects("Job")["isd-hub-migrate"]
    (container,) = _containers(job)
    commands = hub_command([*container["command"], *container["args"]])
    assert commands == [["db", "upgrade"], ["topics", "ensure"], ["party", "import"]]
    assert _pod(job)["spec"]["restartPolicy"] in ("OnFailure", "Never")


def test_core_replicas_fit_the_partitions_and_secrets_are_shared() -> None:
    core = HUB_DEPLOYMENTS["isd-hub-core"]
    partitions = int(HUB_ENV["HUB_PARTITIONS"])
    assert 2 <= core["spec"]["replicas"] <= partitions  # more cores than partitions sit idle
    # One person key for adapters (Kafka keys) and core (state): the same Secret everywhere.
    refs = {
        tuple(sorted(s["secretRef"]["name"] for s in c.get("envFrom", []) if "secretRef" in s))
        for d in HUB_DEPLOYMENTS.values()
        for c in _containers(d)
    }
    assert refs == {("isd-hub-secrets",)}


def test_kafka_statefulset_is_a_kraft_quorum_the_bootstrap_reaches() -> None:
    kafka = WORKLOADS["kafka"]
    (container,) = _containers(kafka)
    env = {e["name"]: e.get("value") for e in container["env"]}
    replicas = kafka["spec"]["replicas"]
    headless = kafka["spec"]["serviceName"]
    assert replicas == 3
    assert SERVICES[headless]["spec"]["clusterIP"] == "None"
    assert SERVICES[headless]["spec"]["publishNotReadyAddresses"] is True
    assert env["KAFKA_PROCESS_ROLES"] == "broker,controller"
    assert env["KAFKA_AUTO_CREATE_TOPICS_ENABLE"] == "false"
    assert env["KAFKA_DEFAULT_REPLICATION_FACTOR"] == "3"
    assert env["KAFKA_MIN_INSYNC_REPLICAS"] == "2"
    assert env["KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR"] == "3"
    voters = {f"{i}@kafka-{i}.{headless}:{_port(container, 'controller')}" for i in range(3)}
    assert set(env["KAFKA_CONTROLLER_QUORUM_VOTERS"].split(",")) == voters
    assert env["KAFKA_ADVERTISED_LISTENERS"] == f"PLAINTEXT://$(POD_NAME).{headless}:9092"
    node_id = next(e for e in container["env"] if e["name"] == "KAFKA_NODE_ID")
    assert "pod-index" in node_id["valueFrom"]["fieldRef"]["fieldPath"]
    broker_port = _port(container, "broker")
    assert f"PLAINTEXT://0.0.0.0:{broker_port}" in env["KAFKA_LISTENERS"]
    for hostport in HUB_ENV["HUB_KAFKA_BOOTSTRAP"].split(","):
        host, port = hostport.split(":")
        pod, service = host.split(".")
        assert service == headless
        assert int(port) == broker_port
        assert int(pod.removeprefix("kafka-")) < replicas
    assert int(HUB_ENV["HUB_REPLICATION_FACTOR"]) <= replicas


def test_database_url_names_the_postgres_service() -> None:
    url = _secret_data("isd-hub-secrets")["HUB_DATABASE_URL"]
    host, port = url.rsplit("@", 1)[1].split("/")[0].split(":")
    (service_port,) = SERVICES[host]["spec"]["ports"]
    assert service_port["port"] == int(port)
    (container,) = _containers(WORKLOADS["postgres"])
    assert _port(container, service_port["targetPort"]) == 5432

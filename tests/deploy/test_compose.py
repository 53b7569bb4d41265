"""deploy/compose.yaml, statically (there is no Docker engine here): services and their
dependencies, Kafka in KRaft mode, every hub process's settings, commands, health checks and
mounts, checked against the hub's own settings, command parser and health routes."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from hub import __version__

from .manifests import (
    DEPLOY,
    OBSERVABILITY,
    PENDING_OBSERVABILITY,
    ROOT,
    compose,
    effective_port,
    health_paths,
    hub_command,
    interpolated,
    read_env_file,
    required_settings,
    served_port_setting,
    settings_from,
)
from .yamlish import load_all

SERVICES: dict[str, Any] = compose()["services"]
HUB_SERVICES = {n: s for n, s in SERVICES.items() if str(s["image"]).startswith("isd-hub:")}
KAFKA = {n: s for n, s in SERVICES.items() if str(s["image"]).startswith("apache/kafka:")}


def _env(service: dict[str, Any]) -> dict[str, str]:
    """env_file then environment, as compose merges them (environment wins)."""
    env: dict[str, str] = {}
    for name in service.get("env_file", []):
        env.update(read_env_file(DEPLOY / name))
    env.update({k: str(v) for k, v in (service.get("environment") or {}).items()})
    return env


def _command(service: dict[str, Any]) -> list[str]:
    entrypoint = service.get("entrypoint") or []
    return [*entrypoint, *service["command"]]


def _bind_mounts(service: dict[str, Any]) -> list[tuple[Path, str]]:
    mounts = []
    for volume in service.get("volumes", []):
        source, target = volume.split(":")[:2]
        if source.startswith("."):
            mounts.append(((DEPLOY / source).resolve(), target))
    return mounts


def test_the_stack_has_every_part() -> None:
    assert set(SERVICES) == {
        "kafka-1", "kafka-2", "kafka-3", "postgres", "migrate", "core", "ggk", "vecozo",
        "prometheus", "grafana", "otel-collector", "jaeger",
    }  # fmt: skip
    assert set(HUB_SERVICES) == {"migrate", "core", "ggk", "vecozo"}


def test_depends_on_names_services_and_conditions_that_can_be_met() -> None:
    for name, service in SERVICES.items():
        depends = service.get("depends_on", {})
        items = depends.items() if isinstance(depends, dict) else ((d, None) for d in depends)
        for target, spec in items:
            assert target in SERVICES, f"{name} depends on unknown {target}"
            condition = (spec or {}).get("condition", "service_started")
            if condition == "service_healthy":
                assert "healthcheck" in SERVICES[target], f"{target} has no healthcheck"
            elif condition == "service_completed_successfully":
                assert SERVICES[target].get("restart") == "no", f"{target} is not one-shot"
            else:
                assert condition == "service_started", condition


def test_kafka_is_a_three_node_kraft_cluster_with_safe_replication() -> None:
    assert len(KAFKA) == 3
    voters = set()
    for name, service in KAFKA.items():
        env = _env(service)
        assert env["KAFKA_PROCESS_ROLES"] == "broker,controller"
        assert not any("ZOOKEEPER" in k for k in env)
        assert env["KAFKA_AUTO_CREATE_TOPICS_ENABLE"] == "false"
        assert env["KAFKA_DEFAULT_REPLICATION_FACTOR"] == "3"
        assert env["KAFKA_MIN_INSYNC_REPLICAS"] == "2"
        assert env["KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR"] == "3"
        assert env["KAFKA_UNCLEAN_LEADER_ELECTION_ENABLE"] == "false"
        assert env["KAFKA_ADVERTISED_LISTENERS"] == f"PLAINTEXT://{name}:9092"
        assert int(env["KAFKA_MESSAGE_MAX_BYTES"]) > 25 * 1024 * 1024  # the 25 MB node limit
        voters.add(env["KAFKA_CONTROLLER_QUORUM_VOTERS"])
        node_id = env["KAFKA_NODE_ID"]
        assert f"{node_id}@{name}:9093" in env["KAFKA_CONTROLLER_QUORUM_VOTERS"]
        assert "CONTROLLER://0.0.0.0:9093" in env["KAFKA_LISTENERS"]
    assert len(voters) == 1, "every node must list the same quorum"
    assert len({_env(s)["CLUSTER_ID"] for s in KAFKA.values()}) == 1
    assert len({_env(s)["KAFKA_NODE_ID"] for s in KAFKA.values()}) == 3


@pytest.mark.parametrize("name", sorted(HUB_SERVICES))
def test_hub_service_settings_are_complete_and_valid(name: str) -> None:
    service = HUB_SERVICES[name]
    env = _env(service)
    missing = required_settings() - set(env)
    assert not missing, f"{name} lacks {sorted(missing)}"
    assert env["HUB_HOST"] == "0.0.0.0"  # noqa: S104 - in a container, or nothing reaches it
    for secret in ("HUB_DATABASE_URL", "HUB_PERSON_KEY_SECRET"):
        assert interpolated(env[secret]), f"{name}: {secret} must come from the environment"
    settings = settings_from(env)
    assert settings.replication_factor == 3 <= len(KAFKA)
    assert settings.kafka_bootstrap is not None
    for hostport in settings.kafka_bootstrap.split(","):
        host, port = hostport.split(":")
        assert host in KAFKA
        assert f"PLAINTEXT://0.0.0.0:{port}" in _env(KAFKA[host])["KAFKA_LISTENERS"]
    assert settings.database_url is not None
    host_port = settings.database_url.rsplit("@", 1)[1].split("/")[0]
    assert host_port == "postgres:5432"
    # The files the settings name are mounted there.
    targets = {target for _, target in _bind_mounts(service)}
    assert {str(settings.parties_file), str(settings.eb_policy_file)} <= targets
    assert env["OTEL_SERVICE_NAME"].startswith("isd-hub-")
    assert env["OTEL_EXPORTER_OTLP_ENDPOINT"].startswith("http://otel-collector:")


def test_hub_services_share_one_configuration() -> None:
    envs = [_env(s) for s in HUB_SERVICES.values()]
    shared = {k for k in envs[0] if k.startswith("HUB_")}
    for env in envs[1:]:
        assert {k for k in env if k.startswith("HUB_")} == shared
        for key in shared:
            assert env[key] == envs[0][key], f"{key} differs between hub services"


@pytest.mark.parametrize("name", sorted(HUB_SERVICES))
def test_hub_commands_are_real_and_health_checks_probe_the_port_they_serve(name: str) -> None:
    service = HUB_SERVICES[name]
    assert service["image"] == f"isd-hub:{__version__}"
    assert (DEPLOY / service["build"]["context"] / service["build"]["dockerfile"]).is_file()
    commands = hub_command(_command(service))
    env = _env(service)
    if name == "migrate":
        assert commands == [["db", "upgrade"], ["topics", "ensure"], ["party", "import"]]
        assert service["restart"] == "no"
        return
    (command,) = commands
    setting = served_port_setting(command)
    assert setting is not None
    port = effective_port(env, setting)
    test = service["healthcheck"]["test"]
    (url,) = re.findall(r"http://127\.0\.0\.1:(\d+)(/\w+)", " ".join(test))
    assert int(url[0]) == port, f"{name} serves on {port}, its health check asks {url[0]}"
    assert url[1] == "/readyz"
    assert url[1] in health_paths()
    for published in service.get("ports", []):
        assert published.split(":")[-1] == str(port)
    for exposed in service.get("expose", []):
        assert exposed == str(port)
    assert service["depends_on"]["migrate"]["condition"] == "service_completed_successfully"


def test_the_core_scales_and_the_adapters_are_reachable() -> None:
    core = SERVICES["core"]
    assert core["deploy"]["replicas"] >= 2
    assert "container_name" not in core
    assert "hostname" not in core
    assert "ports" not in core
    assert SERVICES["ggk"]["ports"] == ["8081:8081"]
    assert SERVICES["vecozo"]["ports"] == ["8082:8082"]


def test_mounted_files_exist_or_are_the_observability_issues() -> None:
    pending = set()
    for name, service in SERVICES.items():
        for source, _ in _bind_mounts(service):
            if source in PENDING_OBSERVABILITY:
                pending.add(source)
                continue
            assert source.exists(), f"{name} mounts {source}, which does not exist"
            assert source.is_relative_to(ROOT)
    assert pending <= PENDING_OBSERVABILITY
    declared = set(compose()["volumes"])
    for name, service in SERVICES.items():
        for volume in service.get("volumes", []):
            source = volume.split(":")[0]
            if not source.startswith("."):
                assert source in declared, f"{name} uses undeclared volume {source}"


def test_observability_services_are_wired() -> None:
    prometheus = SERVICES["prometheus"]
    mounts = {t: s for s, t in _bind_mounts(prometheus)}
    assert mounts["/etc/prometheus/prometheus.yml"] == DEPLOY / "prometheus" / "prometheus.yml"
    assert mounts["/etc/prometheus/alerts.yml"] == OBSERVABILITY / "prometheus" / "alerts.yml"
    assert "--config.file=/etc/prometheus/prometheus.yml" in prometheus["command"]
    grafana = {t: s for s, t in _bind_mounts(SERVICES["grafana"])}
    assert grafana["/etc/grafana/provisioning"] == DEPLOY / "grafana" / "provisioning"
    assert grafana["/var/lib/grafana/dashboards"] == OBSERVABILITY / "grafana"
    (provider,) = load_all(DEPLOY / "grafana/provisioning/dashboards/dashboards.yaml")
    assert provider["providers"][0]["options"]["path"] == "/var/lib/grafana/dashboards"
    (sources,) = load_all(DEPLOY / "grafana/provisioning/datasources/datasources.yaml")
    for source in sources["datasources"]:
        host, port = source["url"].removeprefix("http://").split(":")
        assert host in SERVICES, source
        published = [p.split(":")[-1] for p in SERVICES[host].get("ports", [])]
        assert port in published + SERVICES[host].get("expose", []), source
    collector = SERVICES["otel-collector"]
    config = {t: s for s, t in _bind_mounts(collector)}
    assert config["/etc/otelcol-contrib/config.yaml"] == DEPLOY / "otel-collector.yaml"
    assert f"--config={'/etc/otelcol-contrib/config.yaml'}" in collector["command"]
    assert {"4317", "4318"} <= set(collector["expose"])
    assert SERVICES["jaeger"]["environment"]["COLLECTOR_OTLP_ENABLED"] == "true"
    # The collector's configuration reads ${env:X}: compose must set every X.
    collector_config = DEPLOY / "otel-collector.yaml"
    if collector_config.exists():
        wanted = set(re.findall(r"\$\{env:([A-Z0-9_]+)\}", collector_config.read_text()))
        assert wanted <= set(collector.get("environment", {})), wanted
        assert collector["environment"]["TRACES_BACKEND_ENDPOINT"] == "jaeger:4317"
        assert "4317" in SERVICES["jaeger"]["expose"]


def test_prometheus_scrapes_every_hub_process_under_the_observability_job_names() -> None:
    (config,) = load_all(DEPLOY / "prometheus" / "prometheus.yml")
    assert config["rule_files"] == ["/etc/prometheus/alerts.yml"]
    jobs = {job["job_name"]: job for job in config["scrape_configs"]}
    reference = OBSERVABILITY / "prometheus" / "prometheus.yml"
    if reference.exists():  # the "hub up" scrape configuration: same job names
        names = re.findall(r"job_name:\s*(\S+)", reference.read_text(encoding="utf-8"))
        assert set(jobs) == set(names)
    assert all(name.startswith("isd-hub") for name in jobs)  # rules select job=~"isd-hub.*"
    (core,) = jobs["isd-hub-core"]["dns_sd_configs"]
    assert core["names"] == ["core"]
    assert core["type"] == "A"
    targets = {"core": core["port"]}
    for name in ("isd-hub-adapter-ggk", "isd-hub-adapter-vecozo"):
        ((host_port,),) = (c["targets"] for c in jobs[name]["static_configs"])
        host, port = host_port.split(":")
        targets[host] = int(port)
    for service, port in targets.items():
        (command,) = hub_command(_command(SERVICES[service]))
        setting = served_port_setting(command)
        assert setting is not None
        assert effective_port(_env(SERVICES[service]), setting) == port


def test_secrets_are_never_written_in_the_file() -> None:
    for name, service in SERVICES.items():
        for key, value in (service.get("environment") or {}).items():
            if any(word in key for word in ("PASSWORD", "SECRET", "DATABASE_URL")):
                assert interpolated(str(value)), f"{name}: {key} is written in the file"

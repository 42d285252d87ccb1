"""compose.yaml and the Dockerfile, checked without Docker (not available where the tests run): the file
parses, every jazzbot service runs a module that exists with the health check the image has, every
setting it passes is one the code reads, and Redis and Postgres are healthy before the bot starts."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.services.settings import Settings, SettingsError, load_settings, setting_names

REPO = Path(__file__).resolve().parents[1]
HEALTH_COMMAND = ["CMD", "python", "-m", "bot.health"]


def compose() -> dict[str, Any]:
    loaded = yaml.safe_load((REPO / "compose.yaml").read_text(encoding="utf-8"))
    assert isinstance(loaded, dict)
    return loaded


def jazzbot_services() -> dict[str, dict[str, Any]]:
    """The services built from this repository's Dockerfile."""
    services = compose()["services"]
    return {name: service for name, service in services.items() if service.get("build") == "."}


def module_of(service: dict[str, Any]) -> str:
    command = service["command"]
    assert command[:2] == ["python", "-m"] and len(command) == 3, command
    return str(command[2])


def runnable(module: str) -> bool:
    """``python -m module`` would run it: a package with ``__main__`` or a module with a main guard."""
    spec = importlib.util.find_spec(module)
    if spec is None or spec.origin is None:
        return False
    if spec.submodule_search_locations is not None:
        return importlib.util.find_spec(f"{module}.__main__") is not None
    return 'if __name__ == "__main__":' in Path(spec.origin).read_text(encoding="utf-8")


def read_by_the_code(variable: str) -> bool:
    """A setting :func:`load_settings` reads, or a name some module under ``bot/`` reads itself."""
    if variable in setting_names():
        return True
    return any(f'"{variable}"' in path.read_text(encoding="utf-8") for path in (REPO / "bot").rglob("*.py"))


def test_the_services_are_the_deployment() -> None:
    services = compose()["services"]
    assert {"bot", "worker", "redis", "postgres"} <= set(services)
    assert set(jazzbot_services()) == {"bot", "bot-2", "worker"}
    assert services["worker"]["deploy"]["replicas"] >= 2
    assert services["worker"]["cpus"] == 1.0  # one core per worker: the tier scales by workers (SCALING.md)
    assert services["bot-2"]["profiles"] == ["split"]  # a second gateway process only when asked for
    assert set(compose()["volumes"]) == {"redis-data", "postgres-data"}
    assert "redis-data:/data" in services["redis"]["volumes"]
    assert "postgres-data:/var/lib/postgresql/data" in services["postgres"]["volumes"]


def test_every_service_has_a_health_check_and_the_bot_waits_for_its_stores() -> None:
    services = compose()["services"]
    for name, service in services.items():
        assert service["healthcheck"]["test"][0] == "CMD", name
    assert services["redis"]["healthcheck"]["test"] == ["CMD", "redis-cli", "ping"]
    assert services["postgres"]["healthcheck"]["test"][:2] == ["CMD", "pg_isready"]
    for name, service in jazzbot_services().items():
        assert service["healthcheck"]["test"] == HEALTH_COMMAND, name
        assert service["depends_on"] == {
            "postgres": {"condition": "service_healthy"},
            "redis": {"condition": "service_healthy"},
        }
        assert service["env_file"] == ".env" and (REPO / ".env.example").is_file()


def required_variables(service: dict[str, Any]) -> set[str]:
    return set(re.findall(r"\$\{([A-Za-z_][A-Za-z0-9_]*):?\?", yaml.safe_dump(service)))


def test_a_service_behind_a_profile_requires_no_variable_of_its_own() -> None:
    """Compose interpolates every service before it applies ``--profile``, so a ``${VAR:?}`` only a
    profile's service needs would stop a plain ``docker compose up`` when VAR is unset."""
    services = compose()["services"]
    always = set().union(*(required_variables(s) for s in services.values() if "profiles" not in s))
    assert "POSTGRES_PASSWORD" in always
    for name, service in services.items():
        if "profiles" in service:
            assert required_variables(service) <= always, name


def test_an_unset_split_stops_the_second_gateway_naming_the_setting() -> None:
    """Without BOT_2_SHARDS, bot-2 must not run every shard beside bot (both would answer)."""
    raw = compose()["services"]["bot-2"]["environment"]["JAZZBOT_SHARDS"]
    default = re.fullmatch(r"\$\{BOT_2_SHARDS:-(?P<default>.+)\}", raw)
    assert default is not None
    refused = re.escape("JAZZBOT_SHARDS='set BOT_SHARDS and BOT_2_SHARDS in .env'")
    with pytest.raises(SettingsError, match=refused):
        load_settings({"JAZZBOT_SHARDS": default["default"]}, env_file=None)


def test_the_dockerfile_runs_the_same_health_check_on_the_same_port() -> None:
    dockerfile = (REPO / "Dockerfile").read_text(encoding="utf-8")
    check = re.search(r"HEALTHCHECK (?P<options>[^\n]*)\\\n\s+CMD (?P<command>\[.*\])", dockerfile)
    assert check is not None
    assert yaml.safe_load(check["command"]) == HEALTH_COMMAND[1:]
    port = re.search(r"ENV JAZZBOT_HEALTH_PORT=(\d+)", dockerfile)
    assert port is not None
    for service in jazzbot_services().values():
        assert service["environment"]["JAZZBOT_HEALTH_PORT"] == port[1]


def test_a_stop_gets_longer_than_the_bot_waits_for_clips_in_flight() -> None:
    for name, service in jazzbot_services().items():
        grace = re.fullmatch(r"(\d+)s", service["stop_grace_period"])
        assert grace is not None and int(grace[1]) > Settings().shutdown_seconds, name


def test_the_bot_services_run_real_modules() -> None:
    for name, service in jazzbot_services().items():
        module = module_of(service)
        assert runnable(module), f"{name}: python -m {module} does not exist"
    assert runnable("bot") and runnable("bot.health") and runnable("bot.worker")


def test_every_setting_passed_is_one_the_code_reads() -> None:
    for name, service in jazzbot_services().items():
        for variable in service["environment"]:
            assert variable.startswith("JAZZBOT_"), (name, variable)
            assert read_by_the_code(variable), f"{name}: nothing reads {variable}"


def test_compose_runs_the_workers_on_redis() -> None:
    services = jazzbot_services()
    assert "bot.worker" in {module_of(service) for service in services.values()}
    assert all("JAZZBOT_REDIS" in service["environment"] for service in services.values())

"""The deployment files stay valid: docker-compose.yml (no Docker engine runs here) and the Dockerfile."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from core.settings import Settings

ROOT = Path(__file__).resolve().parents[1]


def test_compose_has_every_service_and_only_known_settings() -> None:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    assert {"web", "worker", "postgres", "redis", "elasticsearch"} <= set(services)
    assert services["worker"]["command"] == ["donthu", "worker"]
    known = {f"DONTHU_{name.upper()}" for name in Settings.__dataclass_fields__}
    for name in ("web", "worker", "migrate"):
        env = services[name]["environment"]
        assert set(env) <= known, set(env) - known
        assert env["DONTHU_DATABASE_URL"].startswith("postgresql+psycopg://")
        assert env["DONTHU_SEARCH_URL"].startswith("http://elasticsearch:")
    for volume in compose["volumes"]:
        assert any(f"{volume}:" in v for s in services.values() for v in s.get("volumes", []))


def test_dockerfile_copies_every_package_and_the_readme_explains_both_commands() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    for package in ("core", "models", "ingest", "classify", "search", "web"):
        assert re.search(rf"^COPY {package} {package}$", dockerfile, re.M), package
        assert (ROOT / package / "__init__.py").exists()
    readme = (ROOT / "README.md").read_text()
    first_commands = re.findall(r"^make \w+", readme, re.M)[:2]
    assert first_commands == ["make run", "make test"]
    assert (ROOT / ".ci" / "run").read_text().strip().endswith("make test")

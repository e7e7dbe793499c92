"""docker-compose.yml and the Dockerfile, checked by structure (no Docker engine runs here)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    data = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    assert isinstance(data, dict)
    return data


@pytest.fixture(scope="module")
def dockerfile() -> list[str]:
    """The Dockerfile's instructions, continuation lines joined, comments dropped."""
    text = (ROOT / "Dockerfile").read_text().replace("\\\n", " ")
    return [
        line.strip()
        for line in text.splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    ]


def test_qdrant_service_is_pinned_persistent_and_healthchecked(compose: dict[str, Any]) -> None:
    qdrant = compose["services"]["qdrant"]
    assert re.fullmatch(r"qdrant/qdrant:v\d+\.\d+\.\d+", qdrant["image"])
    volume, target = qdrant["volumes"][0].split(":")[:2]
    assert volume in compose["volumes"] and target == "/qdrant/storage"
    assert "/readyz" in " ".join(qdrant["healthcheck"]["test"])
    assert "ports" not in qdrant  # only the compose network reaches it


def test_mlkb_service(compose: dict[str, Any]) -> None:
    api = compose["services"]["mlkb"]
    assert api["build"] == "."
    assert api["depends_on"]["qdrant"]["condition"] == "service_healthy"
    env = api["environment"]
    assert env["MLKB_QDRANT_URL"] == "http://qdrant:6333"
    assert re.fullmatch(r"\$\{MLKB_API_KEY:\?[^}]*\}", env["MLKB_API_KEY"])
    assert "/readyz" in " ".join(api["healthcheck"]["test"])
    assert api["command"][:4] == ["mlkb", "serve", "--host", "0.0.0.0"]
    assert any(v.split(":")[0] in compose["volumes"] for v in api["volumes"])
    assert all(str(p).startswith("127.0.0.1:") for p in api["ports"])


def test_dockerfile_runs_as_non_root_with_a_readyz_healthcheck(dockerfile: list[str]) -> None:
    users = [line.split()[1] for line in dockerfile if line.startswith("USER ")]
    assert users and users[-1] not in {"root", "0"}
    last_user = max(i for i, line in enumerate(dockerfile) if line.startswith("USER "))
    assert next(i for i, line in enumerate(dockerfile) if line.startswith("CMD ")) > last_user
    health = next(line for line in dockerfile if line.startswith("HEALTHCHECK "))
    assert "/readyz" in health
    cmd = next(line for line in dockerfile if line.startswith("CMD "))
    assert '"mlkb", "serve", "--host", "0.0.0.0"' in cmd
    assert dockerfile[0].startswith("FROM python:3.11")


def test_the_image_installs_with_the_readme_command(dockerfile: list[str]) -> None:
    installs = [
        line.removeprefix("RUN ").strip()
        for line in dockerfile
        if line.startswith("RUN ") and "pip install" in line
    ]
    assert len(installs) == 1
    command = installs[0]
    assert "download.pytorch.org/whl/cpu" in command  # torch resolves to the CPU build
    readme = (ROOT / "README.md").read_text()
    docker_section = readme[readme.index("### Docker") :]
    assert command in docker_section
    assert "docker compose up" in docker_section and "MLKB_API_KEY" in docker_section


def test_dockerignore_keeps_secrets_and_caches_out() -> None:
    ignored = (ROOT / ".dockerignore").read_text().split()
    assert {".git", ".env", ".venv"} <= set(ignored)

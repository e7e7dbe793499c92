"""Fixtures for the API: an in-process app on the fake embedder, and real server processes."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from api_helpers import API_KEY, LOCAL, running_server, seeded_kb
from fastapi.testclient import TestClient

from api import create_app
from mlkb import KnowledgeBase, Settings
from mlkb.embed.fake import FakeEmbedder
from tests.stores import copy_store


@pytest.fixture
def key_settings(
    fake_settings: Settings, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> Settings:
    """Fake embedder, a write key, and the test's folder as the one file ingests may read."""
    monkeypatch.setenv("MLKB_API_KEY", API_KEY)
    monkeypatch.setenv("MLKB_FILES_ROOT", str(tmp_path))
    return Settings()


@pytest.fixture(scope="session")
def seeded_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store seeded once per session on the fake embedder; tests get copies of it."""
    home = tmp_path_factory.mktemp("template") / "home"
    settings = Settings(home=home, embed_model="fake")
    KnowledgeBase(settings, embedder=FakeEmbedder()).close()
    return settings.store_path


@pytest.fixture
def fake_kb(fake_settings: Settings, seeded_template: Path) -> Iterator[KnowledgeBase]:
    """This folder's override of the shared fixture: a copy of the seeded template store
    (seeding anew per test costs seconds; copying costs milliseconds)."""
    copy_store(seeded_template, fake_settings.store_path)
    kb = KnowledgeBase(fake_settings, embedder=FakeEmbedder(), seed=False)
    yield kb
    kb.close()


@pytest.fixture(scope="module")
def ro_client(
    seeded_template: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[TestClient]:
    """One app per module for tests that only read (or write nothing they check later)."""
    settings, kb = seeded_kb(seeded_template, tmp_path_factory.mktemp("ro") / "home")
    try:
        with TestClient(create_app(settings, kb=kb), base_url=LOCAL) as c:
            yield c
    finally:
        kb.close()


@pytest.fixture
def client(key_settings: Settings, fake_kb: KnowledgeBase) -> Iterator[TestClient]:
    """An app over the seeded fake store, accepting writes with API_KEY."""
    with TestClient(create_app(key_settings, kb=fake_kb), base_url=LOCAL) as c:
        yield c


@pytest.fixture
def writer(client: TestClient) -> TestClient:
    """The same client, sending the write key."""
    client.headers["X-API-Key"] = API_KEY
    return client


@pytest.fixture(scope="module")
def live_server(
    tmp_path_factory: pytest.TempPathFactory, seeded_template: Path
) -> Iterator[tuple[str, Path]]:
    """One real server per module: (url, its MLKB_HOME)."""
    home = tmp_path_factory.mktemp("served") / "home"
    home.mkdir()
    with running_server(home, template=seeded_template) as url:
        yield url, home

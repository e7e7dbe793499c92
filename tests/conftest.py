"""Shared fixtures: every test runs against its own MLKB_HOME; no test touches user data."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from mlkb import KnowledgeBase, Settings
from mlkb.embed.fake import FakeEmbedder
from tests.stores import copy_store

# The real model must load from the installed package, never from the network.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

_MLKB_VARS = [k for k in os.environ if k.startswith("MLKB_")]


@pytest.fixture(autouse=True)
def isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point MLKB_HOME at a fresh folder and clear other MLKB_* variables and keys."""
    for key in [*_MLKB_VARS, "FIRECRAWL_API_KEY", "TAVILY_API_KEY", "HF_TOKEN"]:
        monkeypatch.delenv(key, raising=False)
    home = tmp_path / "mlkb-home"
    monkeypatch.setenv("MLKB_HOME", str(home))
    monkeypatch.chdir(tmp_path)  # no stray .env file is read
    return home


@pytest.fixture
def fake_settings(isolated_home: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """Settings that select the fast fake embedder."""
    monkeypatch.setenv("MLKB_EMBED_MODEL", "fake")
    return Settings()


@pytest.fixture
def fake_kb(fake_settings: Settings) -> Iterator[KnowledgeBase]:
    """An embedded store seeded with the shipped recipes, on the fake embedder."""
    kb = KnowledgeBase(fake_settings, embedder=FakeEmbedder())
    yield kb
    kb.close()


@pytest.fixture
def empty_kb(fake_settings: Settings) -> Iterator[KnowledgeBase]:
    """An empty embedded store on the fake embedder."""
    kb = KnowledgeBase(fake_settings, embedder=FakeEmbedder(), seed=False)
    yield kb
    kb.close()


@pytest.fixture(scope="session")
def real_model_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One ONNX export of the real model shared by the whole session (export takes ~10 s)."""
    return tmp_path_factory.mktemp("models")


@pytest.fixture(scope="session")
def real_embedder(real_model_cache: Path):  # type: ignore[no-untyped-def]
    """The packaged all-MiniLM-L6-v2 with int8 weights, as new stores get by default,
    loaded once per session. A test that opens an fp32 store makes its own embedder: a
    knowledge base switches its embedder to the store's weights."""
    from mlkb.embed.model import ModelEmbedder
    from mlkb.settings import DEFAULT_MODEL

    return ModelEmbedder(DEFAULT_MODEL, real_model_cache, int8=True)


@pytest.fixture(scope="session")
def real_seeded_store(tmp_path_factory: pytest.TempPathFactory, real_embedder) -> Path:  # type: ignore[no-untyped-def]
    """A store seeded on the real model once per session; tests get copies of it."""
    home = tmp_path_factory.mktemp("seeded-home")
    settings = Settings(home=home)
    KnowledgeBase(settings, embedder=real_embedder).close()
    return settings.store_path


@pytest.fixture
def real_kb(isolated_home: Path, real_seeded_store: Path, real_embedder) -> Iterator[KnowledgeBase]:  # type: ignore[no-untyped-def]
    """An embedded store seeded with the shipped recipes, on the real model."""
    settings = Settings()
    copy_store(real_seeded_store, settings.store_path)
    kb = KnowledgeBase(settings, embedder=real_embedder)
    yield kb
    kb.close()

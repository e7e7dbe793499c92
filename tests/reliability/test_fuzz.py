"""Property tests: recipe parsing and query handling never fail with anything but their
own clear errors, whatever they are given. (The chunker's properties are in
tests/mlkb/test_chunking.py.)"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from mlkb import KnowledgeBase, Recipe
from mlkb.cli.recipes import TEMPLATE
from mlkb.errors import InvalidQuery, InvalidRecipe
from mlkb.seeds import load_recipe_file, parse_recipe, parse_yaml

FIELDS = list(Recipe.model_fields)
FIXTURE_OK = [HealthCheck.function_scoped_fixture]
scalars = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=30), st.dates()
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=12,
)
recipe_like = st.dictionaries(
    st.one_of(st.sampled_from(FIELDS), st.text(max_size=10)), values, max_size=len(FIELDS)
)


@given(data=st.one_of(recipe_like, values))
@settings(max_examples=300, deadline=None)
def test_parse_recipe_raises_only_invalid_recipe(data: Any) -> None:
    try:
        recipe = parse_recipe(data, "fuzz.yaml")
    except InvalidRecipe as exc:
        assert exc.message.startswith("fuzz.yaml: ") and "\n" not in exc.message
    else:
        assert isinstance(recipe, Recipe)


def _mutations() -> st.SearchStrategy[str]:
    lines = TEMPLATE.splitlines()
    return st.one_of(
        st.text(max_size=400),
        st.text(alphabet=st.sampled_from([*":-[]{}!&*#|>'\"\t\n %@`,?\\", "a", "1"]), max_size=200),
        st.lists(st.sampled_from(lines), max_size=len(lines)).map("\n".join),
        st.tuples(st.integers(0, len(TEMPLATE)), st.text(max_size=20)).map(
            lambda cut: TEMPLATE[: cut[0]] + cut[1] + TEMPLATE[cut[0] :]
        ),
    )


@given(text=_mutations())
# libyaml reads this; the pure-Python parser refuses it (both must agree with the loader)
@example(text=TEMPLATE.replace("domain: [", "domain: [e?-", 1))
@settings(max_examples=300, deadline=None, suppress_health_check=FIXTURE_OK)
def test_recipe_files_raise_only_invalid_recipe(tmp_path: Path, text: str) -> None:
    path = tmp_path / "fuzz.yaml"
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    try:
        recipe = load_recipe_file(path)
    except InvalidRecipe as exc:
        assert str(path) in exc.message
    else:
        assert recipe == parse_recipe(parse_yaml(text), "again")


@given(raw=st.binary(max_size=300))
@settings(max_examples=100, deadline=None, suppress_health_check=FIXTURE_OK)
def test_undecodable_recipe_files(tmp_path: Path, raw: bytes) -> None:
    path = tmp_path / "bytes.yaml"
    path.write_bytes(raw)
    with contextlib.suppress(InvalidRecipe):
        load_recipe_file(path)


@pytest.fixture(scope="module")
def kb(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KnowledgeBase]:
    from mlkb import Settings
    from mlkb.embed.fake import FakeEmbedder

    settings = Settings(home=tmp_path_factory.mktemp("fuzz-home"), embed_model="fake")
    with KnowledgeBase(settings, embedder=FakeEmbedder()) as kb:
        yield kb


queries = st.one_of(
    st.text(),
    st.text(alphabet=st.characters(codec="utf-8"), max_size=200),
    st.text(alphabet=st.characters(categories=["Cc", "Cf", "Zs", "Zl", "Zp", "Mn"]), max_size=50),
    st.integers(9_990, 10_020).map(lambda n: "ä" * n),
    st.integers(10_001, 200_000).map(lambda n: "drift " * (n // 6)),
    # undecodable bytes on a command line arrive as lone surrogates (surrogateescape)
    st.binary(min_size=1, max_size=40).map(lambda b: b.decode("utf-8", "surrogateescape")),
)


@given(query=queries)
@settings(max_examples=200, deadline=None)
def test_any_query_gives_results_or_invalid_query(kb: KnowledgeBase, query: str) -> None:
    try:
        result = kb.search(query)
    except InvalidQuery as exc:
        text = query.strip()
        assert not text or len(text) > kb.settings.max_query_chars or "not valid" in exc.message
        assert "\n" not in exc.message
    else:
        assert query.strip() and len(result.hits) <= 10
        assert all(hit.id for hit in result.hits)

"""Recipe files: parsing, validation messages, and the shipped seeds."""

from __future__ import annotations

from pathlib import Path

import pytest

from mlkb.errors import InvalidRecipe
from mlkb.schema import Area, Recipe
from mlkb.seeds import load_recipe_file, load_recipes, seeds_dir

GOOD = """\
id: good-one
title: A good recipe
area: data
problem: Our features leak the label. How do we find the leak?
solution: "1. Split first.\\n2. Fit transforms on the train split only."
hyperparameters: {test_size: 0.2}
"""


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_a_valid_recipe(tmp_path: Path) -> None:
    recipe = load_recipe_file(write(tmp_path, "good.yaml", GOOD))
    assert recipe.id == "good-one" and recipe.area is Area.data and recipe.version == 1


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("id: x\ntitle: [unclosed\n", "malformed YAML"),
        ("- just\n- a list\n", "expected a mapping"),
        (GOOD.replace("problem:", "problme:"), "'problem' is required"),
        (GOOD.replace("area: data", "area: astrology"), "'area'"),
        (GOOD.replace("{test_size: 0.2}", "[1, 2]"), "'hyperparameters'"),
        (GOOD + "colour: blue\n", "'colour' is not a recipe field"),
        (GOOD.replace("id: good-one", "id: Not A Slug!"), "'id'"),
        (GOOD.replace("id: good-one", "id: 123"), "'id' should be a valid string"),
        (GOOD + "---\n" + GOOD, "a second YAML document (---); put each recipe in a file"),
        (GOOD + "title: Another title\n", "bad.yaml:7: the key 'title' appears twice; keep one"),
        (
            GOOD.replace("{test_size: 0.2}", "{test_size: 0.2, test_size: 0.3}"),
            "the key 'test_size' appears twice",
        ),
        ("", "holds no recipe; `mlkb recipe new` prints a template"),
        ("  \n# only a comment\n", "holds no recipe"),
        (
            GOOD.replace("{test_size: 0.2}", "{layers: [1, 2]}"),
            "'hyperparameters.layers' should be a valid string, a valid integer, a valid "
            "number or a valid boolean",
        ),
    ],
)
def test_bad_recipes_get_one_clear_line(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(InvalidRecipe) as err:
        load_recipe_file(write(tmp_path, "bad.yaml", text))
    assert message in err.value.message and "\n" not in err.value.message


def test_reused_id_is_reported(tmp_path: Path) -> None:
    write(tmp_path, "a.yaml", GOOD)
    write(tmp_path, "b.yaml", GOOD)
    report = load_recipes([tmp_path])
    assert len(report.recipes) == 1 and "already used" in report.errors[0]


def test_references_need_real_looking_links() -> None:
    base = load_recipe_file.__globals__["yaml"].safe_load(GOOD)
    with pytest.raises(ValueError):
        Recipe.model_validate({**base, "references": [{"title": "x", "url": "not a url"}]})
    with pytest.raises(ValueError):
        Recipe.model_validate({**base, "references": [{"title": "x", "arxiv_id": "17.1"}]})


def test_index_text_is_what_a_searcher_types() -> None:
    recipe = Recipe.model_validate(
        {
            "id": "r-1",
            "title": "Title words",
            "area": "llm",
            "problem": "The problem text here.",
            "symptoms": ["symptom one"],
            "tags": ["tag-a"],
            "solution": "Step one. " * 200,
        }
    )
    text = recipe.index_text()
    assert text.startswith("Title words\nThe problem text here.\nsymptom one\ntag-a")
    assert len(text) < 800


def test_seeds_are_found() -> None:
    assert (seeds_dir() / "recipes").is_dir()


def test_a_seeds_folder_validates_its_recipes_only() -> None:
    report = load_recipes([seeds_dir()])
    assert report.errors == [] and len(report.recipes) >= 200

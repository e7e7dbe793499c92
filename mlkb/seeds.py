"""Read recipes from YAML files and find the seeds shipped with mlkb."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from mlkb.errors import InvalidRecipe
from mlkb.schema import Recipe

MAX_RECIPE_BYTES = 1_000_000
# libyaml's parser reads the same YAML about 15x faster than the pure-Python one
# (seeding 242 recipes: 0.25 s instead of 4 s); the pure-Python one is the fallback.
_FAST = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _refusing_duplicate_keys(base: type[Any]) -> type[Any]:
    """``base`` with a mapping that names a key given twice: YAML keeps the last value
    silently, so a second ``title:`` would replace the first without a word."""

    class Loader(base):  # type: ignore[misc]
        def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> Any:
            seen: set[str] = set()
            for key_node, _ in node.value:
                if (
                    isinstance(key_node, yaml.ScalarNode)
                    and key_node.tag != "tag:yaml.org,2002:merge"
                ):
                    if key_node.value in seen:
                        raise yaml.constructor.ConstructorError(
                            problem=f"the key {key_node.value!r} appears twice",
                            problem_mark=key_node.start_mark,
                        )
                    seen.add(key_node.value)
            return super().construct_mapping(node, deep)

    return Loader


_LOADER = _refusing_duplicate_keys(_FAST)
_PLAIN_LOADER = _refusing_duplicate_keys(yaml.SafeLoader)


def seeds_dir() -> Path:
    """The ``seeds/`` folder: shipped in the wheel as ``mlkb._seeds``, or in a checkout."""
    try:
        import mlkb._seeds as shipped

        return Path(next(iter(shipped.__path__)))
    except (ImportError, StopIteration):
        return Path(__file__).resolve().parent.parent / "seeds"


def recipe_files(paths: Iterable[Path]) -> list[Path]:
    """YAML files named by ``paths``: files, folders searched recursively, or a seeds folder
    (one with a ``recipes/`` subfolder, next to ``eval/``), whose recipes are read."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir() and (path / "recipes").is_dir():
            path = path / "recipes"
        if path.is_dir():
            found = sorted(p for p in path.rglob("*.y*ml") if p.suffix in {".yaml", ".yml"})
            if not found:
                raise InvalidRecipe(f"{path}: no .yaml or .yml recipe files in this folder")
            files.extend(found)
        elif path.is_file():
            files.append(path)
        else:
            raise InvalidRecipe(f"{path}: no such file or folder")
    return files


def parse_recipe(data: Any, origin: str) -> Recipe:
    """Validate one recipe mapping; errors name the field and the fix."""
    if data is None:
        raise InvalidRecipe(f"{origin}: holds no recipe; `mlkb recipe new` prints a template")
    if not isinstance(data, dict):
        raise InvalidRecipe(
            f"{origin}: expected a mapping of recipe fields, got {type(data).__name__}"
        )
    try:
        return Recipe.model_validate(data)
    except ValidationError as exc:
        raise InvalidRecipe(f"{origin}: {describe_validation(exc)}") from None


def describe_validation(exc: ValidationError) -> str:
    """One line naming each failing field."""
    from mlkb.problems import problems

    found = problems(
        exc.errors(),
        unknown_field="is not a recipe field (see `mlkb recipe new`)",
        missing="is required",
        whole="recipe",
    )
    parts = [f"'{p['loc']}' {p['msg'].replace('Input should be', 'should be')}" for p in found]
    more = len(parts) - 5
    return "; ".join(parts[:5]) + (f"; and {more} more" if more > 0 else "")


def load_recipe_file(path: Path) -> Recipe:
    """Parse and validate one YAML recipe file."""
    try:
        if path.stat().st_size > MAX_RECIPE_BYTES:
            raise InvalidRecipe(f"{path}: larger than {MAX_RECIPE_BYTES:,} bytes; split it")
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidRecipe(f"{path}: cannot read it ({exc})") from None
    try:
        data = parse_yaml(text)
    except yaml.YAMLError as exc:
        raise InvalidRecipe(malformed_yaml(path, exc)) from None
    return parse_recipe(data, str(path))


def parse_yaml(text: str) -> Any:
    """YAML read as recipe files are: by libyaml when it is there (it accepts a few texts the
    pure-Python parser refuses, such as ``[e?-commerce]``), else by the pure-Python parser,
    whose errors name the problem more plainly."""
    try:
        return yaml.load(text, Loader=_LOADER)
    except yaml.YAMLError:
        return yaml.load(text, Loader=_PLAIN_LOADER)


def malformed_yaml(path: Path, exc: Exception) -> str:
    """One line naming the file, the line and the problem of a YAML syntax error."""
    mark = getattr(exc, "problem_mark", None)
    where = f"{path}:{mark.line + 1}" if mark is not None else str(path)
    problem = getattr(exc, "problem", None) or "invalid syntax"
    if "another document" in problem:  # a `---` line starts a second recipe
        return f"{where}: a second YAML document (---); put each recipe in a file of its own"
    if "appears twice" in problem:
        return f"{where}: {problem}; keep one"
    return f"{where}: malformed YAML ({problem}); fix the syntax"


@dataclass
class LoadReport:
    """Recipes read from files, and one message per file that failed."""

    recipes: list[Recipe] = field(default_factory=list)
    files: list[Path] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def load_recipes(paths: Iterable[Path]) -> LoadReport:
    """Read every recipe under ``paths``; a reused id is an error."""
    report = LoadReport()
    seen: dict[str, Path] = {}
    for path in recipe_files(paths):
        try:
            recipe = load_recipe_file(path)
        except InvalidRecipe as exc:
            report.errors.append(exc.message)
            continue
        if recipe.id in seen:
            report.errors.append(f"{path}: id '{recipe.id}' is already used by {seen[recipe.id]}")
            continue
        seen[recipe.id] = path
        report.recipes.append(recipe)
        report.files.append(path)
    return report


def shipped_ids() -> set[str]:
    """The ids of the curated recipes shipped with mlkb, without parsing them: each file
    is named after its recipe (tests/seeds checks it)."""
    return {path.stem for path in (seeds_dir() / "recipes").rglob("*.yaml")}


def shipped_recipes() -> list[Recipe]:
    """The curated recipes shipped with mlkb."""
    report = load_recipes([seeds_dir() / "recipes"])
    if report.errors:
        raise InvalidRecipe(f"shipped seeds are invalid: {report.errors[0]}")
    return report.recipes

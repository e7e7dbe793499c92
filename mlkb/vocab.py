"""The data model's enumerations, without pydantic: the CLI declares its options with them
before any command runs (importing pydantic and building the models costs about 0.2 s)."""

from __future__ import annotations

from enum import StrEnum


class Area(StrEnum):
    """The areas a recipe belongs to."""

    data = "data"
    features = "features"
    training = "training"
    evaluation = "evaluation"
    optimization = "optimization"
    serving = "serving"
    monitoring = "monitoring"
    mlops = "mlops"
    responsible_ai = "responsible-ai"
    llm = "llm"


class Kind(StrEnum):
    """What an item in the knowledge base is."""

    recipe = "recipe"
    paper = "paper"
    model_card = "model_card"
    guide = "guide"
    note = "note"


class SearchMode(StrEnum):
    """How the query is matched."""

    hybrid = "hybrid"
    dense = "dense"
    sparse = "sparse"


def normalize_tags(tags: list[str] | tuple[str, ...]) -> list[str]:
    """Tags as stored and matched: lowercase, words joined by hyphens (``Fine Tuning`` is
    ``fine-tuning``, as the curated recipes write them), blanks and repeats dropped."""
    out: list[str] = []
    for tag in tags:
        tag = "-".join(tag.lower().split())
        if tag and tag not in out:
            out.append(tag)
    return out

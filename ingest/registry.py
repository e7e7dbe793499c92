"""Sources by name, and the one entry point the CLI and the API call: :func:`run`."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from types import ModuleType
from typing import Any

from pydantic import BaseModel, ValidationError

from ingest import arxiv_source, files_source, hf_source, url_source, web_source
from ingest.pipeline import Item, store
from ingest.report import IngestReport, Progress
from mlkb.errors import InputError
from mlkb.problems import problems
from mlkb.settings import Settings


@dataclass(frozen=True)
class Source:
    """A source: its parameters, its key check and its fetcher."""

    name: str
    params: type[BaseModel]
    check: Callable[[Any, Settings], None]
    """Raises ConfigError (naming the variable) before any work when a key is missing."""
    fetch: Callable[[Any, Settings, IngestReport], Iterable[Item]]
    """Yields Documents and Failures; raises SourceError when the service fails."""
    doc: str = ""


def _source(module: ModuleType) -> Source:
    return Source(
        name=module.NAME,
        params=module.Params,
        check=module.check,
        fetch=module.fetch,
        doc=(module.__doc__ or "").split("\n", 1)[0],
    )


SOURCES: dict[str, Source] = {
    s.name: s for s in map(_source, (arxiv_source, hf_source, url_source, web_source, files_source))
}
"""Every source, by the name used in ``mlkb ingest <name>`` and ``POST /v1/ingest/<name>``."""


def parse_params(source: str, params: Mapping[str, Any]) -> BaseModel:
    """Validated parameters for ``source``, or InputError saying what is wrong."""
    spec = SOURCES.get(source)
    if spec is None:
        raise InputError(f"unknown source '{source}'; choose one of {', '.join(SOURCES)}")
    try:
        return spec.params.model_validate(dict(params))
    except ValidationError as exc:
        first = problems(exc.errors(), unknown_field="is not an option of this source", whole="")[0]
        where = f"{first['loc']}: " if first["loc"] else ""
        raise InputError(f"ingest {source}: {where}{first['msg']}") from None


def run(
    kb: Any,
    source: str,
    params: Mapping[str, Any],
    progress: Progress | None = None,
    stop: threading.Event | None = None,
) -> IngestReport:
    """Ingest from ``source`` into ``kb`` and report what happened.

    ``params`` are the CLI options by name, e.g. ``{"query": "lora", "max": 5}`` for
    arxiv or ``{"urls": [...], "crawl": True}`` for url. Raises InputError for invalid
    params and ConfigError for a missing key, both before any work; SourceError when the
    service fails after retries (what was fetched before is stored). ``progress`` is
    called with the running report as items finish. Once ``stop`` is set, the run fetches
    nothing more and returns with what it stored (the report's ``stopped``).
    """
    parsed = parse_params(source, params)
    spec = SOURCES[source]
    spec.check(parsed, kb.settings)
    report = IngestReport(source=source)
    items = spec.fetch(parsed, kb.settings, report)
    if not isinstance(parsed, files_source.Params):
        store(kb, items, report, progress, stop=stop)
        return report
    ids_by_url: dict[str, str] = {}
    skipped: list[str] = []
    store(kb, files_source.noting(items, ids_by_url, skipped), report, progress, stop=stop)
    if not report.stopped:  # a stopped run noted files it fetched ahead and never stored
        files_source.drop_other_ids(kb, ids_by_url, report)
        files_source.drop_skipped(kb, skipped, report)
        if parsed.prune:
            files_source.prune(kb, parsed, report)
    return report


def _runner(source: str) -> Callable[..., IngestReport]:
    def ingest(kb: Any, *, progress: Progress | None = None, **params: Any) -> IngestReport:
        return run(kb, source, params, progress)

    ingest.__name__ = f"ingest_{source}"
    ingest.__doc__ = f"{SOURCES[source].doc} Parameters: see ``{source}`` in ``run``."
    return ingest


ingest_arxiv = _runner("arxiv")
ingest_hf = _runner("hf")
ingest_url = _runner("url")
ingest_web = _runner("web")
ingest_files = _runner("files")

"""``mlkb ingest arxiv|hf|url|web|files``: fetch literature into the knowledge base.

Exit codes: 0 all items stored (or unchanged); 1 bad input; 2 a missing key, an
unreachable service, or some items failed (listed in the closing report).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

import typer

ingest_app = typer.Typer(
    help="Fetch papers, model cards, web pages and local files into the knowledge base.",
    no_args_is_help=True,
)

QuietOpt = Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print the report as JSON.")]


@ingest_app.command("arxiv")
def arxiv_cmd(
    query: Annotated[str | None, typer.Argument(help="arXiv search query.")] = None,
    ids: Annotated[list[str] | None, typer.Option("--id", help="An arXiv id (repeatable).")] = None,
    max_results: Annotated[int, typer.Option("--max", min=1, help="Most papers to fetch.")] = 10,
    since: Annotated[
        dt.datetime | None,
        typer.Option(formats=["%Y-%m-%d"], help="Only papers submitted on or after this date."),
    ] = None,
    full_text: Annotated[
        bool, typer.Option("--full-text", help="Download each PDF and keep its text by section.")
    ] = False,
    quiet: QuietOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """arXiv papers by search or by id, as paper documents.

    Example: mlkb ingest arxiv "low-rank adaptation" --max 5 --since 2023-01-01
    Example: mlkb ingest arxiv --id 1706.03762 --id 2106.09685 --full-text
    """
    params: dict[str, Any] = {
        "query": query,
        "ids": ids or [],
        "max": max_results,
        "since": since.date() if since else None,
        "full_text": full_text,
    }
    _ingest("arxiv", params, quiet, as_json)


@ingest_app.command("hf")
def hf_cmd(
    model_ids: Annotated[list[str] | None, typer.Argument(help="Model ids on the Hub.")] = None,
    search: Annotated[str | None, typer.Option(help="Search the Hub for models.")] = None,
    task: Annotated[str | None, typer.Option(help="Only this pipeline tag.")] = None,
    library: Annotated[str | None, typer.Option(help="Only this library.")] = None,
    max_results: Annotated[int, typer.Option("--max", min=1, help="Most models to fetch.")] = 10,
    quiet: QuietOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """Hugging Face model cards, by id or by search, as model_card documents.

    Example: mlkb ingest hf google-bert/bert-base-uncased
    Example: mlkb ingest hf --search bert --task fill-mask --library transformers --max 5
    """
    params: dict[str, Any] = {
        "model_ids": model_ids or [],
        "search": search,
        "task": task,
        "library": library,
        "max": max_results,
    }
    _ingest("hf", params, quiet, as_json)


@ingest_app.command("url")
def url_cmd(
    urls: Annotated[list[str], typer.Argument(help="Pages (or sites, with --crawl).")],
    crawl: Annotated[bool, typer.Option(help="Crawl each site instead of one page.")] = False,
    limit: Annotated[int, typer.Option(min=1, help="Most pages per crawl.")] = 10,
    depth: Annotated[int | None, typer.Option(min=0, help="Most link hops per crawl.")] = None,
    quiet: QuietOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """Web pages through Firecrawl, as guide documents (needs FIRECRAWL_API_KEY).

    Example: mlkb ingest url https://huggingface.co/docs/peft/conceptual_guides/lora
    Example: mlkb ingest url https://pytorch.org/docs/stable/amp.html --crawl --limit 20 --depth 1
    """
    _ingest("url", {"urls": urls, "crawl": crawl, "limit": limit, "depth": depth}, quiet, as_json)


@ingest_app.command("web")
def web_cmd(
    query: Annotated[str, typer.Argument(help="What to search the web for.")],
    max_results: Annotated[int, typer.Option("--max", min=1, max=20, help="Most results.")] = 5,
    extract: Annotated[bool, typer.Option(help="Fetch each result's full content.")] = False,
    quiet: QuietOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """Tavily web search results, as guide documents (needs TAVILY_API_KEY).

    Example: mlkb ingest web "mixed precision training loss scaling" --max 5 --extract
    """
    _ingest("web", {"query": query, "max": max_results, "extract": extract}, quiet, as_json)


@ingest_app.command("files")
def files_cmd(
    paths: Annotated[list[str], typer.Argument(help="Files, folders or glob patterns.")],
    root: Annotated[
        str | None,
        typer.Option(
            help="Ids are paths relative to this folder (default: ~/ paths, or absolute)."
        ),
    ] = None,
    prune: Annotated[
        bool,
        typer.Option(help="Remove stored notes whose files are gone from the folders named."),
    ] = False,
    quiet: QuietOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """Markdown, text, HTML and PDF files from disk, as note documents.

    A file keeps its id (file:~/notes/lora.md) wherever you run this from, so ingesting it
    again updates it. Files with nothing to ingest are skipped and listed.

    Example: mlkb ingest files notes/ "docs/**/*.md" papers/lora.pdf
    Example: mlkb ingest files notes/ --prune  (keep the store in step with the folder)
    """
    import os

    # Relative paths name files from here; --root only decides how ids are written.
    here = [os.path.abspath(os.path.expanduser(p)) for p in paths]
    _ingest("files", {"paths": here, "root": root, "prune": prune}, quiet, as_json)


def _ingest(source: str, params: dict[str, Any], quiet: bool, as_json: bool) -> None:
    """Check the params and the key, open the store, run the source, print the report."""
    from ingest import SOURCES, parse_params, run
    from mlkb.cli._common import err_console, open_kb, settings
    from mlkb.errors import Interrupted, StoreLocked
    from mlkb.remote import find_server

    cfg = settings()
    SOURCES[source].check(parse_params(source, params), cfg)  # fail fast, before the model loads
    if (url := find_server(cfg)) is not None:
        raise StoreLocked(
            f"mlkb serve at {url} holds the store; queue the ingest there "
            f"(POST {url}/v1/ingest/{source}) or stop the server first"
        )
    show_bar = not quiet and not as_json and err_console.is_terminal
    latest: list[Any] = []

    def follow(report: Any) -> None:
        latest[:] = [report]
        if bar is not None:
            bar(report)

    with open_kb(local_only=True) as kb, _progress(show_bar, source) as bar:
        try:
            report = run(kb, source, params, follow)
        except KeyboardInterrupt:
            raise Interrupted(_interrupted(latest[0] if latest else None)) from None
    _print_report(report, as_json)
    if report.failed:
        raise typer.Exit(2)


def _interrupted(report: Any) -> str:
    """What an interrupted ingest kept, and how to finish it. The count is a floor: the
    batch being written when the interrupt came may be stored before it is counted."""
    stored = 0 if report is None else report.new + report.updated + report.unchanged
    of = f" of {report.total}" if report is not None and report.total else ""
    kept = f"at least {stored}{of} items were stored whole"
    if not stored:
        kept = f"no item{of} was reported stored yet"
    return f"interrupted: {kept}; run the same command again to finish (stored items are skipped)"


class _progress:
    """A rich progress bar on stderr fed by the report, or nothing."""

    def __init__(self, enabled: bool, source: str) -> None:
        self.enabled, self.source = enabled, source
        self._bar: Any = None
        self._task: Any = None

    def __enter__(self) -> Any:
        if not self.enabled:
            return None
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
        )

        from mlkb.cli._common import err_console

        self._bar = Progress(
            TextColumn(f"[bold]{self.source}[/]"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TextColumn("[dim]{task.description}[/]"),
            console=err_console,
            transient=True,
        )
        self._bar.start()
        self._task = self._bar.add_task("", total=None)
        return self.update

    def update(self, report: Any) -> None:
        """Move the bar to the report's count."""
        current = (report.current or "")[-60:]
        self._bar.update(self._task, total=report.total, completed=report.done, description=current)

    def __exit__(self, *exc: object) -> None:
        if self._bar is not None:
            self._bar.stop()


def _print_report(report: Any, as_json: bool) -> None:
    from rich.markup import escape

    from mlkb.cli._common import console, print_json

    if as_json:
        print_json(report.model_dump(mode="json"))
        return
    # One line each, never wrapped: a pipe or a log keeps every line whole.
    console.print(f"[bold]ingest {report.source}:[/] {escape(report.summary())}", soft_wrap=True)
    for label, items in (("[red]failed[/]", report.failed), ("[yellow]skipped[/]", report.skipped)):
        for item in items:
            line = f"  {label} {escape(item.id_or_url)}: {escape(item.error)}"
            console.print(line, soft_wrap=True)


def register(app: typer.Typer) -> None:
    """Add ``mlkb ingest`` and its commands to the app."""
    app.add_typer(ingest_app, name="ingest")

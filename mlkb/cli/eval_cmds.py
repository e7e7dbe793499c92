"""``mlkb eval``: retrieval quality on the seed queries or a BEIR dataset."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from mlkb.cli._common import JsonOpt, console, err_console, open_kb, print_json, settings
from mlkb.vocab import SearchMode


def eval_(
    mode: Annotated[
        list[SearchMode] | None, typer.Option(help="hybrid, dense, sparse (repeatable).")
    ] = None,
    beir: Annotated[
        Path | None, typer.Option(help="A BEIR dataset folder to score instead.")
    ] = None,
    split: Annotated[str, typer.Option(help="BEIR qrels split.")] = "test",
    queries: Annotated[
        Path | None, typer.Option(help="Labelled queries YAML (default: the shipped set).")
    ] = None,
    store: Annotated[
        Path | None, typer.Option(help="Keep the BEIR store here and reuse it next time.")
    ] = None,
    worst: Annotated[int, typer.Option(min=0, help="Print this many worst queries.")] = 5,
    min_ndcg: Annotated[
        float | None, typer.Option(min=0.0, max=1.0, help="Exit 1 if hybrid nDCG@10 is lower.")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Score retrieval: nDCG@10, recall@10 and MRR, per mode, with the worst queries.

    Example: mlkb eval --mode hybrid --mode dense --mode sparse
    """
    from mlkb.evaluate import kb_retriever, load_seed_queries, missing_recipes
    from mlkb.schema import Kind
    from mlkb.seeds import seeds_dir

    modes = mode or [SearchMode.hybrid]
    reports = []
    if beir is not None:
        from mlkb.cli._beir import beir_reports

        reports = beir_reports(settings(), beir, split, modes, store)
    else:
        path = queries or seeds_dir() / "eval" / "queries.yaml"
        texts, qrels = load_seed_queries(path)
        from mlkb.evaluate import evaluate

        with open_kb(local_only=True) as kb:
            if missing := missing_recipes(kb, qrels):
                shown = ", ".join(missing[:5]) + (", …" if len(missing) > 5 else "")
                err_console.print(
                    f"warning: {len(missing)} labelled "
                    + ("id is not a recipe" if len(missing) == 1 else "ids are not recipes")
                    + " in the store "
                    f"({shown}); they can only count as misses"
                )
            for m in modes:
                retrieve = kb_retriever(kb, m, kind=[Kind.recipe])
                reports.append(evaluate(path.name, texts, qrels, retrieve, m.value))
    if as_json:
        print_json([r.summary() | {"worst": [w.query for w in r.worst(worst)]} for r in reports])
    else:
        from rich.markup import escape
        from rich.table import Table

        table = Table(
            "set",
            "mode",
            "queries",
            "nDCG@10",
            "recall@10",
            "MRR@10",
            "s",
            box=None,
            header_style="bold",
        )
        for r in reports:
            s = r.summary()
            table.add_row(
                s["name"],
                s["mode"],
                str(s["queries"]),
                f"{s['ndcg@10']:.4f}",
                f"{s['recall@10']:.4f}",
                f"{s['mrr@10']:.4f}",
                f"{s['seconds']:.1f}",
            )
        console.print(table)
        for r in reports:
            if worst:
                console.print(f"\n[bold]worst queries ({r.mode})[/]")
            for q in r.worst(worst):
                want = [k for k, g in q.relevant.items() if g == 2] or list(q.relevant)
                # the relevant items the top 10 left out: what cost the score
                missed = [k for k, g in q.relevant.items() if g and k not in q.retrieved[:10]]
                console.print(f"  {q.ndcg:.2f}  {escape(q.query)}")
                # whole ids: a cut one cannot be looked up with `mlkb show`
                console.print(
                    f"        [dim]want {escape(', '.join(want))}; "
                    f"got {escape(', '.join(q.retrieved[:3]))}"
                    + (f"; missed {escape(', '.join(missed))}" if missed else "")
                    + "[/]"
                )
    hybrid = next((r for r in reports if r.mode == SearchMode.hybrid.value), None)
    if min_ndcg is not None and hybrid is not None and hybrid.ndcg < min_ndcg:
        console.print(f"[red]hybrid nDCG@10 {hybrid.ndcg:.4f} is below the floor {min_ndcg}[/]")
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    """Add this command to the app."""
    app.command("eval")(eval_)

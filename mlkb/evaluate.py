"""Retrieval quality: nDCG@10, recall@10 and MRR on labelled queries.

Two sources of labels: ``seeds/eval/queries.yaml`` (queries as users type them, graded
against the shipped recipes) and any dataset in BEIR format (``corpus.jsonl``,
``queries.jsonl``, ``qrels/<split>.tsv``), ingested into a throw-away store.
"""

from __future__ import annotations

import csv
import json
import math
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from mlkb.errors import InputError
from mlkb.schema import Document, Kind, SearchMode, SearchRequest
from mlkb.seeds import malformed_yaml

Qrels = dict[str, dict[str, int]]
CUTOFF = 10


@dataclass
class QueryScore:
    """One query's scores and what came back."""

    query: str
    ndcg: float
    recall: float
    rr: float
    retrieved: list[str]
    relevant: dict[str, int]


@dataclass
class EvalReport:
    """Mean scores over a query set."""

    name: str
    mode: str
    queries: int
    ndcg: float
    recall: float
    mrr: float
    seconds: float
    per_query: list[QueryScore] = field(default_factory=list, repr=False)

    def worst(self, n: int = 5) -> list[QueryScore]:
        """The queries with the lowest nDCG@10."""
        return sorted(self.per_query, key=lambda q: (q.ndcg, q.rr))[:n]

    def summary(self) -> dict[str, Any]:
        """The headline figures."""
        return {
            "name": self.name,
            "mode": self.mode,
            "queries": self.queries,
            "ndcg@10": round(self.ndcg, 4),
            "recall@10": round(self.recall, 4),
            "mrr@10": round(self.mrr, 4),
            "seconds": round(self.seconds, 1),
        }


def score_query(
    retrieved: list[str], relevant: dict[str, int], k: int = CUTOFF
) -> tuple[float, float, float]:
    """nDCG@k (linear gain, as trec_eval), recall@k and reciprocal rank within k."""
    top = retrieved[:k]
    dcg = sum(relevant.get(d, 0) / math.log2(i + 2) for i, d in enumerate(top))
    ideal = sorted((g for g in relevant.values() if g > 0), reverse=True)[:k]
    idcg = sum(g / math.log2(i + 2) for i, g in enumerate(ideal))
    positives = {d for d, g in relevant.items() if g > 0}
    recall = len(positives & set(top)) / len(positives) if positives else 0.0
    rr = next((1.0 / (i + 1) for i, d in enumerate(top) if d in positives), 0.0)
    return (dcg / idcg if idcg else 0.0), recall, rr


def evaluate(
    name: str,
    queries: dict[str, str],
    qrels: Qrels,
    retrieve: Callable[[str], list[str]],
    mode: str,
) -> EvalReport:
    """Score ``retrieve`` on every query that has judgements."""
    started = time.perf_counter()
    scores = []
    for qid, text in queries.items():
        relevant = qrels.get(qid)
        if not relevant:
            continue
        retrieved = retrieve(text)
        ndcg, recall, rr = score_query(retrieved, relevant)
        scores.append(QueryScore(text, ndcg, recall, rr, retrieved[:CUTOFF], relevant))
    if not scores:
        raise InputError(f"{name}: no query has relevance judgements; check the qrels file")
    n = len(scores)
    return EvalReport(
        name=name,
        mode=mode,
        queries=n,
        ndcg=sum(s.ndcg for s in scores) / n,
        recall=sum(s.recall for s in scores) / n,
        mrr=sum(s.rr for s in scores) / n,
        seconds=time.perf_counter() - started,
        per_query=scores,
    )


def load_seed_queries(path: Path) -> tuple[dict[str, str], Qrels]:
    """Queries and graded recipe ids from ``seeds/eval/queries.yaml``."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: cannot read the eval queries ({exc})") from None
    except yaml.YAMLError as exc:
        raise InputError(malformed_yaml(path, exc)) from None
    if not isinstance(data, list):
        raise InputError(f"{path}: expected a list of {{query, relevant}} entries")
    queries, qrels = {}, {}
    for i, entry in enumerate(data):
        where = f"{path}: entry {i + 1}"
        if (
            not isinstance(entry, dict)
            or "query" not in entry
            or not isinstance(entry.get("relevant"), dict)
        ):
            raise InputError(f"{where} needs 'query' and a 'relevant' mapping")
        if not str(entry["query"] or "").strip():
            raise InputError(f"{where}: the query is empty; write the question or drop the entry")
        grades = entry["relevant"]
        bad = [f"{k}: {v!r}" for k, v in grades.items() if type(v) is not int or v < 0]
        if bad or not grades:
            raise InputError(
                f"{where}: grades must be whole numbers >= 0 (2 answers, 1 related), "
                f"got {', '.join(bad) or 'none'}"
            )
        qid = f"q{i + 1}"
        queries[qid] = str(entry["query"])
        qrels[qid] = {str(k): v for k, v in grades.items()}
    return queries, qrels


def _jsonl(path: Path, needs: tuple[str, ...]) -> Iterator[dict[str, Any]]:
    """The objects of a JSON Lines file; a broken line is named, with its number."""
    try:
        with path.open(encoding="utf-8") as handle:
            for number, line in enumerate(handle, start=1):
                if not line.strip():
                    continue
                try:
                    record = json.loads(line)
                except json.JSONDecodeError as exc:
                    raise InputError(f"{path}: line {number}: not valid JSON ({exc.msg})") from None
                if not isinstance(record, dict) or any(key not in record for key in needs):
                    raise InputError(
                        f"{path}: line {number}: expected an object with {', '.join(needs)}"
                    )
                yield record
    except UnicodeDecodeError:
        raise InputError(f"{path}: not UTF-8 text; --beir takes a folder in BEIR format") from None


def load_beir(folder: Path, split: str) -> tuple[list[Document], dict[str, str], Qrels]:
    """A BEIR dataset: its corpus as documents, its queries and qrels for ``split``."""
    corpus_path, queries_path = folder / "corpus.jsonl", folder / "queries.jsonl"
    qrels_path = folder / "qrels" / f"{split}.tsv"
    for path in (corpus_path, queries_path, qrels_path):
        if not path.is_file():
            raise InputError(f"{path} not found; --beir takes a folder in BEIR format")
    qrels: Qrels = {}
    with qrels_path.open(encoding="utf-8", errors="replace") as handle:
        for number, row in enumerate(csv.reader(handle, delimiter="\t"), start=1):
            if not row or (number == 1 and row[:1] == ["query-id"]):
                continue  # a blank line, or the header
            if len(row) < 3 or not row[2].strip().lstrip("-").isdigit():
                raise InputError(
                    f"{qrels_path}: line {number}: expected query-id, corpus-id and an "
                    "integer score, separated by tabs"
                )
            qrels.setdefault(row[0], {})[f"doc:{row[1]}"] = int(row[2])
    queries = {
        str(q["_id"]): str(q["text"])
        for q in _jsonl(queries_path, ("_id", "text"))
        if str(q["_id"]) in qrels
    }
    docs = [
        Document(
            id=f"doc:{d['_id']}",
            kind=Kind.paper,
            source="beir",
            title=str(d.get("title") or d["_id"])[:500],
            text=str(d.get("text") or d.get("title")),
        )
        for d in _jsonl(corpus_path, ("_id",))
        if (d.get("text") or d.get("title"))
    ]
    return docs, queries, qrels


def kb_retriever(
    kb: Any, mode: SearchMode, kind: list[Kind] | None = None
) -> Callable[[str], list[str]]:
    """A retrieve function over a knowledge base: query -> ranked item ids."""

    def retrieve(query: str) -> list[str]:
        request = SearchRequest(query=query[:10_000], k=CUTOFF, mode=mode, kind=kind or [])
        return [h.id for h in kb.search(request).hits]

    return retrieve


def missing_recipes(kb: Any, qrels: Qrels) -> list[str]:
    """The labelled recipe ids the store does not hold: each can only count as a miss,
    which usually means a typo in the labels or a recipe removed since."""
    from mlkb.records import point_id, recipe_key

    labelled = sorted({item for grades in qrels.values() for item in grades})
    found = kb.store.retrieve([point_id(recipe_key(i)) for i in labelled], payload=["item_id"])
    held = {point.payload.get("item_id") for point in found}
    return [item for item in labelled if item not in held]

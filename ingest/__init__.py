"""mlkb's ingest wing: arXiv papers, Hugging Face model cards, Firecrawl pages, Tavily
search results and local files, into a :class:`mlkb.KnowledgeBase`.

    from ingest import run
    report = run(kb, "arxiv", {"ids": ["1706.03762"], "full_text": True})
    print(report.summary())

Client libraries (arxiv, huggingface_hub, firecrawl, tavily, pypdf) are imported only
when a source runs.
"""

from __future__ import annotations

from ingest.registry import (
    SOURCES,
    Source,
    ingest_arxiv,
    ingest_files,
    ingest_hf,
    ingest_url,
    ingest_web,
    parse_params,
    run,
)
from ingest.report import Failure, IngestReport, Progress, Skipped

__all__ = [
    "SOURCES",
    "Failure",
    "IngestReport",
    "Progress",
    "Skipped",
    "Source",
    "ingest_arxiv",
    "ingest_files",
    "ingest_hf",
    "ingest_url",
    "ingest_web",
    "parse_params",
    "run",
]

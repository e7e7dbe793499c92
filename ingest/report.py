"""What an ingest run reports: counts, failures, chunks written, time taken."""

from __future__ import annotations

from collections.abc import Callable

from pydantic import BaseModel, Field


class Failure(BaseModel):
    """One item that could not be ingested, and why."""

    id_or_url: str
    error: str


class Skipped(Failure):
    """An item with nothing to ingest (binary content, no text): listed, not a failure."""


class IngestReport(BaseModel):
    """The outcome of one ingest run (also sent, as it grows, to the progress callback)."""

    source: str
    total: int | None = None
    """Items the run expects to handle, once known (None for an open-ended crawl)."""
    fetched: int = 0
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    failed: list[Failure] = Field(default_factory=list)
    skipped: list[Failure] = Field(default_factory=list)
    """Items with nothing to ingest (binary content, no text); they fail nothing."""
    pruned: list[str] = Field(default_factory=list)
    """Ids of stored items removed because their source is gone (files ``--prune``), or
    because this run stored the same file under another id (another ``--root``)."""
    chunks: int = 0
    """Chunks written (unchanged documents write none)."""
    seconds: float = 0.0
    current: str | None = None
    """The item handled last."""
    stopped: bool = False
    """The run was asked to stop and left items of its source unfetched."""

    @property
    def done(self) -> int:
        """Items finished so far: stored, unchanged, failed or skipped."""
        return self.new + self.updated + self.unchanged + len(self.failed) + len(self.skipped)

    def summary(self) -> str:
        """One line for people."""
        rate = ""
        if self.seconds and self.chunks:
            rate = f", {self.chunks / self.seconds:.1f} chunks/s"
        skipped = f"skipped {len(self.skipped)} · " if self.skipped else ""
        skipped += f"pruned {len(self.pruned)} · " if self.pruned else ""
        return (
            f"fetched {self.fetched} · new {self.new} · updated {self.updated} · "
            f"unchanged {self.unchanged} · failed {len(self.failed)} · {skipped}"
            f"{self.chunks} chunks in {self.seconds:.1f} s{rate}"
        )


Progress = Callable[[IngestReport], None]
"""Called with the running report whenever an item is done (or the total becomes known)."""

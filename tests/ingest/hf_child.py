"""Runs a Hub ingest in a fresh process and prints the outcome as JSON.

The suite's conftest sets HF_HUB_OFFLINE=1 (the embedding model must never come from the
network), and huggingface_hub reads it once, at import. The Hub tests therefore run the
ingest here, in a child process started with the variable the test chooses.

    python hf_child.py '{"base": URL, "params": {...}, "runs": 1}'
"""

from __future__ import annotations

import json
import sys

from ingest import run
from mlkb import KnowledgeBase, MlkbError, Settings
from mlkb.embed.fake import FakeEmbedder


def main() -> None:
    """Ingest ``runs`` times, then dump the reports and every stored document."""
    args = json.loads(sys.argv[1])
    settings = Settings(
        embed_model="fake",
        hf_endpoint=args["base"],
        http_retries=2,
        retry_backoff=0.01,
        http_timeout=5,
    )
    out: dict[str, object] = {"reports": []}
    with KnowledgeBase(settings, embedder=FakeEmbedder(), seed=False) as kb:
        try:
            for _ in range(args.get("runs", 1)):
                out["reports"].append(run(kb, "hf", args["params"]).model_dump(mode="json"))  # type: ignore[union-attr]
        except MlkbError as exc:
            out["error"] = {"code": exc.code, "message": exc.message}
        heads = [p.payload["item_id"] for p in kb.iter_points() if p.payload.get("position") == 0]
        out["docs"] = {i: kb.get(i).model_dump(mode="json") for i in heads}
        out["points"] = kb.store.count()
    sys.stdout.write(json.dumps(out))


if __name__ == "__main__":
    main()

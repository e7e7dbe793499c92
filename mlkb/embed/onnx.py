"""The embedding model run with onnxruntime + tokenizers, from its ONNX export
(``mlkb.embed.export``); needs neither torch nor transformers."""

from __future__ import annotations

import json
from collections import deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

from mlkb.embed.base import Matrix

_MODEL = "model.onnx"
_TOKENIZER = "tokenizer.json"
_META = "mlkb-onnx.json"

_UNFUSED = ["SkipLayerNormFusion"]
"""Fusions a session must not make. onnxruntime's SkipLayerNormalization kernel took
1.9 ms where the Add and LayerNormalization it replaces take 0.26 ms (batch 4 x 250
pieces x 384, one thread), 18% of the int8 model's time; without it the int8 model embeds
SciFact chunks 1.2x faster, with the same vectors in fp32 (cosine 0.99999). Exports made
before keep the fused operator in their graph."""


def export_tokenizer(folder: Path) -> tuple[Any, int]:
    """The tokenizer of the export in ``folder`` and the model's longest input, in pieces."""
    from tokenizers import Tokenizer

    meta = json.loads((folder / _META).read_text())
    return Tokenizer.from_file(str(folder / _TOKENIZER)), int(meta["max_length"])


def session(model: Path, options: Any) -> Any:
    """An onnxruntime session of ``model`` on the CPU, without the ``_UNFUSED`` fusions."""
    import onnxruntime as ort

    return ort.InferenceSession(
        str(model), options, providers=["CPUExecutionProvider"], disabled_optimizers=_UNFUSED
    )


class OnnxEncoder:
    """Embeds texts with onnxruntime; no torch import.

    ``workers`` sessions of one thread each: a query needs one (too small to split across
    threads); document batches run on one per core, in parallel, since onnxruntime lets go
    of the GIL while it runs. On 2 cores, two one-thread sessions on batches of 4 embedded
    192 SciFact abstracts in 10.0 s, against 12.6 s for one two-thread session on batches
    of 16: small batches stay in cache and no thread waits on another within a batch.
    ``threads`` splits each run of a session across threads, without spin-waiting: a short
    query took 5.2-5.6 ms on two threads against 8.0-8.7 ms on one; spinning threads were
    faster still alone but took the other core from concurrent requests (a server's
    throughput fell from 79.6 to 66.3 searches/s).
    ``light`` skips graph optimization and weight prepacking: the session loads in 0.04 s
    instead of 0.16 s and a query runs in 19 ms instead of 8 ms, the better trade for a
    process that embeds one query and exits. The vectors are the same (cosine >= 0.999,
    tested)."""

    def __init__(
        self,
        folder: Path,
        workers: int = 1,
        *,
        light: bool = False,
        threads: int = 1,
        on_build: Callable[[], None] | None = None,
    ) -> None:
        """``on_build`` is called as the sessions start building, which onnxruntime does
        without holding the GIL."""
        import onnxruntime as ort  # about 0.1 s
        from tokenizers import Tokenizer

        meta = json.loads((folder / _META).read_text())
        self.light = light
        self.dim = int(meta["dim"])
        self._tokenizer = Tokenizer.from_file(str(folder / _TOKENIZER))
        self._tokenizer.enable_truncation(max_length=int(meta["max_length"]))
        self._tokenizer.no_padding()  # each batch is padded to its own longest text
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        options.log_severity_level = 3
        if light:
            options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
            options.add_session_config_entry("session.disable_prepacking", "1")
        if on_build is not None:
            on_build()
        self._sessions = [session(folder / _MODEL, options) for _ in range(max(1, workers))]

    def encode(self, texts: list[str]) -> Matrix:
        """Embed texts as one batch to normalized vectors, shape (len(texts), dim)."""
        return self._run(self._tokenizer.encode_batch(texts), self._sessions[0])

    def encode_many(self, texts: list[str], batch_size: int) -> Matrix:
        """Embed many texts in batches of similar length, so little time goes to padding,
        spread over the sessions; the vectors come back in the order of ``texts``."""
        encodings = self._tokenizer.encode_batch(texts)
        order = np.argsort([-len(e.ids) for e in encodings], kind="stable")
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        batches = deque(
            order[start : start + batch_size] for start in range(0, len(order), batch_size)
        )
        workers = min(len(self._sessions), len(batches))

        def work(worker: int) -> None:
            # Longest batches first, each worker taking the next as it finishes: the
            # workers end together, within one short batch of each other.
            while True:
                try:
                    rows = batches.popleft()
                except IndexError:
                    return
                out[rows] = self._run([encodings[i] for i in rows], self._sessions[worker])

        if workers <= 1:
            work(0)
        else:
            with ThreadPoolExecutor(workers) as pool:
                list(pool.map(work, range(workers)))
        return out

    def _run(self, encodings: list[Any], session: Any) -> Matrix:
        width = max(len(e.ids) for e in encodings)
        feeds = {
            name: np.zeros((len(encodings), width), dtype=np.int64)
            for name in ("input_ids", "attention_mask", "token_type_ids")
        }
        for row, e in enumerate(encodings):
            n = len(e.ids)
            feeds["input_ids"][row, :n] = e.ids
            feeds["attention_mask"][row, :n] = e.attention_mask
            feeds["token_type_ids"][row, :n] = e.type_ids
        out = session.run(["embedding"], feeds)[0]
        return np.asarray(out, dtype=np.float32)

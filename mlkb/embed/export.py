"""The embedding model exported to ONNX: the folder an export lives in, and how it is made.

``export_onnx`` needs torch and runs once per model; ``mlkb.embed.onnx`` runs the export
without it. The export is verified against sentence-transformers before it is kept
(cosine >= 0.999 on sample texts), so both runtimes give the same vectors.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from mlkb.embed.base import Matrix
from mlkb.embed.onnx import _META, _MODEL, _TOKENIZER, OnnxEncoder
from mlkb.errors import ConfigError

_WEIGHTS = "model.data"
_TRACED = "traced.onnx"
_FORMAT = 2
"""Export layout: 2 keeps the weights in ``model.data`` beside the graph, which
onnxruntime memory-maps instead of parsing them out of one 90 MB protobuf (a session
loaded in 0.16 s instead of 0.36-0.41 s). Older exports are upgraded on first use."""
_CHECK_TEXTS = [
    "drift detection for a pricing model",
    "How do I quantize BERT to INT8 without losing accuracy?",
    "feature store",
]


def _meta(folder: Path) -> dict[str, Any] | None:
    """An export's meta file, or None when it is missing or unreadable."""
    try:
        meta = json.loads((folder / _META).read_text())
    except (OSError, ValueError):
        return None
    return meta if isinstance(meta, dict) else None


def is_exported(folder: Path) -> bool:
    """True when ``folder`` holds a complete, verified export in the current layout."""
    meta = _meta(folder)
    return (
        meta is not None
        and meta.get("format") == _FORMAT
        and (folder / _MODEL).is_file()
        and (folder / _WEIGHTS).is_file()
    )


@contextlib.contextmanager
def export_lock(folder: Path) -> Iterator[None]:
    """One process at a time makes or upgrades an export; the others wait, then use it."""
    folder.parent.mkdir(parents=True, exist_ok=True)
    with open(folder.parent / f".{folder.name}.lock", "a") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def upgrade_export(folder: Path) -> bool:
    """Move the weights of an older export (all in ``model.onnx``) into ``model.data``,
    without torch; False when ``folder`` holds no export to upgrade. Call it under
    ``export_lock``."""
    meta = _meta(folder)
    if meta is None or meta.get("format") == _FORMAT or not (folder / _MODEL).is_file():
        return False
    with _staged(folder) as tmp:
        shutil.copy2(folder / _MODEL, tmp / _MODEL)
        shutil.copy2(folder / _TOKENIZER, tmp / _TOKENIZER)
        _save_graph(_load_graph(tmp / _MODEL), tmp / _MODEL)
        (tmp / _META).write_text(json.dumps({**meta, "format": _FORMAT}))
    return True


@contextlib.contextmanager
def _staged(folder: Path) -> Iterator[Path]:
    """A temporary folder beside ``folder`` that replaces it when the block succeeds; on
    an error ``folder`` is left as it was."""
    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".export-", dir=folder.parent))
    try:
        yield tmp
        if folder.exists():
            shutil.rmtree(folder)
        tmp.rename(folder)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)


def export_onnx(st_model: Any, folder: Path) -> None:
    """Export a sentence-transformers model (transformer + pooling + normalize) to ONNX.

    A BERT-family model is traced with eager attention and the graph rewritten with
    onnxruntime's fused operators (Attention, FastGelu), which run faster on CPU. The fused
    graph is kept when it matches the model, else the traced one when that does; else the
    export fails and nothing is kept."""
    import warnings

    import torch  # heavy, export only

    transformer = st_model[0].auto_model
    pooling = st_model[1] if len(st_model) > 1 else None
    mode = (getattr(pooling, "pooling_mode_cls_token", False) and "cls") or "mean"
    normalize = any(type(m).__name__ == "Normalize" for m in st_model)
    max_len = int(getattr(st_model, "max_seq_length", 256) or 256)
    fusable = getattr(transformer.config, "model_type", None) in _FUSABLE

    class _Wrapper(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.transformer = transformer

        def forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any) -> Any:
            out = self.transformer(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            )[0]
            if mode == "cls":
                emb = out[:, 0]
            else:
                mask = attention_mask.unsqueeze(-1).to(out.dtype)
                emb = (out * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            if normalize:
                emb = torch.nn.functional.normalize(emb, p=2, dim=1)
            return emb

    with _staged(folder) as tmp:
        wrapper = _Wrapper().eval()
        enc = st_model.tokenizer(["hello world"], return_tensors="pt")
        ids = enc["input_ids"]
        mask = enc["attention_mask"]
        types = enc.get("token_type_ids", torch.zeros_like(ids))
        # Tracing warns about shape-dependent branches it freezes; the check below
        # compares the export with the model, so they are noise here.
        eager = _eager_attention(transformer) if fusable else contextlib.nullcontext()
        with torch.no_grad(), warnings.catch_warnings(), eager:
            warnings.simplefilter("ignore")
            torch.onnx.export(
                wrapper,
                (ids, mask, types),
                str(tmp / _TRACED),
                input_names=["input_ids", "attention_mask", "token_type_ids"],
                output_names=["embedding"],
                dynamic_axes={
                    "input_ids": {0: "batch", 1: "seq"},
                    "attention_mask": {0: "batch", 1: "seq"},
                    "token_type_ids": {0: "batch", 1: "seq"},
                    "embedding": {0: "batch"},
                },
                opset_version=17,
                dynamo=False,
            )
        st_model.tokenizer.backend_tokenizer.save(str(tmp / _TOKENIZER))
        want = st_model.encode(_CHECK_TEXTS, normalize_embeddings=True)
        meta = {"dim": embedding_dimension(st_model), "max_length": max_len, "format": _FORMAT}
        fused = _fused_graph(tmp / _TRACED, transformer.config) if fusable else None
        kept = False
        if fused is not None:
            _write_export(fused, tmp, {**meta, "fused": True})
            with contextlib.suppress(Exception):  # onnxruntime may reject the rewritten graph
                kept = _min_cosine(tmp, want) >= 0.999
        if not kept:
            _write_export(_load_graph(tmp / _TRACED), tmp, {**meta, "fused": False})
            cos = _min_cosine(tmp, want)
            if cos < 0.999:
                raise ConfigError(
                    f"ONNX export differs from the model (cosine {cos:.4f}); "
                    "set MLKB_ONNX_QUERY=false and MLKB_ONNX_DOCUMENTS=false to embed with torch"
                )
        (tmp / _TRACED).unlink()


def _write_export(graph: Any, folder: Path, meta: dict[str, Any]) -> None:
    """Make ``graph`` the export in ``folder``, replacing any graph written before."""
    _save_graph(graph, folder / _MODEL)
    (folder / _META).write_text(json.dumps(meta))


def _min_cosine(folder: Path, want: Matrix) -> float:
    """The lowest cosine between the export's vectors of ``_CHECK_TEXTS`` and ``want``."""
    got = OnnxEncoder(folder).encode(_CHECK_TEXTS)
    norms = np.linalg.norm(want, axis=1) * np.linalg.norm(got, axis=1)
    return float(((want * got).sum(1) / norms).min())


@contextlib.contextmanager
def _eager_attention(transformer: Any) -> Iterator[None]:
    """Trace attention as plain matmuls and softmax, the pattern onnxruntime fuses;
    transformers' default, scaled_dot_product_attention, exports as a graph it cannot
    fuse. Without ``set_attn_implementation`` (older transformers) the model is traced as
    it is."""
    switch = getattr(transformer, "set_attn_implementation", None)
    before = getattr(transformer.config, "_attn_implementation", None)
    if switch is None or before in (None, "eager"):
        yield
        return
    try:
        switch("eager")
    except (ValueError, ImportError):  # the model has no eager path
        yield
        return
    try:
        yield
    finally:
        switch(before)


_FUSABLE = ("bert", "roberta", "xlm-roberta")
"""Model types whose encoder layers onnxruntime's BERT optimizer knows."""


def _fused_graph(path: Path, config: Any) -> Any | None:
    """The graph at ``path`` of a ``_FUSABLE`` model with onnxruntime's fused transformer
    operators, or None when no attention could be fused. all-MiniLM-L6-v2
    falls from about 700 nodes to 86 (speed-ups in bench/README.md, Ingest)."""
    heads, hidden = getattr(config, "num_attention_heads", 0), getattr(config, "hidden_size", 0)
    if not heads or not hidden:
        return None
    try:
        from onnxruntime.transformers.fusion_options import FusionOptions
        from onnxruntime.transformers.optimizer import optimize_model
    except ImportError:
        return None
    options = FusionOptions("bert")
    options.enable_skip_layer_norm = False  # see mlkb.embed.onnx._UNFUSED
    # GELU by its tanh form: 1.3x faster as an operator, vectors at cosine 0.999998 of
    # the exact erf form's on 300 SciFact chunks (fp32)
    options.enable_gelu_approximation = True
    logging.disable(logging.WARNING)  # the optimizer notes each pattern it did not find
    try:
        # opt_level=0: the fusions only; onnxruntime applies its own when a session loads.
        optimized = optimize_model(
            str(path),
            model_type="bert",
            num_heads=heads,
            hidden_size=hidden,
            opt_level=0,
            optimization_options=options,
        )
    except Exception:  # an optional rewrite: the traced graph still works
        return None
    finally:
        logging.disable(logging.NOTSET)
    if not optimized.get_fused_operator_statistics().get("Attention"):
        return None
    graph = optimized.model
    if not any(o.domain == "com.microsoft" for o in graph.opset_import):
        graph.opset_import.add(domain="com.microsoft", version=1)  # the fused operators'
    return graph


def _load_graph(path: Path) -> Any:
    """An ONNX graph with its weights, wherever they are stored."""
    import onnx

    return onnx.load(str(path))


def _save_graph(graph: Any, path: Path) -> None:
    """Write an ONNX graph with its weights in one external file beside it."""
    import onnx

    (path.parent / _WEIGHTS).unlink(missing_ok=True)  # onnx appends to an existing file
    onnx.save_model(
        graph,
        str(path),
        save_as_external_data=True,
        all_tensors_to_one_file=True,
        location=_WEIGHTS,
        size_threshold=1024,
    )


def embedding_dimension(st_model: Any) -> int:
    """The model's output dimension (the method was renamed in sentence-transformers 6)."""
    getter = (
        getattr(st_model, "get_embedding_dimension", None)
        or st_model.get_sentence_embedding_dimension
    )
    return int(getter())

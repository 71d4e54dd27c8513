"""Stage 4: scale. Synthetic corpora of 10k-1M chunks: each FAISS index type alone, then the whole ask path,
then the saved index served from a fresh process (load time, resident memory by part).

Alone: `python -m bench.scale --sizes 1M [--ann flat,hnsw] [--out artifacts/bench-scale]`.
"""
from __future__ import annotations

import gc
import math
import os
import random
import re
import shutil
import tempfile
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Sequence

import numpy as np

from qa.config import Settings

from .common import (
    DIM, SEED, LATENT_DIM, LATENT_NOISE, QUERY_NOISE, HNSW_M, HNSW_EF_CONSTRUCTION, HNSW_EF_SEARCH,
    PRODUCT_EF_SEARCH, IVF_NPROBE, IVF_TRAIN_PER_LIST, IVF_TRAIN_MAX, IVF_NITER, FLAT_FEW_QUERIES_ABOVE,
    FLAT_FEW_QUERIES, TARGETS, MODES, say, stats, rss_mb, peak_rss_mb, dir_bytes, fmt_n, run_child, _malloc_trim,
)

if TYPE_CHECKING:
    from .run import BenchConfig

def synthetic_vectors(n: int, dim: int = DIM, seed: int = SEED, kind: str = "latent",
                      block: int = 100_000) -> np.ndarray:
    """n seeded float32 unit vectors. 'latent': a LATENT_DIM-dim Gaussian projected to `dim`
    dims, normalised, plus LATENT_NOISE isotropic noise (structure like sentence embeddings, whose
    neighbours are meaningful); 'iso': pure isotropic noise (no structure: ANN's worst case)."""
    rng = np.random.default_rng(seed)
    basis = rng.standard_normal((LATENT_DIM, dim), dtype=np.float32)
    out = np.empty((n, dim), dtype=np.float32)
    for s in range(0, n, block):
        m = min(block, n - s)
        if kind == "iso":
            x = rng.standard_normal((m, dim), dtype=np.float32)
        else:
            x = rng.standard_normal((m, LATENT_DIM), dtype=np.float32) @ basis
            x /= np.linalg.norm(x, axis=1, keepdims=True)
            x += rng.standard_normal((m, dim), dtype=np.float32) * np.float32(LATENT_NOISE / math.sqrt(dim))
        x /= np.linalg.norm(x, axis=1, keepdims=True)
        out[s : s + m] = x
    return out


def synthetic_queries(data: np.ndarray, n: int, seed: int = SEED + 1) -> np.ndarray:
    """n queries near data points: a random data vector plus noise, normalised (cosine ~0.9)."""
    rng = np.random.default_rng(seed)
    rows = rng.integers(0, len(data), n)
    q = data[rows] + rng.standard_normal((n, data.shape[1]), dtype=np.float32) * np.float32(
        QUERY_NOISE / math.sqrt(data.shape[1]))
    return np.ascontiguousarray(q / np.linalg.norm(q, axis=1, keepdims=True), dtype=np.float32)


def _time_searches(index: Any, queries: np.ndarray, k: int = 10) -> tuple[dict[str, float], np.ndarray]:
    for q in queries[:3]:  # warm up
        index.search(q.reshape(1, -1), k)
    times, rows = [], []
    for q in queries:
        t = time.perf_counter()
        _, r = index.search(q.reshape(1, -1), k)
        times.append((time.perf_counter() - t) * 1000)
        rows.append(r[0])
    return stats(times), np.stack(rows)


def recall_at(found: np.ndarray, truth: np.ndarray, k: int = 10) -> float:
    return float(np.mean([len(set(f[:k]) & set(t[:k]) - {-1}) / k for f, t in zip(found, truth)]))


def ann_worker(x_path: str, q_path: str, gt_path: str, kind: str, index_path: str | None = None,
               ef_construction: int = HNSW_EF_CONSTRUCTION, threads: int = 0) -> dict[str, Any]:
    """Build one FAISS index over the vectors in x_path; time it, weigh it, query it."""
    import faiss

    if threads:
        faiss.omp_set_num_threads(threads)
    rss0 = rss_mb()
    x = np.load(x_path)
    queries = np.load(q_path)
    n, dim = x.shape
    rss_data = rss_mb()
    out: dict[str, Any] = {"kind": kind, "n": n}
    t = time.perf_counter()
    keep: list[Any] = []
    if kind == "flat":
        index = faiss.IndexFlatIP(dim)
        index.add(x)
        out["params"] = {}
    elif kind in HNSW_STORAGE:
        index = _hnsw_index(kind, dim)
        if not index.is_trained:  # SQ8 learns each dimension's range
            index.train(x[np.random.default_rng(SEED).choice(n, min(n, 100_000), replace=False)])
        index.hnsw.efConstruction = ef_construction
        index.add(x)
        out["params"] = {"M": HNSW_M, "efConstruction": ef_construction, "storage": HNSW_STORAGE[kind]}
    elif kind == "ivf":
        nlist = max(1, int(4 * math.sqrt(n)))
        quantizer = faiss.IndexFlatIP(dim)
        keep.append(quantizer)
        index = faiss.IndexIVFFlat(quantizer, dim, nlist, faiss.METRIC_INNER_PRODUCT)
        index.cp.niter = IVF_NITER
        train_n = min(n, IVF_TRAIN_PER_LIST * nlist, max(IVF_TRAIN_MAX, nlist))
        sample = x if train_n >= n else x[np.random.default_rng(SEED).choice(n, train_n, replace=False)]
        index.train(sample)
        del sample
        index.add(x)
        out["params"] = {"nlist": nlist, "train": train_n, "niter": IVF_NITER}
    else:
        raise ValueError(f"unknown index kind {kind!r}")
    out["build_s"] = time.perf_counter() - t
    out["rss_data_mb"] = rss_data - rss0
    out["index_mb"] = rss_mb() - rss_data  # what the index adds on top of the caller's vectors
    out["peak_rss_mb"] = peak_rss_mb()
    if index_path:
        path = index_path
    else:
        fd, path = tempfile.mkstemp(prefix="qa-bench-", suffix=".faiss")
        os.close(fd)
    faiss.write_index(index, path)
    out["disk_mb"] = os.path.getsize(path) / 2**20
    if index_path is None:
        os.unlink(path)
    if kind == "flat":
        if not os.path.exists(gt_path):
            _, gt = index.search(queries, 10)
            np.save(gt_path, gt)
    truth = np.load(gt_path)
    settings: list[tuple[str, Callable[[], None]]] = []
    if kind == "flat":  # faiss's default OpenMP threads (as the product runs), and one thread
        default_threads = faiss.omp_get_max_threads()
        settings = [("exact", lambda: faiss.omp_set_num_threads(default_threads)),
                    ("exact, 1 thread", lambda: faiss.omp_set_num_threads(1))]
    elif kind in HNSW_STORAGE:
        settings = [(f"efSearch={ef}", (lambda ef=ef: setattr(index.hnsw, "efSearch", ef))) for ef in HNSW_EF_SEARCH]
    else:
        settings = [(f"nprobe={p}", (lambda p=p: setattr(index, "nprobe", p))) for p in IVF_NPROBE
                    if p <= out["params"]["nlist"]]
    out["search"] = {}
    timed = queries
    if kind == "flat" and n > FLAT_FEW_QUERIES_ABOVE:  # a scan takes the same time for every query
        timed = queries[:FLAT_FEW_QUERIES]
    for name, apply in settings:
        apply()
        st, rows = _time_searches(index, timed)
        out["search"][name] = {**st, "recall@10": recall_at(rows, truth[: len(timed)])}
    if kind == "flat":
        faiss.omp_set_num_threads(default_threads)
    if kind in HNSW_STORAGE:
        index.hnsw.efSearch = PRODUCT_EF_SEARCH
        if index_path:
            faiss.write_index(index, index_path)
    return out


# HNSW kinds measured: the product's (fp16 storage, as make_faiss) and, for comparison, float32 and int8
HNSW_STORAGE = {"hnsw": "fp16", "hnsw-fp32": "fp32", "hnsw-sq8": "sq8"}


def _hnsw_index(kind: str, dim: int) -> Any:
    import faiss

    quantizer = {"fp16": faiss.ScalarQuantizer.QT_fp16, "sq8": faiss.ScalarQuantizer.QT_8bit}.get(HNSW_STORAGE[kind])
    if quantizer is None:
        return faiss.IndexHNSWFlat(dim, HNSW_M, faiss.METRIC_INNER_PRODUCT)
    return faiss.IndexHNSWSQ(dim, quantizer, HNSW_M, faiss.METRIC_INNER_PRODUCT)


def _renumber(text: str, rng: random.Random) -> str:
    """The same text with every number changed (years kept, so periods still read right)."""
    def repl(m: re.Match) -> str:
        s = m.group(0)
        if re.fullmatch(r"(19|20)\d\d", s):
            return s
        if "." in s:
            a, b = s.split(".", 1)
            return f"{rng.randint(0, 10 ** len(a) - 1)}.{rng.randint(0, 10 ** len(b) - 1):0{len(b)}d}"
        return str(rng.randint(1, max(9, 10 ** len(s) - 1)))

    return re.sub(r"\d+(?:\.\d+)?", repl, text)


@dataclass
class SyntheticCorpus:
    documents: dict[str, Any]
    chunks: tuple[Any, ...]
    base_tokens: list[list[str]]  # per base variant
    extra_tokens: list[list[str]]  # per extra sentence variant
    choice: np.ndarray  # (n, 2): base variant, extra sentence variant of each chunk

    def token_lists(self) -> list[list[str]]:
        b, e = self.base_tokens, self.extra_tokens
        return [b[i] + e[j] for i, j in self.choice.tolist()]


def synthetic_corpus(corpus_dir: str, n: int, seed: int = SEED, base_variants: int = 20,
                     sentence_variants: int = 3) -> SyntheticCorpus:
    """n chunks made from the report: a real chunk with its numbers changed plus one more of the
    report's sentences (numbers changed too). Each piece is tokenised once (qa.query.tokenize, as the
    index does), so a million chunks cost seconds, not the hours jieba would take on each text."""
    from qa.chunking import chunk_document, indexable_text
    from qa.ingest import load_corpus
    from qa.query import tokenize

    s = Settings.from_env(corpus_dir=corpus_dir)
    docs, _ = load_corpus(corpus_dir)
    real = [c for d in docs for c in chunk_document(d, s.chunk_min, s.chunk_max)]
    sentences = [d.text[a:b].strip() for d in docs for p in d.paragraphs for a, b in p.sentences]
    sentences = [x for x in sentences if len(x) >= 8] or [c.text for c in real]
    rng = random.Random(seed)
    bases = []  # (real chunk, text, tokens)
    for c in real:
        for v in range(base_variants):
            text = c.text if v == 0 else _renumber(c.text, rng)
            bases.append((c, text, tokenize(indexable_text(replace(c, text=text)))))
    extras = []
    for x in sentences:
        for v in range(sentence_variants):
            text = x if v == 0 else _renumber(x, rng)
            extras.append((text, tokenize(text)))
    nrng = np.random.default_rng(seed)
    choice = np.stack([nrng.integers(0, len(bases), n), nrng.integers(0, len(extras), n)], axis=1)
    chunks = []
    for i, (bi, ei) in enumerate(choice.tolist()):
        c, text, _ = bases[bi]
        chunks.append(replace(c, id=f"synthetic#{i}", index=i, text=text + extras[ei][0], prev=None, next=None))
    return SyntheticCorpus({d.id: d for d in docs}, tuple(chunks), [b[2] for b in bases], [e[1] for e in extras],
                           choice)


def e2e_worker(corpus_dir: str, n: int, x_path: str, q_path: str, dense_path: str | None, questions: list[str],
               ann_threshold: int, profile_path: str | None = None, save_dir: str | None = None) -> dict[str, Any]:
    """The whole `ask` path over n synthetic chunks; query embeddings pre-cached (no model here).
    With save_dir, the index is also saved there (qa.index.save_index) for serve_worker."""
    import faiss

    from qa.answer import Assistant
    from qa.chunk_table import ChunkTable
    from qa.index import FORMAT_VERSION, Index, Manifest, faiss_vectors, make_bm25, make_faiss, save_index
    from qa.ngrams import char_ngrams
    from qa.query import tokenize

    tokenize("光谷预热")  # jieba's dictionary and bm25s load before the baseline, not inside a step
    import bm25s  # noqa: F401

    out: dict[str, Any] = {"n": n}
    gc.collect()
    rss0 = rss_mb()
    t = time.perf_counter()
    corpus = synthetic_corpus(corpus_dir, n)
    out["generate_s"] = time.perf_counter() - t
    gc.collect()
    rss_gen = rss_mb()
    t = time.perf_counter()  # the character-bigram field, as the product builds it (qa.ngrams)
    ngrams = make_bm25([char_ngrams(c.text) for c in corpus.chunks], compact=n > ann_threshold)
    out["ngram_build_s"] = time.perf_counter() - t
    gc.collect()
    _malloc_trim()
    ngram_mb = rss_mb() - rss_gen
    t = time.perf_counter()  # the columns, as build_index keeps them (in memory here, mapped when loaded)
    table = ChunkTable.from_chunks(corpus.chunks, corpus.documents)
    corpus.chunks = ()
    out["chunk_table_s"] = time.perf_counter() - t
    gc.collect()
    _malloc_trim()
    rss_chunks = rss_mb()
    out["chunk_table_mb"] = rss_chunks - rss0 - ngram_mb
    t = time.perf_counter()
    tokens = corpus.token_lists()
    out["tokens_s"] = time.perf_counter() - t
    t = time.perf_counter()
    bm25 = make_bm25(tokens, compact=n > ann_threshold)
    out["bm25_build_s"] = time.perf_counter() - t
    del tokens
    gc.collect()
    _malloc_trim()  # hand the token lists' freed memory back, so RSS shows what stays
    rss_bm25 = rss_mb()
    out["bm25_mb"] = rss_bm25 - rss_chunks + ngram_mb  # both fields
    x = np.load(x_path)
    out["embeddings_mb"] = 0.0  # no copy beside FAISS's (was 1.4 GB at 1M)
    t = time.perf_counter()
    if dense_path:
        dense = faiss.read_index(dense_path)
        if hasattr(dense, "hnsw"):
            dense.hnsw.efSearch = PRODUCT_EF_SEARCH
        kind = "hnsw"
        out["dense_load_s"] = time.perf_counter() - t
    else:
        dense, kind = make_faiss(x, ann_threshold)
        out["dense_build_s"] = time.perf_counter() - t
    out["dense_kind"] = kind
    dim = x.shape[1]
    del x  # FAISS holds the vectors; the index reads them from there (faiss_vectors)
    gc.collect()
    _malloc_trim()
    rss_dense = rss_mb()
    out["dense_mb"] = rss_dense - rss_bm25  # FAISS with its vectors (the loaded array is freed)
    out["serving_rss_mb"] = rss_dense
    out["serving_index_mb"] = rss_dense - rss0
    s = Settings.from_env(corpus_dir=corpus_dir)
    manifest = Manifest(format_version=FORMAT_VERSION, model_name="synthetic", model_fingerprint="synthetic", dim=dim,
                        chunk_min=s.chunk_min, chunk_max=s.chunk_max,
                        documents={d.id: d.sha256 for d in corpus.documents.values()}, n_chunks=n, faiss_kind=kind,
                        created=time.time())
    vocab = frozenset(bm25.vocab_dict) if hasattr(bm25, "vocab_dict") else frozenset()
    index = Index(manifest=manifest, documents=corpus.documents, chunks=table,
                  embeddings=faiss_vectors(dense), dense=dense, bm25=bm25, vocab=vocab,
                  ngrams=ngrams, ngram_vocab=frozenset(ngrams.vocab_dict))
    a = Assistant(index, None, s)
    qvecs = np.load(q_path)
    texts = []
    for i, q in enumerate(questions):
        try:
            key = a.analyse(q).search_text  # what the model would read (with the report's words for it)
        except ValueError:
            continue
        a._query_cache[key] = qvecs[i % len(qvecs)]
        texts.append(q)
    a.ask(texts[0], top_k=5, mode="hybrid")  # warm up
    out["modes"] = {}
    for mode in MODES:
        times = []
        for q in texts:
            t = time.perf_counter()
            a.ask(q, top_k=5, mode=mode)
            times.append((time.perf_counter() - t) * 1000)
        out["modes"][mode] = stats(times)
    out["parts"] = _part_times(a, texts, s)
    if save_dir:
        t = time.perf_counter()
        save_index(index, save_dir)
        out["save_s"] = time.perf_counter() - t
        out["disk_mb"] = dir_bytes(save_dir) / 2**20
    if profile_path:
        from pyinstrument import Profiler

        prof = Profiler(interval=0.0005)
        prof.start()
        for q in texts[:30]:
            a.ask(q, top_k=5, mode="hybrid")
        prof.stop()
        Path(profile_path).write_text(f"=== hybrid ask over {fmt_n(n)} synthetic chunks, embedding cached ===\n"
                                      + prof.output_text(unicode=True, color=False), encoding="utf-8")
    out["peak_rss_mb"] = peak_rss_mb()
    return out


def serve_worker(corpus_dir: str, index_dir: str, questions: list[str], encoder: str | None = None) -> dict[str, Any]:
    """A fresh process serving a saved index as the product does: load it from disk (timed), load
    the query encoder, answer the questions with the model (query cache cleared each time); resident
    memory of the whole process at the end."""
    import os

    t0 = time.perf_counter()
    from qa.answer import Assistant, _load_model
    from qa.index import load_index

    s = Settings.from_env(corpus_dir=corpus_dir, index_dir=index_dir, **({"encoder": encoder} if encoder else {}))
    rss0 = rss_mb()
    t = time.perf_counter()
    index = load_index(index_dir)
    out: dict[str, Any] = {"n": index.size, "load_index_s": time.perf_counter() - t, "rss_index_mb": rss_mb(),
                           "rss_before_index_mb": rss0}
    t = time.perf_counter()
    model = _load_model(s)
    out["load_model_s"] = time.perf_counter() - t
    a = Assistant(index, model, s)
    a.ask(questions[0])
    out["ready_s"] = time.perf_counter() - t0
    out["modes"] = {}
    for mode in MODES:
        times = []
        for q in questions:
            a._query_cache.clear()
            t = time.perf_counter()
            a.ask(q, top_k=5, mode=mode)
            times.append((time.perf_counter() - t) * 1000)
        out["modes"][mode] = stats(times)
    out["rss_mb"] = rss_mb()
    out["rss_parts_mb"] = rss_by_part(Path(index_dir))
    out["peak_rss_mb"] = peak_rss_mb()
    out["encoder"] = getattr(model.info, "encoder", "torch")
    out["loadavg"] = list(os.getloadavg())
    return out


def rss_by_part(index_dir: Path) -> dict[str, float]:
    """Resident MB of this process by what holds it (/proc/self/smaps): each memory-mapped file of
    the index build (chunks, bm25, bm25-ngrams, dense.faiss), the model's files, other files
    (libraries), and anonymous memory (the heap: FAISS's graph, the ONNX session, Python objects)."""
    from qa.index import live_build

    build = str(live_build(index_dir) or index_dir)
    out: dict[str, float] = {}
    part = "anonymous"
    try:
        with open("/proc/self/smaps", encoding="utf-8", errors="replace") as f:
            for line in f:
                first = line.split(None, 1)[0] if line.strip() else ""
                if first and not first.endswith(":"):  # a mapping's header: range, perms, offset, dev, inode, path
                    fields = line.split(None, 5)
                    path = fields[5].strip() if len(fields) > 5 else ""
                    if path.startswith(build + "/"):
                        part = "index: " + path[len(build) + 1:].split("/")[0]
                    elif not path or path.startswith("["):
                        part = "anonymous"
                    elif path.endswith((".onnx", ".onnx_data", ".safetensors", ".json")) or "/models/" in path:
                        part = "model files"
                    else:
                        part = "other files"
                elif first == "Rss:":
                    out[part] = out.get(part, 0.0) + int(line.split()[1]) / 1024
    except OSError:
        return {}
    return {k: round(v, 1) for k, v in sorted(out.items(), key=lambda kv: -kv[1])}


def _part_times(a: Any, texts: Sequence[str], s: Settings) -> dict[str, dict[str, float]]:
    """p50 of the pieces of a hybrid search that grow with the corpus, timed one by one."""
    try:
        from qa.retrieval import bm25_candidates, dense_candidates, refusal_reason

        parts: dict[str, list[float]] = {"faiss candidates": [], "bm25 candidates": [], "refusal rules": []}
        for q in texts:
            query = a.analyse(q)
            qvec = a._query_cache.get(query.search_text)
            for name, fn in (("faiss candidates", lambda: dense_candidates(a.index, qvec, s.candidates)),
                             ("bm25 candidates", lambda: bm25_candidates(a.index, query.tokens, s.candidates)),
                             ("refusal rules", lambda: refusal_reason(a.index, query))):
                if name == "faiss candidates" and qvec is None:
                    continue
                t = time.perf_counter()
                fn()
                parts[name].append((time.perf_counter() - t) * 1000)
        return {k: stats(v) for k, v in parts.items() if v}
    except (ImportError, TypeError, AttributeError) as e:  # retrieval's internals changed
        return {"error": {"n": 0, "p50": math.nan, "p95": math.nan, "max": math.nan, "mean": math.nan, "why": str(e)}}


def scale_bench(cfg: BenchConfig, sizes: Sequence[int], questions: list[str], report: Callable[[], None],
                results: dict[str, Any]) -> dict[str, Any]:
    """Stage 4, size by size; each index kind and the whole path in its own process."""
    call = (lambda f, kw: globals()[f](**kw)) if cfg.in_process else (lambda f, kw: run_child(f"scale.{f}", kw))
    scale: dict[str, Any] = results.setdefault("scale", {"sizes": {}, "worst_case_iso": None})
    tmp = Path(tempfile.mkdtemp(prefix="qa-bench-scale-"))
    try:
        for si, n in enumerate(sizes):
            key = str(n)
            res: dict[str, Any] = {"ann": {}}
            scale["sizes"][key] = res
            say(f"scale {fmt_n(n)}: generating {n:,} x {DIM} vectors")
            x_path, q_path, gt_path = str(tmp / f"x{n}.npy"), str(tmp / f"q{n}.npy"), str(tmp / f"gt{n}.npy")
            x = synthetic_vectors(n)
            np.save(x_path, x)
            np.save(q_path, synthetic_queries(x, cfg.scale_queries))
            del x
            gc.collect()
            kinds: list[tuple[str, str, dict[str, Any]]] = [("flat", "flat", {})]
            kinds.append((f"hnsw (efC={HNSW_EF_CONSTRUCTION})", "hnsw", {"ef_construction": HNSW_EF_CONSTRUCTION}))
            if n <= cfg.hnsw80_max:
                kinds.append(("hnsw (efC=80, as make_faiss)", "hnsw", {"ef_construction": 80}))
            kinds.append(("ivf", "ivf", {}))
            kinds += [(f"{k} (efC={HNSW_EF_CONSTRUCTION})", k, {"ef_construction": HNSW_EF_CONSTRUCTION})
                      for k in HNSW_STORAGE if k != "hnsw"]
            kinds = [kd for kd in kinds if kd[1] in cfg.ann_kinds]
            hnsw_path = str(tmp / f"hnsw{n}.faiss")
            for label, kind, extra in kinds:
                if kind == "hnsw":
                    eta = _hnsw_eta(scale, n)
                    say(f"scale {fmt_n(n)}: {label} building" + (
                        "" if not eta else f" (expect ~{eta:.0f} s)" if eta < 120 else f" (expect ~{eta / 60:.0f} min)"))
                else:
                    say(f"scale {fmt_n(n)}: {label}")
                kw = {"x_path": x_path, "q_path": q_path, "gt_path": gt_path, "kind": kind, **extra}
                if kind == "hnsw" and extra.get("ef_construction") == HNSW_EF_CONSTRUCTION:
                    kw["index_path"] = hnsw_path
                try:
                    r = call("ann_worker", kw)
                except Exception as e:  # noqa: BLE001 - one failed kind should not lose the rest
                    say(f"scale {fmt_n(n)}: {label} failed: {e}")
                    r = {"error": str(e)[-500:]}
                res["ann"][label] = r
                if "search" in r:
                    best = ", ".join(f"{k} {v['p50']:.2f} ms r@10={v['recall@10']:.3f}" for k, v in r["search"].items())
                    say(f"  build {r['build_s']:.1f}s, +{r['index_mb']:.0f} MB, disk {r['disk_mb']:.0f} MB; {best}")
                report()
            if si == 0 and cfg.worst_case:
                say(f"scale {fmt_n(n)}: worst case, isotropic random vectors (HNSW)")
                iso_x, iso_q, iso_gt = str(tmp / "xiso.npy"), str(tmp / "qiso.npy"), str(tmp / "gtiso.npy")
                xi = synthetic_vectors(n, kind="iso")
                np.save(iso_x, xi)
                np.save(iso_q, synthetic_queries(xi, cfg.scale_queries))
                del xi
                try:
                    call("ann_worker", {"x_path": iso_x, "q_path": iso_q, "gt_path": iso_gt, "kind": "flat"})
                    scale["worst_case_iso"] = call("ann_worker", {"x_path": iso_x, "q_path": iso_q, "gt_path": iso_gt,
                                                                  "kind": "hnsw"})
                except Exception as e:  # noqa: BLE001
                    say(f"worst case failed: {e}")
                for p in (iso_x, iso_q, iso_gt):
                    Path(p).unlink(missing_ok=True)
            dense_path = hnsw_path if n > cfg.settings.ann_threshold and Path(hnsw_path).exists() else None
            say(f"scale {fmt_n(n)}: whole ask path (synthetic chunks, BM25, "
                f"{'hnsw' if dense_path else 'make_faiss'} dense, {len(questions)} questions)")
            prof = str(cfg.out / f"profile_scale_{fmt_n(n)}.txt") if cfg.profile and si == len(sizes) - 1 else None
            try:
                save_dir = str(tmp / f"index{n}") if si == len(sizes) - 1 else None
                r = call("e2e_worker", {"corpus_dir": str(cfg.settings.corpus_dir), "n": n, "x_path": x_path,
                                        "q_path": q_path, "dense_path": dense_path, "questions": questions,
                                        "ann_threshold": cfg.settings.ann_threshold, "profile_path": prof,
                                        "save_dir": save_dir})
                say(f"  serving {r['serving_rss_mb']:.0f} MB (chunks {r['chunk_table_mb']:.0f}, bm25 {r['bm25_mb']:.0f}, "
                    f"embeddings {r['embeddings_mb']:.0f}, faiss {r['dense_mb']:.0f}); ask p50 " + ", ".join(
                        f"{m} {v['p50']:.1f} ms" for m, v in r["modes"].items()) + " (model excluded)")
            except Exception as e:  # noqa: BLE001
                say(f"scale {fmt_n(n)}: whole path failed: {e}")
                r = {"error": str(e)[-500:]}
            res["e2e"] = r
            if "save_s" in r:
                say(f"scale {fmt_n(n)}: serving the saved index from a fresh process with the real encoder")
                try:
                    res["serve"] = sv = call("serve_worker", {"corpus_dir": str(cfg.settings.corpus_dir),
                                                              "index_dir": str(tmp / f"index{n}"), "questions": questions})
                    say(f"  load index {sv['load_index_s']:.1f} s, model {sv['load_model_s']:.1f} s; hybrid p50 "
                        f"{sv['modes']['hybrid']['p50']:.1f} ms with the model; RSS {sv['rss_mb']:.0f} MB ("
                        + ", ".join(f"{k} {v:.0f}" for k, v in sv.get("rss_parts_mb", {}).items()) + ")")
                except Exception as e:  # noqa: BLE001
                    say(f"scale {fmt_n(n)}: serving failed: {e}")
                    res["serve"] = {"error": str(e)[-500:]}
                shutil.rmtree(tmp / f"index{n}", ignore_errors=True)
            for p in (x_path, q_path, gt_path, hnsw_path):
                Path(p).unlink(missing_ok=True)
            report()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return scale


def _hnsw_eta(scale: dict[str, Any], n: int) -> float | None:
    """Expected HNSW build seconds at n from the largest smaller size (n log n)."""
    best = None
    for key, res in scale["sizes"].items():
        m = int(key)
        r = res.get("ann", {}).get(f"hnsw (efC={HNSW_EF_CONSTRUCTION})")
        if m < n and r and "build_s" in r:
            best = (m, r["build_s"])
    if best is None:
        return None
    m, t = best
    return t * (n / m) ** 1.3  # measured here: 100k -> 1M took 22x, not the 12x of n log n (cache misses)


# --- stage 5: recommendation and targets ---------------------------------------------------------


def _nice(n: float) -> int:
    """The nearest of 1, 2 or 5 times a power of ten (on a log scale)."""
    if n <= 1:
        return 1
    p = 10 ** math.floor(math.log10(n))
    steps = [p, 2 * p, 5 * p, 10 * p]
    return int(min(steps, key=lambda s: abs(math.log(s / n))))


def recommend_ann_threshold(scale: dict[str, Any] | None, embed_p50_ms: float | None, current: int) -> dict[str, Any]:
    """Flat search costs a*n; switch to HNSW (efSearch as make_faiss) once flat would cost more
    than a tenth of the model's forward pass (the whole non-model budget is 30% of it) and more
    than HNSW itself, provided HNSW keeps recall@10 >= the target at every measured size."""
    sizes = (scale or {}).get("sizes", {})
    pts, ann = [], []
    for key, res in sizes.items():
        n = int(key)
        flat = res.get("ann", {}).get("flat", {}).get("search", {})
        fl = min(flat.values(), key=lambda v: v["p50"]) if flat else None  # default threads or one, the faster
        hn = res.get("ann", {}).get(f"hnsw (efC={HNSW_EF_CONSTRUCTION})", {}).get("search", {}).get(
            f"efSearch={PRODUCT_EF_SEARCH}")
        if fl:
            pts.append((n, fl["p50"]))
        if hn:
            ann.append((n, hn["p50"], hn["recall@10"]))
    if not pts:
        return {"threshold": None, "current": current, "why": "no scale measurements"}
    ns = np.array([p[0] for p in pts], float)
    ts = np.array([p[1] for p in pts], float)
    a = float((ns * ts).sum() / (ns * ns).sum())  # ms per chunk, least squares through 0
    budget = 0.1 * embed_p50_ms if embed_p50_ms else 2.0
    n_budget = budget / a
    min_recall = min((r for _, _, r in ann), default=None)
    out: dict[str, Any] = {"current": current, "flat_ms_per_100k": a * 1e5, "budget_ms": budget,
                           "hnsw_min_recall": min_recall, "n_at_budget": int(n_budget)}
    if min_recall is None or min_recall < TARGETS["scale_recall"]:
        out["threshold"] = None
        out["why"] = (f"HNSW efSearch={PRODUCT_EF_SEARCH} recall@10 {min_recall} is below {TARGETS['scale_recall']}: "
                      "keep flat or raise efSearch")
        return out
    # HNSW must also be faster than flat there: below the crossover flat is both exact and quicker
    n_cross = max((t_h / a for _, t_h, _ in ann), default=0.0)
    n_star = max(n_budget, n_cross)
    out["n_crossover"] = int(n_cross)
    out["threshold"] = max(1000, _nice(n_star))
    # efSearch at the largest measured size: what make_faiss uses, and the smallest reaching the target
    big = max(sizes, key=int)
    hn = sizes[big].get("ann", {}).get(f"hnsw (efC={HNSW_EF_CONSTRUCTION})", {}).get("search", {})
    if hn:
        ok = [(int(k.split("=")[1]), v) for k, v in hn.items() if v["recall@10"] >= TARGETS["scale_recall"]]
        out["ef_search_note"] = (f"at {fmt_n(int(big))} chunks: " + ", ".join(
            f"{k} recall@10 {v['recall@10']:.3f} in {v['p50']:.2f} ms" for k, v in hn.items())
            + (f"; smallest efSearch reaching {TARGETS['scale_recall']}: {min(ok, key=lambda kv: kv[0])[0]}" if ok
               else f"; none reaches {TARGETS['scale_recall']}"))
    out["why"] = (f"flat search costs {a * 1e5:.2f} ms per 100k chunks; budget {budget:.1f} ms "
                  f"(= 10% of the {embed_p50_ms or 20:.1f} ms forward pass) is reached at ~{n_budget:,.0f} chunks; "
                  f"HNSW (M={HNSW_M}, efSearch={PRODUCT_EF_SEARCH}) keeps recall@10 >= {min_recall:.3f} at every "
                  f"measured size")
    return out


def _largest(scale: dict[str, Any] | None) -> tuple[int, dict[str, Any]] | None:
    sizes = (scale or {}).get("sizes", {})
    done = [(int(k), v) for k, v in sizes.items() if "modes" in v.get("e2e", {})]
    return max(done, key=lambda kv: kv[0]) if done else None



# resident memory serving 1M chunks before this format (README, `qa bench` scale stage, format 4: FAISS HNSW
# float32, the chunk table as JSON rows parsed into objects, BM25 in RAM), MB (the bench's GB are 1024 MB)
BEFORE_1M = {"FAISS": 1.73 * 1024, "chunk table": 1.6 * 1024, "BM25": 0.69 * 1024,
             "model, interpreter, rest": (5.25 - 1.73 - 1.6 - 0.69) * 1024}


def plot_serving_memory(results: dict[str, Any], path: Path) -> None:
    """Stacked bars of the serving process's resident memory by part (bench.scale.rss_by_part), per
    size, beside the 1M figure measured before the columnar format."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    bars = [("1M, format 4 (before)\nHNSW float32, JSON rows", BEFORE_1M)]
    for key, res in sorted(results.get("scale", {}).get("sizes", {}).items(), key=lambda kv: int(kv[0])):
        parts = res.get("serve", {}).get("rss_parts_mb")
        if parts:
            merged = {"FAISS": parts.get("index: dense.faiss", 0.0), "chunk table": parts.get("index: chunks", 0.0),
                      "BM25": parts.get("index: bm25", 0.0) + parts.get("index: bm25-ngrams", 0.0)}
            merged["model, interpreter, rest"] = sum(parts.values()) - sum(merged.values())
            bars.append((f"{fmt_n(int(key))}, format 5\nHNSW fp16, rows read on demand", merged))
    fig, ax = plt.subplots(figsize=(7, 4.2))
    colours = {"FAISS": "#4c72b0", "chunk table": "#dd8452", "BM25": "#55a868", "model, interpreter, rest": "#8c8c8c"}
    for i, (label, parts) in enumerate(bars):
        bottom = 0.0
        for name, mb in parts.items():
            ax.bar(i, mb / 1024, bottom=bottom / 1024, color=colours[name], edgecolor="white",
                   label=name if i == 0 else None)
            if mb > 150:
                ax.text(i, (bottom + mb / 2) / 1024, f"{mb / 1024:.2f}", ha="center", va="center", fontsize=8,
                        color="white")
            bottom += mb
        ax.text(i, bottom / 1024 + 0.05, f"{bottom / 1024:.2f} GB", ha="center", fontsize=8)
    ax.axhline(TARGETS["scale_memory_gb"], color="red", linestyle="--", linewidth=1, label="target (1M)")
    ax.set_xticks(range(len(bars)), [b[0] for b in bars], fontsize=7)
    ax.set_ylabel("resident memory serving (GB = 1024 MB)")
    ax.set_title("Serving synthetic chunks with the real encoder: resident memory by part", fontsize=9)
    ax.legend(fontsize=7, loc="upper right")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main(argv: Sequence[str] | None = None) -> int:
    """The scale stage alone, each worker in its own process: synthetic corpora, FAISS kinds, the
    whole ask path, and the saved index served with the real encoder. Writes scale.json in --out."""
    import argparse
    import json

    from qa.evaluate import load_gold

    from .common import machine_info, parse_sizes
    from .run import BenchConfig

    ap = argparse.ArgumentParser(prog="python -m bench.scale", description=main.__doc__)
    ap.add_argument("--sizes", default="1M", help="e.g. 10k,100k,1M")
    ap.add_argument("--ann", default="flat,hnsw", help="FAISS kinds: flat,hnsw,ivf,hnsw-fp32,hnsw-sq8")
    ap.add_argument("--queries", type=int, default=100, help="questions asked at each size")
    ap.add_argument("--out", default="artifacts/bench-scale")
    args = ap.parse_args(argv)
    settings = Settings.from_env()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    # the main gold set's questions as the load (never the blind sets)
    gold = [p for p in sorted((Path(settings.corpus_dir) / "gold").glob("*.jsonl")) if p.name.count(".") == 1]
    texts = list(dict.fromkeys(i.question for i in load_gold(gold)))
    questions = (texts * (args.queries // max(len(texts), 1) + 1))[: args.queries]
    cfg = BenchConfig(out=out, settings=settings, sizes=tuple(parse_sizes(args.sizes)), scale_queries=args.queries,
                      worst_case=False, ann_kinds=tuple(k.strip() for k in args.ann.split(",") if k.strip()))
    results: dict[str, Any] = {"machine": machine_info(), "loadavg_start": list(os.getloadavg())}

    def report() -> None:
        results["loadavg_now"] = list(os.getloadavg())
        (out / "scale.json").write_text(json.dumps(results, indent=1, default=str), encoding="utf-8")

    scale_bench(cfg, cfg.sizes, questions, report, results)
    report()
    plot_serving_memory(results, out / "scale_memory.png")
    say(f"wrote {out / 'scale.json'}; load average at the start {results['loadavg_start']}, "
        f"at the end {results['loadavg_now']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

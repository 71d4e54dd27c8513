"""`qa bench`: speed, memory and scale, ours beside a LangChain peer, checked against the targets.

    qa bench [--quick] [--no-peer] [--out DIR] [--scale 10000,100000,1000000]
    QA_BENCH_PROFILE=1 qa bench ...   (--profile: pyinstrument profiles into --out)
    python -m qa.bench [--profile] ...  (the same, with --profile as a flag)

--quick: sizes up to 100k, 200 questions, 50 scale queries (~5 min here); the full run ~14 min on
this 2-core machine when quiet (the 1M HNSW build is ~5 of them).

Stages, each printing progress; bench.json is rewritten after every stage, so a run cut short keeps
what it measured:

1. Query latency on the real corpus, warm model: >= 200 distinct questions (the gold questions,
   cycled with a polite prefix or suffix so each text is new). Per question, interleaved so that
   load on a shared machine hits every row alike:
     - the floor: the query embedding alone (`model.encode_queries`, the model's forward pass);
     - `ask` in bm25, dense and hybrid mode with the query cache cleared (warm model, cold cache).
       `ask` always ranks figures and builds the answer, so "hybrid" here IS hybrid+figures;
     - hybrid retrieval only (`retrieval.search`, no passages, figures or answer text);
     - hybrid `ask` again with the question's embedding cached: everything but the model.
   The peer answers the same question in the same loop: LangChain's FAISS vector store,
   BM25Retriever (jieba tokens) and EnsembleRetriever (weights 0.5/0.5, RRF c=60), the stack
   Langchain-Chatchat ships, over the same chunks, embedded by the same model (our Embedder
   wrapped as a LangChain Embeddings). hit@5 of both on the gold questions (first cycle).
2. Build: a fresh index in a child process (model load, chunk + embed + FAISS + BM25 + save),
   peak RSS; embedding throughput (chunks/s); the peer's build likewise.
3. Cold start, process start to first answer, in a child process: with the model cached and the
   index built (median of several runs), and once on a fresh cache (a temp QA_MODEL_CACHE_DIR and
   index dir: model conversion + index build).
4. Scale: synthetic corpora of 10k/100k/1M chunks. Dense: seeded unit vectors (dim 384) with an
   embedding-like structure (a 32-dim latent projected to 384 dims plus isotropic noise;
   pure isotropic noise is the pathological case for every ANN index and is shown once, at the
   smallest size, for reference); queries are data vectors plus noise (cosine ~0.9 to their
   source). For FAISS flat, HNSW (M=32, efSearch 64/128/256) and IVF (nlist = 4 sqrt(n), nprobe
   swept): build time, memory, size on disk, single-query latency, recall@10 against flat, each
   in its own child process. Then the whole `ask` path at each size: synthetic chunks made from the
   report's chunks and sentences with their numbers changed, BM25 (bm25s, as the index builds it),
   the dense index the current `Settings.ann_threshold` picks, and the real `Assistant.ask` over
   the gold questions, with query embeddings pre-cached (the model's cost is added from stage 1).
5. Recommendation for `Settings.ann_threshold`, the targets met/missed with what costs the time,
   bench.md + bench.json + PNG charts in --out. --profile writes pyinstrument profiles.
"""
from __future__ import annotations

import argparse
import gc
import json
import math
import os
import platform
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np

from .config import ROOT, Settings

DIM = 384
SEED = 20240131
LATENT_DIM = 32  # intrinsic dimension of the synthetic vectors
LATENT_NOISE = 0.3  # isotropic noise added to the unit latent direction (relative norm)
QUERY_NOISE = 0.5  # query = data vector + this much noise (relative norm): cosine ~0.9 to it
HNSW_M = 32
# make_faiss builds with efConstruction=80; the bench builds with 40 to keep a 1M build in budget
# (80 builds ~1.6x slower and recalls at least as well at the same efSearch), and also builds 80 up
# to HNSW80_MAX chunks to show the difference.
HNSW_EF_CONSTRUCTION = 40
HNSW80_MAX = 10_000
HNSW_EF_SEARCH = (64, 128, 256)
PRODUCT_EF_SEARCH = 128  # what make_faiss sets
IVF_NPROBE = (8, 16, 32, 64, 128, 256, 512)
IVF_TRAIN_PER_LIST = 40  # k-means sample: 40 points per list (faiss asks for >= 39) ...
IVF_TRAIN_MAX = 100_000  # ... but at most this many (1M: 25 per list), to keep the 1M build in budget
IVF_NITER = 10
FLAT_FEW_QUERIES_ABOVE = 200_000  # flat search at larger sizes is timed on ...
FLAT_FEW_QUERIES = 30  # ... this many queries (a scan costs the same for every query; saves a minute at 1M)
QUICK_MAX_SIZE = 100_000
MIN_QUESTIONS = 200

TARGETS = {
    "hybrid_p50_ms": 30.0,  # warm model, one question, hybrid (with figures)
    "non_model_share": 0.30,  # everything but the forward pass, as a share of the forward pass
    "peer_ratio": 0.5,  # ours / peer hybrid p50
    "cold_start_s": 8.0,  # process start to first answer, model cached, index built
    "scale_p50_ms": 50.0,  # hybrid ask at 1M chunks, model included
    "scale_recall": 0.95,  # ANN recall@10 of that index against flat
    "scale_memory_gb": 4.0,  # serving 1M chunks: index + chunk table + model
}
SCALE_TARGET_N = 1_000_000

_RESULT = "@@QA_BENCH_RESULT@@"
_T0 = time.perf_counter()


# --- small helpers -------------------------------------------------------------------------------


def say(msg: str) -> None:
    el = time.perf_counter() - _T0
    print(f"[bench {int(el // 60):02d}:{int(el % 60):02d}] {msg}", flush=True)


def stats(values_ms: Sequence[float]) -> dict[str, float]:
    a = np.asarray(values_ms, dtype=float)
    if a.size == 0:
        return {"n": 0, "p50": math.nan, "p95": math.nan, "max": math.nan, "mean": math.nan}
    return {"n": int(a.size), "p50": float(np.percentile(a, 50)), "p95": float(np.percentile(a, 95)),
            "max": float(a.max()), "mean": float(a.mean())}


def rss_mb() -> float:
    """Resident memory of this process now, MB."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return peak_rss_mb()


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far, MB (VmHWM: unlike getrusage's ru_maxrss, it
    does not inherit the parent's size across fork + exec)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    import resource

    r = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return r / 1024 / 1024 if sys.platform == "darwin" else r / 1024


def _malloc_trim() -> None:
    """Return freed heap pages to the OS (glibc), so RSS after a build shows the live data only."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass


def dir_bytes(path: str | Path) -> int:
    p = Path(path)
    if p.is_file():
        return p.stat().st_size
    return sum(f.stat().st_size for f in p.rglob("*") if f.is_file())


def parse_sizes(text: str) -> list[int]:
    """'10000,100k,1M' -> [10000, 100000, 1000000]."""
    out = []
    for part in str(text).replace("_", "").split(","):
        part = part.strip().lower()
        if not part:
            continue
        mult = {"k": 1_000, "m": 1_000_000}.get(part[-1], 1)
        out.append(int(float(part[:-1] if mult > 1 else part) * mult))
    return sorted(set(n for n in out if n > 0))


def fmt_n(n: int) -> str:
    return f"{n // 1_000_000}M" if n >= 1_000_000 and n % 1_000_000 == 0 else (
        f"{n // 1000}k" if n >= 1000 and n % 1000 == 0 else str(n))


def _f(v: Any, digits: int = 1) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "-"
    if isinstance(v, float):
        return f"{v:.{digits}f}"
    return str(v)


def _version(dist: str) -> str | None:
    from importlib import metadata

    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return None


def machine_info() -> dict[str, Any]:
    cpu = platform.processor() or "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    ram_gb = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                ram_gb = round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    versions = {d: _version(d) for d in ("torch", "faiss-cpu", "numpy", "sentence-transformers", "transformers",
                                         "bm25s", "jieba", "langchain-core", "langchain-community",
                                         "langchain-classic", "rank-bm25")}
    return {"cpu": cpu, "cores": os.cpu_count(), "usable_cores": usable, "ram_gb": ram_gb,
            "python": platform.python_version(), "platform": platform.platform(), "versions": versions,
            "loadavg_start": list(os.getloadavg()) if hasattr(os, "getloadavg") else None}


def machine_line(m: dict[str, Any]) -> str:
    v = m["versions"]
    load = m.get("loadavg_start")
    load_s = f"; load avg at start {load[0]:.1f}" if load else ""
    load_e = m.get("loadavg_end")
    load_s += f", at end {load_e[0]:.1f}" if load_e else ""
    return (f"{m['cpu']}, {m['usable_cores']}/{m['cores']} cores, {m['ram_gb']} GiB RAM; Python {m['python']}, "
            f"torch {v.get('torch')}, faiss {v.get('faiss-cpu')}, numpy {v.get('numpy')}, bm25s {v.get('bm25s')}, "
            f"langchain-community {v.get('langchain-community') or '-'}{load_s}")


def _child_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    env.setdefault("HF_HUB_OFFLINE", "1")
    env.setdefault("TRANSFORMERS_OFFLINE", "1")
    env.setdefault("TOKENIZERS_PARALLELISM", "false")
    env.update(extra or {})
    return env


def run_child(func: str, kwargs: dict[str, Any], env_extra: dict[str, str] | None = None,
              timeout: float = 3600.0) -> dict[str, Any]:
    """Run `qa.bench.<func>(**kwargs)` in a fresh Python and return its dict (its own memory counts)."""
    code = ("import json, sys\nfrom qa import bench\n"
            "r = getattr(bench, sys.argv[1])(**json.loads(sys.argv[2]))\n"
            f"print({_RESULT!r} + json.dumps(r), flush=True)\n")
    proc = subprocess.run([sys.executable, "-c", code, func, json.dumps(kwargs)], capture_output=True, text=True,
                          env=_child_env(env_extra), timeout=timeout, cwd=str(ROOT))
    return _parse_child(func, proc)


def _parse_child(what: str, proc: subprocess.CompletedProcess) -> dict[str, Any]:
    for line in reversed(proc.stdout.splitlines()):
        if line.startswith(_RESULT):
            return json.loads(line[len(_RESULT):])
    tail = (proc.stderr or "")[-3000:]
    raise RuntimeError(f"{what} failed (exit {proc.returncode}):\n{tail}")


# --- questions -----------------------------------------------------------------------------------

_ZH_VARIANTS = ("{q}", "请问{q}", "{q}？", "我想知道{q}", "麻烦问一下，{q}", "{q}谢谢")
_EN_VARIANTS = ("{q}", "Please tell me: {q}", "{q} Thanks.", "Question: {q}", "I'd like to know: {q}", "{q} (2024 report)")


def bench_questions(items: Sequence[Any], n: int) -> list[tuple[str, Any, int]]:
    """n distinct question texts: the gold questions, cycled, each round with another prefix/suffix.
    Returns (text, gold item, round)."""
    out: list[tuple[str, Any, int]] = []
    seen: set[str] = set()
    if not items:
        return out
    r = 0
    while len(out) < n and r < 50:
        for item in items:
            variants = _EN_VARIANTS if getattr(item, "lang", "zh") == "en" else _ZH_VARIANTS
            text = variants[r % len(variants)].format(q=item.question)
            if r >= len(variants):
                text = f"{text} ({r // len(variants) + 1})"
            if text in seen:
                continue
            seen.add(text)
            out.append((text, item, r))
            if len(out) >= n:
                break
        r += 1
    return out


def load_gold_items(settings: Settings) -> list[Any]:
    from .evaluate import load_gold

    paths = sorted((Path(settings.corpus_dir) / "gold").glob("*.jsonl"))
    return load_gold(paths) if paths else []


def relevant_sets(index: Any, items: Sequence[Any]) -> dict[str, set[str]]:
    """Gold id -> chunk ids overlapping its evidence (qa.evaluate's rule), answerable items only."""
    from .evaluate import ANSWERABLE, relevant_chunks

    out = {}
    for item in items:
        doc = index.documents.get(item.doc)
        if doc is not None and item.type in ANSWERABLE:
            rel = relevant_chunks(index.chunks, doc.text, item)
            if rel:
                out[item.id] = rel
    return out


# --- the peer: LangChain FAISS + BM25Retriever + EnsembleRetriever -------------------------------


def peer_available() -> str | None:
    """None when the peer's packages import, else what to install."""
    import warnings

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)  # langchain-community announces its sunset
            import langchain_community.retrievers  # noqa: F401
        import jieba  # noqa: F401
        import langchain_classic.retrievers  # noqa: F401
        import langchain_community.vectorstores  # noqa: F401
        import rank_bm25  # noqa: F401
    except ImportError as e:
        return f"{e}; pip install -e '.[bench]'"
    return None


def lc_embeddings(model: Any) -> Any:
    """Our Embedder as a LangChain Embeddings: same model, same prompts, same normalisation."""
    from langchain_core.embeddings import Embeddings

    class QAEmbeddings(Embeddings):
        def __init__(self, m: Any) -> None:
            self.m = m
            self.cache: dict[str, list[float]] | None = None  # on only for the bench's "embedding cached" row

        def embed_documents(self, texts: list[str]) -> list[list[float]]:
            return self.m.encode_documents(list(texts), batch_size=32).tolist()

        def embed_query(self, text: str) -> list[float]:
            if self.cache is not None and text in self.cache:
                return self.cache[text]
            vec = self.m.encode_queries([text])[0].tolist()
            if self.cache is not None:
                self.cache[text] = vec
            return vec

    return QAEmbeddings(model)


def build_peer(chunks: Sequence[Any], model: Any, k: int = 5, save_dir: str | None = None) -> dict[str, Any]:
    """Langchain-Chatchat's retrieval stack over our chunks: FAISS.from_documents(normalize_L2=True)
    as in its kb_cache, BM25Retriever(preprocess_func=jieba.lcut_for_search) and
    EnsembleRetriever([bm25, faiss], weights=[0.5, 0.5]) as in its ensemble retriever. The dense
    side uses plain similarity search (Chatchat's score threshold only filters)."""
    import jieba
    from langchain_classic.retrievers import EnsembleRetriever
    from langchain_community.retrievers import BM25Retriever
    from langchain_community.vectorstores import FAISS
    from langchain_core.documents import Document as LCDocument

    from .chunking import indexable_text

    jieba.setLogLevel(60)
    docs = [LCDocument(page_content=indexable_text(c), metadata={"id": c.id}) for c in chunks]
    embeddings = lc_embeddings(model)
    store = FAISS.from_documents(docs, embeddings, normalize_L2=True)
    if save_dir:
        store.save_local(save_dir)
    dense = store.as_retriever(search_kwargs={"k": k})
    bm25 = BM25Retriever.from_documents(docs, preprocess_func=jieba.lcut_for_search)
    bm25.k = k
    hybrid = EnsembleRetriever(retrievers=[bm25, dense], weights=[0.5, 0.5])
    return {"bm25": bm25, "dense": dense, "hybrid": hybrid, "store": store, "embeddings": embeddings}


def peer_ids(docs: Sequence[Any], k: int = 5) -> list[str]:
    return [d.metadata.get("id") for d in list(docs)[:k]]


# --- stage 1: query latency ----------------------------------------------------------------------

CACHED = "hybrid, embedding cached"  # everything but the model's forward pass
OUR_ROWS = ("embedding only", "bm25", "dense", "hybrid", "hybrid retrieval only", CACHED)
MODES = ("bm25", "dense", "hybrid")


def latency_bench(assistant: Any, questions: Sequence[tuple[str, Any, int]], peer: dict[str, Any] | None,
                  relevant: dict[str, set[str]], top_k: int = 5, progress: bool = True) -> dict[str, Any]:
    """Interleaved per question: embedding floor, our modes, our non-model path, the peer's modes."""
    from tqdm import tqdm

    from .errors import QuestionError
    from .query import analyse
    from .retrieval import search

    a = assistant
    s = a.settings
    ours: dict[str, list[float]] = {r: [] for r in OUR_ROWS}
    theirs: dict[str, list[float]] = {m: [] for m in (*MODES, CACHED)}
    hits: dict[str, dict[str, list[int]]] = {"ours": {m: [] for m in MODES}, "peer": {m: [] for m in MODES}}
    search_ok = True
    skipped = 0
    pc = time.perf_counter
    for text, _, _ in questions[:3]:  # warm up: jieba's dictionary, lazy imports, first forward passes
        for mode in MODES:
            a._query_cache.clear()
            a.ask(text, top_k=top_k, mode=mode)
            if peer is not None:
                peer[mode].invoke(text)
    a._query_cache.clear()
    order_rng = random.Random(SEED)
    for text, item, rnd in tqdm(questions, desc="latency", disable=not progress, file=sys.stdout, mininterval=2):
        try:
            query = analyse(text, s.max_question_chars)
        except QuestionError:
            skipped += 1
            continue
        rel = relevant.get(item.id) if rnd == 0 else None

        def floor() -> None:
            t = pc()
            a.model.encode_queries([query.text])
            ours["embedding only"].append((pc() - t) * 1000)

        def ask(mode: str) -> None:
            a._query_cache.clear()
            t = pc()
            ans = a.ask(text, top_k=top_k, mode=mode)
            ours[mode].append((pc() - t) * 1000)
            if rel is not None:
                hits["ours"][mode].append(int(any(p.chunk_id in rel for p in ans.passages[:top_k])))

        def retrieval_only() -> None:
            nonlocal search_ok
            if not search_ok:
                return
            a._query_cache.clear()
            try:
                t = pc()
                q = analyse(text, s.max_question_chars)
                qvec = a.embed_query(q.text)
                search(a.index, q, qvec, mode="hybrid", fusion=s.fusion, k=max(top_k, 10), candidates=s.candidates,
                       rrf_k=s.rrf_k, dense_weight=s.dense_weight, period_boost=s.period_boost,
                       figure_boost=s.figure_boost)
                ours["hybrid retrieval only"].append((pc() - t) * 1000)
            except TypeError as e:  # retrieval.search changed its signature
                say(f"hybrid retrieval-only row skipped: {e}")
                search_ok = False

        def cached() -> None:
            a.embed_query(query.text)  # fill the cache, untimed
            t = pc()
            a.ask(text, top_k=top_k, mode="hybrid")
            ours[CACHED].append((pc() - t) * 1000)

        def peer_ask(mode: str) -> None:
            t = pc()
            docs = peer[mode].invoke(text)
            theirs[mode].append((pc() - t) * 1000)
            if rel is not None:
                hits["peer"][mode].append(int(any(i in rel for i in peer_ids(docs, top_k))))

        def peer_cached() -> None:
            emb = peer["embeddings"]
            emb.cache = {}
            emb.embed_query(text)  # fill, untimed
            t = pc()
            peer["hybrid"].invoke(text)
            theirs[CACHED].append((pc() - t) * 1000)
            emb.cache = None

        rows: list[Callable[[], None]] = [floor, retrieval_only, cached] + [lambda m=m: ask(m) for m in MODES]
        if peer is not None:
            rows += [lambda m=m: peer_ask(m) for m in MODES] + [peer_cached]
        order_rng.shuffle(rows)  # a fixed order would hand one row the model's idle-thread wake-ups
        for row in rows:
            row()
    out: dict[str, Any] = {
        "questions": len(questions) - skipped,
        "ours": {r: stats(v) for r, v in ours.items() if v},
        "peer": {m: stats(v) for m, v in theirs.items() if v} if peer is not None else None,
        "hit@5": {side: {m: (float(np.mean(v)) if v else None) for m, v in by.items()}
                  for side, by in hits.items() if side == "ours" or peer is not None},
        "hit@5_n": len(hits["ours"]["hybrid"]),
    }
    enc = out["ours"]["embedding only"]["p50"]
    out["ratios"] = {
        "total_over_embedding": {m: out["ours"][m]["p50"] / enc for m in MODES if m != "bm25"},
        "non_model_over_embedding": out["ours"]["hybrid, embedding cached"]["p50"] / enc,
    }
    if peer is not None:
        out["ratios"]["ours_over_peer"] = {m: out["ours"][m]["p50"] / out["peer"][m]["p50"] for m in (*MODES, CACHED)}
    return out


def profile_queries(assistant: Any, questions: Sequence[str], path: Path) -> None:
    """pyinstrument over hybrid asks: once with the cache cleared (model included), once cached."""
    from pyinstrument import Profiler

    parts = []
    for label, clear in (("hybrid ask, query cache cleared (model forward pass included)", True),
                         ("hybrid ask, query embedding cached (everything but the model)", False)):
        if not clear:
            for q in questions:  # fill the cache
                assistant.ask(q, top_k=5, mode="hybrid")
        prof = Profiler(interval=0.0005)
        prof.start()
        for q in questions:
            if clear:
                assistant._query_cache.clear()
            assistant.ask(q, top_k=5, mode="hybrid")
        prof.stop()
        parts.append(f"=== {label}: {len(questions)} questions ===\n" + prof.output_text(unicode=True, color=False))
    path.write_text("\n\n".join(parts), encoding="utf-8")


# --- stage 2: build time and memory (child processes) --------------------------------------------


def child_build_ours(corpus_dir: str, model: str | None) -> dict[str, Any]:
    """Fresh index of the corpus with the real model: time and memory of each step."""
    rss0 = rss_mb()
    t = time.perf_counter()
    from .chunking import chunk_document, indexable_text
    from .embedding import load_model
    from .index import build_index, save_index
    from .ingest import load_corpus

    m = load_model(model)
    t_model = time.perf_counter() - t
    rss_model = rss_mb()
    s = Settings.from_env(corpus_dir=corpus_dir)
    docs, _ = load_corpus(corpus_dir)
    t = time.perf_counter()
    index = build_index(docs, m, s.chunk_min, s.chunk_max, s.ann_threshold)
    t_build = time.perf_counter() - t
    with tempfile.TemporaryDirectory(prefix="qa-bench-build-") as tmp:
        t = time.perf_counter()
        save_index(index, tmp)
        t_save = time.perf_counter() - t
        disk = dir_bytes(tmp)
    rss_built = rss_mb()
    texts = [indexable_text(c) for d in docs for c in chunk_document(d, s.chunk_min, s.chunk_max)]
    t = time.perf_counter()
    m.encode_documents(texts, batch_size=32)
    t_embed = time.perf_counter() - t
    return {"chunks": index.size, "model_load_s": t_model, "build_s": t_build, "save_s": t_save,
            "build_total_s": t_build + t_save, "embed_s": t_embed, "chunks_per_s": len(texts) / t_embed,
            "disk_mb": disk / 2**20, "rss_start_mb": rss0, "rss_model_mb": rss_model, "rss_built_mb": rss_built,
            "peak_rss_mb": peak_rss_mb(), "model_mb": rss_model - rss0}


def child_build_peer(corpus_dir: str, model: str | None) -> dict[str, Any]:
    rss0 = rss_mb()
    t = time.perf_counter()
    from .chunking import chunk_document
    from .embedding import load_model
    from .ingest import load_corpus

    m = load_model(model)
    t_model = time.perf_counter() - t
    rss_model = rss_mb()
    s = Settings.from_env(corpus_dir=corpus_dir)
    docs, _ = load_corpus(corpus_dir)
    with tempfile.TemporaryDirectory(prefix="qa-bench-peer-") as tmp:
        t = time.perf_counter()
        chunks = [c for d in docs for c in chunk_document(d, s.chunk_min, s.chunk_max)]
        build_peer(chunks, m, save_dir=tmp)
        t_build = time.perf_counter() - t
        disk = dir_bytes(tmp)
    return {"chunks": len(chunks), "model_load_s": t_model, "build_total_s": t_build, "disk_mb": disk / 2**20,
            "rss_start_mb": rss0, "rss_model_mb": rss_model, "rss_built_mb": rss_mb(), "peak_rss_mb": peak_rss_mb(),
            "model_mb": rss_model - rss0}


# --- stage 3: cold start -------------------------------------------------------------------------

_COLD_CODE = """
import json, sys, time
t_main = time.time()
t_spawn = float(sys.argv[1])
from qa import Assistant
t_import = time.time()
import torch
t_torch = time.time()
import sentence_transformers
t_st = time.time()
from qa.embedding import load_model
model = load_model(sys.argv[5] or None)
t_model = time.time()
a = Assistant.load(corpus_dir=sys.argv[2], index_dir=sys.argv[3], model=model)
t_index = time.time()
answer = a.ask(sys.argv[4])
t_end = time.time()
rss = 0.0
for line in open('/proc/self/status'):
    if line.startswith('VmRSS:'):
        rss = int(line.split()[1]) / 1024
t = time.time()
a.ask(sys.argv[4] + "？")  # a second question: what the first one paid for once (jieba's dictionary, lazy imports)
second_s = time.time() - t
verify_s = None
if not sys.argv[5]:  # after the clock stopped: how much of the model step is checking its checksums
    try:
        from qa.config import Settings
        from qa.embedding import default_model_dir, verify_folder
        t = time.time()
        verify_folder(default_model_dir(Settings.from_env().model_cache_dir))
        verify_s = time.time() - t
    except Exception:
        pass
print(%r + json.dumps({"total_s": t_end - t_spawn, "interpreter_s": t_main - t_spawn, "import_s": t_import - t_main,
      "torch_import_s": t_torch - t_import, "st_import_s": t_st - t_torch, "model_s": t_model - t_st,
      "model_checksum_s": verify_s, "index_s": t_index - t_model, "first_ask_s": t_end - t_index,
      "second_ask_s": second_s, "answer_ms": answer.elapsed_ms, "found": answer.found, "rss_mb": rss}), flush=True)
""" % _RESULT


def import_costs(modules: str = "qa, torch, sentence_transformers", top: int = 8) -> list[tuple[str, float]]:
    """Seconds each package's first import costs in a fresh Python (`python -X importtime`), heaviest
    first: where the cold start's import time goes."""
    proc = subprocess.run([sys.executable, "-X", "importtime", "-c", f"import {modules}"], capture_output=True,
                          text=True, env=_child_env(), timeout=600, cwd=str(ROOT))
    costs: dict[str, float] = {}
    for line in proc.stderr.splitlines():
        m = re.match(r"import time:\s+\d+ \|\s+(\d+) \|(\s*)(\S+)", line)
        if m and "." not in m.group(3):
            costs[m.group(3)] = max(costs.get(m.group(3), 0.0), int(m.group(1)) / 1e6)
    return sorted(costs.items(), key=lambda kv: -kv[1])[:top]


def cold_start(corpus_dir: str, index_dir: str, question: str, model: str | None,
               env_extra: dict[str, str] | None = None, timeout: float = 1800) -> dict[str, Any]:
    env = _child_env(env_extra)
    t_spawn = time.time()
    proc = subprocess.run([sys.executable, "-c", _COLD_CODE, repr(t_spawn), corpus_dir, index_dir, question, model or ""],
                          capture_output=True, text=True, env=env, timeout=timeout, cwd=str(ROOT))
    wall = time.time() - t_spawn
    r = _parse_child("cold start", proc)
    r["wall_s"] = wall
    return r


# --- stage 4: scale ------------------------------------------------------------------------------


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
    elif kind == "hnsw":
        index = faiss.IndexHNSWFlat(dim, HNSW_M, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = ef_construction
        index.add(x)
        out["params"] = {"M": HNSW_M, "efConstruction": ef_construction}
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
    elif kind == "hnsw":
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
    if kind == "hnsw":
        index.hnsw.efSearch = PRODUCT_EF_SEARCH
        if index_path:
            faiss.write_index(index, index_path)
    return out


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
    from .chunking import chunk_document, indexable_text
    from .ingest import load_corpus
    from .query import tokenize

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
               ann_threshold: int, profile_path: str | None = None) -> dict[str, Any]:
    """The whole `ask` path over n synthetic chunks; query embeddings pre-cached (no model here)."""
    import faiss

    from .answer import Assistant
    from .index import FORMAT_VERSION, Index, Manifest, make_bm25, make_faiss
    from .query import analyse

    from .query import tokenize

    tokenize("光谷预热")  # jieba's dictionary and bm25s load before the baseline, not inside a step
    import bm25s  # noqa: F401

    out: dict[str, Any] = {"n": n}
    gc.collect()
    rss0 = rss_mb()
    t = time.perf_counter()
    corpus = synthetic_corpus(corpus_dir, n)
    out["generate_s"] = time.perf_counter() - t
    gc.collect()
    rss_chunks = rss_mb()
    out["chunk_table_mb"] = rss_chunks - rss0
    t = time.perf_counter()
    tokens = corpus.token_lists()
    out["tokens_s"] = time.perf_counter() - t
    t = time.perf_counter()
    bm25 = make_bm25(tokens)
    out["bm25_build_s"] = time.perf_counter() - t
    del tokens
    gc.collect()
    _malloc_trim()  # hand the token lists' freed memory back, so RSS shows what stays
    rss_bm25 = rss_mb()
    out["bm25_mb"] = rss_bm25 - rss_chunks
    x = np.load(x_path)
    rss_x = rss_mb()
    out["embeddings_mb"] = rss_x - rss_bm25
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
    gc.collect()
    rss_dense = rss_mb()
    out["dense_mb"] = rss_dense - rss_x
    out["serving_rss_mb"] = rss_dense
    out["serving_index_mb"] = rss_dense - rss0
    s = Settings.from_env(corpus_dir=corpus_dir)
    manifest = Manifest(format_version=FORMAT_VERSION, model_name="synthetic", model_fingerprint="synthetic", dim=x.shape[1],
                        chunk_min=s.chunk_min, chunk_max=s.chunk_max,
                        documents={d.id: d.sha256 for d in corpus.documents.values()}, n_chunks=n, faiss_kind=kind,
                        created=time.time())
    vocab = frozenset(bm25.vocab_dict) if hasattr(bm25, "vocab_dict") else frozenset()
    index = Index(manifest=manifest, documents=corpus.documents, chunks=corpus.chunks, embeddings=x, dense=dense,
                  bm25=bm25, vocab=vocab)
    a = Assistant(index, None, s)
    qvecs = np.load(q_path)
    texts = []
    for i, q in enumerate(questions):
        try:
            key = analyse(q, s.max_question_chars).text
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


def _part_times(a: Any, texts: Sequence[str], s: Settings) -> dict[str, dict[str, float]]:
    """p50 of the pieces of a hybrid search that grow with the corpus, timed one by one."""
    try:
        from .query import analyse
        from .retrieval import bm25_candidates, dense_candidates, refusal_reason

        parts: dict[str, list[float]] = {"faiss candidates": [], "bm25 candidates": [], "refusal rules": []}
        for q in texts:
            query = analyse(q, s.max_question_chars)
            qvec = a._query_cache.get(query.text)
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
    call = (lambda f, kw: globals()[f](**kw)) if cfg.in_process else (lambda f, kw: run_child(f, kw))
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
                r = call("e2e_worker", {"corpus_dir": str(cfg.settings.corpus_dir), "n": n, "x_path": x_path,
                                        "q_path": q_path, "dense_path": dense_path, "questions": questions,
                                        "ann_threshold": cfg.settings.ann_threshold, "profile_path": prof})
                say(f"  serving {r['serving_rss_mb']:.0f} MB (chunks {r['chunk_table_mb']:.0f}, bm25 {r['bm25_mb']:.0f}, "
                    f"embeddings {r['embeddings_mb']:.0f}, faiss {r['dense_mb']:.0f}); ask p50 " + ", ".join(
                        f"{m} {v['p50']:.1f} ms" for m, v in r["modes"].items()) + " (model excluded)")
            except Exception as e:  # noqa: BLE001
                say(f"scale {fmt_n(n)}: whole path failed: {e}")
                r = {"error": str(e)[-500:]}
            res["e2e"] = r
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


def evaluate_targets(results: dict[str, Any]) -> list[dict[str, Any]]:
    lat = results.get("latency") or {}
    ours = lat.get("ours", {})
    enc = ours.get("embedding only", {}).get("p50")
    rows: list[dict[str, Any]] = []

    def add(name: str, target: str, value: Any, met: bool | None, why: str = "") -> None:
        rows.append({"target": name, "goal": target, "value": value, "met": met, "why": why})

    hyb = ours.get("hybrid", {}).get("p50")
    cached = ours.get("hybrid, embedding cached", {}).get("p50")
    if hyb is not None:
        why = ""
        if hyb > TARGETS["hybrid_p50_ms"] and enc:
            why = (f"the model's forward pass alone is {enc:.1f} ms p50; everything else {cached:.1f} ms "
                   f"(see profile_hybrid.txt with --profile)")
        add("warm hybrid query p50 (with figures)", f"<= {TARGETS['hybrid_p50_ms']:.0f} ms", f"{hyb:.1f} ms",
            hyb <= TARGETS["hybrid_p50_ms"], why)
    if cached is not None and enc:
        share = cached / enc
        add("everything but the model / the model's forward pass", f"<= {TARGETS['non_model_share']:.0%}",
            f"{share:.0%} ({cached:.1f} / {enc:.1f} ms)", share <= TARGETS["non_model_share"],
            "" if share <= TARGETS["non_model_share"] else "see profile_hybrid.txt (--profile) for where it goes")
    peer = lat.get("peer")
    if peer and hyb is not None:
        r = hyb / peer["hybrid"]["p50"]
        add("ours / peer hybrid p50", f"<= {TARGETS['peer_ratio']}", f"{r:.2f} ({hyb:.1f} / {peer['hybrid']['p50']:.1f} ms)",
            r <= TARGETS["peer_ratio"],
            "" if r <= TARGETS["peer_ratio"] else "both pay the same forward pass, which bounds the ratio from below: "
            f"(model {enc:.1f} ms) / (peer {peer['hybrid']['p50']:.1f} ms) = {enc / peer['hybrid']['p50']:.2f}"
            + (f"; without the model (embedding cached): ours {cached:.1f} ms, peer {peer[CACHED]['p50']:.1f} ms"
               if cached is not None and CACHED in peer else ""))
    else:
        add("ours / peer hybrid p50", f"<= {TARGETS['peer_ratio']}", None, None, "peer not run")
    cold = (results.get("cold_start") or {}).get("cached")
    if cold:
        v = cold["median_total_s"]
        parts = cold["runs"][cold.get("median_index", 0)]
        add("cold start, model cached, index built", f"<= {TARGETS['cold_start_s']:.0f} s", f"{v:.1f} s",
            v <= TARGETS["cold_start_s"],
            "" if v <= TARGETS["cold_start_s"] else
            f"import torch {parts.get('torch_import_s', 0):.1f} s + sentence-transformers {parts.get('st_import_s', 0):.1f} s, "
            f"load model {parts['model_s']:.1f} s (checksums {_f(parts.get('model_checksum_s'))} s of it), "
            f"load index {parts['index_s']:.1f} s, first ask {parts['first_ask_s']:.1f} s "
            f"(a second ask {_f(parts.get('second_ask_s'))} s), "
            f"interpreter + import qa {parts['interpreter_s'] + parts['import_s']:.1f} s"
            + ("; heaviest first imports: " + ", ".join(f"{k} {v:.1f} s" for k, v in
                                                       (results["cold_start"].get("imports") or [])[:4])
               if (results["cold_start"].get("imports")) else ""))
    else:
        add("cold start, model cached, index built", f"<= {TARGETS['cold_start_s']:.0f} s", None, None, "not run")
    scale = results.get("scale")
    big = _largest(scale)
    if big and big[0] >= SCALE_TARGET_N:
        n, res = big
        e2e = res["e2e"]
        p50 = e2e["modes"]["hybrid"]["p50"] + (enc or 0.0)
        kind = e2e.get("dense_kind")
        rec = None
        if kind == "hnsw":
            rec = res["ann"].get(f"hnsw (efC={HNSW_EF_CONSTRUCTION})", {}).get("search", {}).get(
                f"efSearch={PRODUCT_EF_SEARCH}", {}).get("recall@10")
        elif kind == "flat":
            rec = 1.0
        met = p50 <= TARGETS["scale_p50_ms"] and rec is not None and rec >= TARGETS["scale_recall"]
        parts = {k: v for k, v in e2e.get("parts", {}).items() if k != "error"}
        add(f"{fmt_n(n)}-chunk hybrid query p50 (model included) and ANN recall@10",
            f"<= {TARGETS['scale_p50_ms']:.0f} ms, >= {TARGETS['scale_recall']}",
            f"{p50:.1f} ms, recall {_f(rec, 3)} ({kind})", met,
            "" if met else f"model {enc or 0:.1f} ms + the rest {e2e['modes']['hybrid']['p50']:.1f} ms"
            + (", of which " + ", ".join(f"{k} {v['mean']:.1f} ms" for k, v in parts.items()) + " (mean each)"
               if parts else "")
            + f" (bm25-mode ask {e2e['modes']['bm25']['p50']:.1f} ms, dense-mode ask "
            f"{e2e['modes']['dense']['p50']:.1f} ms; profile_scale_{fmt_n(n)}.txt with --profile)")
        model_mb = ((results.get("build") or {}).get("ours") or {}).get("model_mb") or 0.0
        mem = (e2e["serving_rss_mb"] + model_mb) / 1024
        add(f"memory serving {fmt_n(n)} chunks (index + chunk table + model)", f"<= {TARGETS['scale_memory_gb']:.0f} GB",
            f"{mem:.2f} GB", mem <= TARGETS["scale_memory_gb"],
            "" if mem <= TARGETS["scale_memory_gb"] else
            f"embeddings array {e2e['embeddings_mb'] / 1024:.2f} GB + FAISS {e2e['dense_mb'] / 1024:.2f} GB (which holds "
            f"its own copy of the vectors) + chunk table {e2e['chunk_table_mb'] / 1024:.2f} GB + BM25 "
            f"{e2e['bm25_mb'] / 1024:.2f} GB + model {model_mb / 1024:.2f} GB + interpreter")
    else:
        why = "1M not measured (--quick or --scale without 1000000)"
        add("1M-chunk hybrid query p50 and ANN recall@10", f"<= {TARGETS['scale_p50_ms']:.0f} ms, >= {TARGETS['scale_recall']}",
            None, None, why)
        add("memory serving 1M chunks", f"<= {TARGETS['scale_memory_gb']:.0f} GB", None, None, why)
    return rows


# --- output --------------------------------------------------------------------------------------


def _table(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    return "\n".join(lines)


def latency_table(lat: dict[str, Any]) -> str:
    ours, peer = lat["ours"], lat.get("peer")
    enc = ours["embedding only"]["p50"]
    rows = []
    label = {"bm25": "bm25 (ask)", "dense": "dense (ask)", "hybrid": "hybrid = hybrid+figures (ask)"}
    for r in OUR_ROWS:
        if r not in ours:
            continue
        o = ours[r]
        p = peer.get(r) if peer else None
        ratio = f"{o['p50'] / p['p50']:.2f}" if p else "-"
        hit_o = lat["hit@5"]["ours"].get(r) if r in MODES else None
        hit_p = lat["hit@5"].get("peer", {}).get(r) if p else None
        rows.append([label.get(r, r), _f(o["p50"]), _f(o["p95"]), _f(o["max"]), f"{o['p50'] / enc:.2f}",
                     _f(p["p50"]) if p else "-", _f(p["p95"]) if p else "-", ratio,
                     _f(hit_o, 3), _f(hit_p, 3)])
    return _table(["query (warm model, cold cache)", "ours p50 ms", "p95", "max", "p50 / embedding", "peer p50 ms",
                   "peer p95", "ours/peer p50", "ours hit@5", "peer hit@5"], rows)


def build_table(build: dict[str, Any]) -> str:
    rows = []
    for side in ("ours", "peer"):
        b = build.get(side)
        if not b or "error" in b:
            continue
        rows.append([side, b["chunks"], _f(b["model_load_s"]), _f(b["build_total_s"]), _f(b.get("chunks_per_s")),
                     _f(b["peak_rss_mb"], 0), _f(b["rss_built_mb"] - b["rss_model_mb"], 0), _f(b["disk_mb"], 2)])
    if build.get("ours") and build.get("peer") and "error" not in build["peer"] and "error" not in build["ours"]:
        o, p = build["ours"], build["peer"]
        rows.append(["ours/peer", "", f"{o['model_load_s'] / p['model_load_s']:.2f}",
                     f"{o['build_total_s'] / p['build_total_s']:.2f}", "", f"{o['peak_rss_mb'] / p['peak_rss_mb']:.2f}",
                     "", ""])
    return _table(["system", "chunks", "model load s", "build s (chunk+embed+index+save)", "embed chunks/s",
                   "peak RSS MB", "RSS added by build MB", "on disk MB"], rows)


def cold_table(cold: dict[str, Any]) -> str:
    rows = []
    for key, label in (("cached", "model cached, index built (median)"), ("fresh", "fresh cache: convert model + build index")):
        c = cold.get(key)
        if not c or "error" in c:
            continue
        r = c["runs"][c.get("median_index", 0)]
        rows.append([label, _f(r["total_s"], 2), _f(r["interpreter_s"], 2), _f(r["import_s"], 2),
                     _f(r.get("torch_import_s"), 2), _f(r.get("st_import_s"), 2), _f(r["model_s"], 2),
                     _f(r.get("model_checksum_s"), 2), _f(r["index_s"], 2), _f(r["first_ask_s"], 2), _f(r.get("second_ask_s"), 2), _f(r["rss_mb"], 0)])
    return _table(["cold start", "total s", "interpreter", "import qa", "import torch", "import sentence-transformers",
                   "load model", "(of which checksums)", "load index", "first ask", "(a second ask)", "RSS MB"], rows)


def scale_tables(scale: dict[str, Any]) -> tuple[str, str]:
    rows = []
    for key, res in scale.get("sizes", {}).items():
        for label, r in res.get("ann", {}).items():
            if "search" not in r:
                rows.append([fmt_n(int(key)), label, "failed", "", "", "", "", "", ""])
                continue
            for setting, s in r["search"].items():
                rows.append([fmt_n(int(key)), label, setting, _f(r["build_s"]), _f(r["index_mb"], 0), _f(r["disk_mb"], 0),
                             _f(s["p50"], 2), _f(s["p95"], 2), _f(s["recall@10"], 3)])
    ann = _table(["chunks", "index", "search", "build s", "index RSS MB", "disk MB", "p50 ms", "p95 ms", "recall@10"], rows)
    rows = []
    for key, res in scale.get("sizes", {}).items():
        e = res.get("e2e") or {}
        if "modes" not in e:
            continue
        m = e["modes"]
        rows.append([fmt_n(int(key)), e["dense_kind"], _f(e["generate_s"]), _f(e["bm25_build_s"]),
                     _f(e.get("dense_build_s", e.get("dense_load_s"))), _f(e["chunk_table_mb"], 0), _f(e["bm25_mb"], 0),
                     _f(e["embeddings_mb"], 0), _f(e["dense_mb"], 0), _f(e["serving_rss_mb"], 0), _f(e["peak_rss_mb"], 0),
                     _f(m["bm25"]["p50"]), _f(m["dense"]["p50"]), _f(m["hybrid"]["p50"]), _f(m["hybrid"]["p95"]),
                     " / ".join(_f(e.get("parts", {}).get(k, {}).get("mean"))
                                for k in ("faiss candidates", "bm25 candidates", "refusal rules"))])
    e2e = _table(["chunks", "dense", "generate s", "bm25 build s", "dense build/load s", "chunk table MB", "bm25 MB",
                  "embeddings MB", "faiss MB", "serving RSS MB", "peak RSS MB", "bm25 p50", "dense p50", "hybrid p50",
                  "hybrid p95", "of which faiss / bm25 / refusal rules, mean ms"], rows)
    return ann, e2e


def targets_table(targets: list[dict[str, Any]]) -> str:
    mark = {True: "met", False: "MISSED", None: "not measured"}
    return _table(["target", "goal", "measured", "", "what costs the time / memory"],
                  [[t["target"], t["goal"], t["value"] or "-", mark[t["met"]], t["why"]] for t in targets])


def markdown(results: dict[str, Any]) -> str:
    m = results["machine"]
    md = ["# Benchmarks", "", f"Machine: {machine_line(m)}.", "",
          f"Mode: {'--quick' if results['config']['quick'] else 'full'}; {results['config']['questions']} questions; "
          f"started {results['started']}; took {results.get('took_s', 0) / 60:.1f} min.", ""]
    if results.get("targets"):
        md += ["## Targets", "", targets_table(results["targets"]), ""]
    lat = results.get("latency")
    if lat:
        md += ["## Query latency, real corpus (ms)", "",
               f"{lat['questions']} distinct questions, each asked once per row, rows interleaved per question. "
               "Warm model; 'cold cache' = the query-embedding cache cleared before each ask. `ask` always ranks "
               "figures and builds the answer, so hybrid here is hybrid+figures; 'hybrid retrieval only' is "
               "`retrieval.search` alone. hit@5 over the answerable gold questions (first cycle, "
               f"n={lat['hit@5_n']}), a hit = a top-5 chunk overlapping an evidence span. The peer is "
               "Langchain-Chatchat's stack over the same chunks and model: FAISS.from_documents(normalize_L2=True), "
               "BM25Retriever(preprocess_func=jieba.lcut_for_search), EnsembleRetriever weights 0.5/0.5, k=5 each; "
               "its 'embedding cached' row caches the query vector in the Embeddings wrapper.", "",
               latency_table(lat), ""]
    b = results.get("build")
    if b:
        md += ["## Index build (real corpus, child process)", "", build_table(b), ""]
    c = results.get("cold_start")
    if c:
        md += ["## Cold start (child process, process start to first answer)", "", cold_table(c), ""]
        if c.get("imports"):
            md += ["First import of each package, cumulative (a package's time includes the packages it imports "
                   "first, e.g. sentence_transformers includes sklearn and transformers): "
                   + ", ".join(f"{k} {v:.2f} s" for k, v in c["imports"]) + ".", ""]
    sc = results.get("scale")
    if sc and sc.get("sizes"):
        ann, e2e = scale_tables(sc)
        md += ["## Scale: FAISS index types (synthetic vectors, dim 384)", "",
               f"{results['config']['scale_queries']} single-vector queries near data points; recall@10 against flat. "
               f"Vectors: a {LATENT_DIM}-dim latent projected to {DIM} dims plus noise (embedding-like). "
               f"HNSW M={HNSW_M}; IVF nlist = 4 sqrt(n), k-means on min({IVF_TRAIN_PER_LIST} x nlist, {IVF_TRAIN_MAX:,}) points, "
               f"{IVF_NITER} iterations. Index RSS = memory the index adds on top of the caller's vectors.", "", ann, ""]
        iso = sc.get("worst_case_iso")
        if iso and "search" in iso:
            md.append("Worst case, pure isotropic random vectors at "
                      f"{fmt_n(iso['n'])} (no neighbourhood structure, unlike any embedding): HNSW recall@10 "
                      + ", ".join(f"{k} {v['recall@10']:.3f}" for k, v in iso["search"].items()) + ".")
            md.append("")
        md += ["## Scale: the whole ask path (synthetic chunks, model excluded)", "",
               "Chunks made from the report's chunks and sentences with their numbers changed; BM25 built as the index "
               "builds it; the dense index the current `Settings.ann_threshold` picks; `Assistant.ask` over the gold "
               "questions with query embeddings pre-cached. Add the model's forward pass "
               f"({_f((lat or {}).get('ours', {}).get('embedding only', {}).get('p50'))} ms p50) for a user's latency. "
               "Memory columns are RSS deltas measured step by step.", "", e2e, ""]
    rec = results.get("recommendation")
    if rec:
        md += ["## Recommended `Settings.ann_threshold`", "",
               f"**{rec['threshold']:,}** (currently {rec['current']:,}). {rec['why']}." if rec.get("threshold")
               else f"No recommendation: {rec.get('why')}.", ""]
        if rec.get("ef_search_note"):
            md += [f"HNSW efSearch (make_faiss uses {PRODUCT_EF_SEARCH}), {rec['ef_search_note']}.", ""]
    if results.get("profiles"):
        md += ["## Profiles", ""] + [f"- {p}" for p in results["profiles"]] + [""]
    if results.get("notes"):
        md += ["## Notes", ""] + [f"- {n}" for n in results["notes"]] + [""]
    return "\n".join(md)


def charts(results: dict[str, Any], out: Path) -> list[str]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    written = []
    lat = results.get("latency")
    if lat:
        fig, ax = plt.subplots(figsize=(9, 4.5))
        rows = [r for r in OUR_ROWS if r in lat["ours"]]
        xs = np.arange(len(rows))
        w = 0.38
        ax.bar(xs - w / 2, [lat["ours"][r]["p50"] for r in rows], w, label="ours p50",
               yerr=[[0] * len(rows), [lat["ours"][r]["p95"] - lat["ours"][r]["p50"] for r in rows]], capsize=3)
        if lat.get("peer"):
            ax.bar(xs + w / 2, [lat["peer"][r]["p50"] if r in lat["peer"] else 0 for r in rows], w,
                   label="LangChain peer p50",
                   yerr=[[0] * len(rows), [(lat["peer"][r]["p95"] - lat["peer"][r]["p50"]) if r in lat["peer"] else 0
                                           for r in rows]], capsize=3)
        ax.axhline(TARGETS["hybrid_p50_ms"], ls="--", c="gray", lw=1, label="target hybrid p50")
        ax.set_xticks(xs, [r.replace(", ", ",\n").replace(" retrieval", "\nretrieval") for r in rows], fontsize=8)
        ax.set_ylabel("ms (bar p50, whisker p95)")
        ax.set_title("Query latency per mode, warm model, real corpus")
        ax.legend(fontsize=8)
        ax.grid(axis="y", alpha=0.3)
        fig.tight_layout()
        fig.savefig(out / "bench_modes.png", dpi=110)
        plt.close(fig)
        written.append("bench_modes.png")
    sc = results.get("scale")
    if sc and sc.get("sizes"):
        fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(13, 4.8))
        series: dict[str, list[tuple[int, float]]] = {}
        mem: dict[str, list[tuple[int, float]]] = {}
        for key, res in sc["sizes"].items():
            n = int(key)
            for label, r in res.get("ann", {}).items():
                for setting, s in r.get("search", {}).items():
                    if label.startswith("ivf") and s["recall@10"] < TARGETS["scale_recall"]:
                        continue
                    series.setdefault(f"{label} {setting}", []).append((n, s["p50"]))
                if "index_mb" in r:
                    mem.setdefault(f"{label} index", []).append((n, r["index_mb"]))
            e = res.get("e2e") or {}
            if "modes" in e:
                series.setdefault("whole hybrid ask (model excluded)", []).append((n, e["modes"]["hybrid"]["p50"]))
                mem.setdefault("whole index serving RSS", []).append((n, e["serving_rss_mb"]))
        for label, pts in series.items():
            if label.startswith("ivf") or "efC=80" in label:  # ivf: the best setting is drawn below
                continue
            pts.sort()
            ax1.plot([p[0] for p in pts], [p[1] for p in pts], marker="o", label=label)
        ivf_best = _ivf_best(sc)
        if ivf_best:
            ax1.plot([p[0] for p in ivf_best], [p[1] for p in ivf_best], marker="s", label="ivf (smallest nprobe, recall>=0.95)")
        enc = (lat or {}).get("ours", {}).get("embedding only", {}).get("p50")
        if enc:
            ax1.axhline(enc, ls=":", c="k", lw=1, label="model forward pass p50")
        ax1.axhline(TARGETS["scale_p50_ms"], ls="--", c="gray", lw=1, label="target 50 ms")
        ax1.set_xscale("log")
        ax1.set_yscale("log")
        ax1.set_xlabel("chunks")
        ax1.set_ylabel("query p50 ms")
        ax1.set_title("Latency against corpus size")
        ax1.legend(fontsize=7)
        ax1.grid(alpha=0.3, which="both")
        for label, pts in mem.items():
            pts.sort()
            ax2.plot([p[0] for p in pts], [p[1] / 1024 for p in pts], marker="o", label=label)
        ax2.axhline(TARGETS["scale_memory_gb"], ls="--", c="gray", lw=1, label="target 4 GB (1M)")
        ax2.set_xscale("log")
        ax2.set_xlabel("chunks")
        ax2.set_ylabel("GB")
        ax2.set_title("Memory against corpus size")
        ax2.legend(fontsize=7)
        ax2.grid(alpha=0.3, which="both")
        fig.tight_layout()
        fig.savefig(out / "bench_scale.png", dpi=110)
        plt.close(fig)
        written.append("bench_scale.png")
    return written


def _ivf_best(sc: dict[str, Any]) -> list[tuple[int, float]]:
    pts = []
    for key, res in sc.get("sizes", {}).items():
        r = res.get("ann", {}).get("ivf", {})
        ok = [(s["p50"], name) for name, s in r.get("search", {}).items() if s["recall@10"] >= TARGETS["scale_recall"]]
        if ok:
            pts.append((int(key), min(ok)[0]))
    return sorted(pts)


def write_outputs(results: dict[str, Any], out: Path, final: bool = False) -> None:
    out.mkdir(parents=True, exist_ok=True)
    (out / "bench.json").write_text(json.dumps(results, ensure_ascii=False, indent=1, default=str), encoding="utf-8")
    if final:
        results["charts"] = charts(results, out)
        (out / "bench.md").write_text(markdown(results), encoding="utf-8")
        (out / "bench.json").write_text(json.dumps(results, ensure_ascii=False, indent=1, default=str), encoding="utf-8")


# --- driver --------------------------------------------------------------------------------------


@dataclass
class BenchConfig:
    out: Path
    settings: Settings
    quick: bool = False
    peer: bool = True
    profile: bool = False
    sizes: tuple[int, ...] = (10_000, 100_000, 1_000_000)
    questions: int | None = None  # None: 200 with --quick, else max(200, two rounds of the gold set)
    scale_queries: int = 100
    cold_runs: int = 3
    model: Any = None  # an Embedder to use in-process (tests); None loads settings.model
    children: bool = True  # build / cold-start measurements in child processes with the real model
    fresh_cold_start: bool = True
    in_process: bool = False  # scale workers in this process (tests)
    worst_case: bool = True
    hnsw80_max: int = HNSW80_MAX
    notes: list[str] = field(default_factory=list)


def config_from_args(args: argparse.Namespace, settings: Settings) -> BenchConfig:
    quick = bool(getattr(args, "quick", False))
    sizes = parse_sizes(getattr(args, "scale", None) or "10000,100000,1000000")
    notes = []
    if quick:
        dropped = [n for n in sizes if n > QUICK_MAX_SIZE]
        sizes = [n for n in sizes if n <= QUICK_MAX_SIZE]
        if dropped:
            notes.append(f"--quick: scale sizes above {fmt_n(QUICK_MAX_SIZE)} skipped ({', '.join(map(fmt_n, dropped))})")
    profile = bool(getattr(args, "profile", False)) or os.environ.get("QA_BENCH_PROFILE", "") in ("1", "true", "yes")
    return BenchConfig(
        out=Path(getattr(args, "out", None) or "artifacts/bench"), settings=settings, quick=quick,
        peer=not getattr(args, "no_peer", False), profile=profile, sizes=tuple(sizes),
        questions=MIN_QUESTIONS if quick else None, scale_queries=50 if quick else 100, cold_runs=2 if quick else 3,
        notes=notes,
    )


def run(cfg: BenchConfig) -> dict[str, Any]:
    from .answer import Assistant

    global _T0
    _T0 = time.perf_counter()
    cfg.out.mkdir(parents=True, exist_ok=True)
    results: dict[str, Any] = {
        "machine": machine_info(), "started": time.strftime("%Y-%m-%d %H:%M:%S"),
        "config": {"quick": cfg.quick, "peer": cfg.peer, "sizes": list(cfg.sizes), "questions": cfg.questions,
                   "scale_queries": cfg.scale_queries, "profile": cfg.profile,
                   "ann_threshold": cfg.settings.ann_threshold, "model": cfg.settings.model},
        "targets_goals": TARGETS, "notes": list(cfg.notes), "profiles": [],
    }
    report = lambda: write_outputs(results, cfg.out)  # noqa: E731
    say(f"machine: {machine_line(results['machine'])}")
    load = results["machine"].get("loadavg_start")
    if load and results["machine"]["usable_cores"] and load[0] > 0.5 * results["machine"]["usable_cores"]:
        note = (f"the machine was busy when the run started (load average {load[0]:.1f} on "
                f"{results['machine']['usable_cores']} cores): latencies are inflated; re-run on a quiet machine")
        results["notes"].append(note)
        say("warning: " + note)
    items = load_gold_items(cfg.settings)
    if not items:
        from .errors import QAError

        raise QAError(f"no gold questions in {Path(cfg.settings.corpus_dir) / 'gold'}: the bench asks them")
    n_questions = cfg.questions or max(MIN_QUESTIONS, 2 * len(items))
    questions = bench_questions(items, n_questions)
    results["config"]["questions"] = len(questions)
    work = Path(tempfile.mkdtemp(prefix="qa-bench-"))
    try:
        # --- stage 1 -------------------------------------------------------------------------
        say("loading the model and building the real index in a temp folder")
        t = time.perf_counter()
        a = Assistant.load(settings=cfg.settings.with_(index_dir=work / "index"), model=cfg.model)
        say(f"ready in {time.perf_counter() - t:.1f}s: {a.index.size} chunks, faiss={a.index.manifest.faiss_kind}")
        peer = None
        if cfg.peer:
            missing = peer_available()
            if missing:
                results["notes"].append(f"peer skipped: {missing}")
                say(f"peer skipped: {missing}")
            else:
                say("building the LangChain peer (FAISS + BM25Retriever + EnsembleRetriever) over the same chunks")
                peer = build_peer(a.index.chunks, a.model)
        relevant = relevant_sets(a.index, items)
        say(f"latency: {len(questions)} questions x ({len(OUR_ROWS)} rows ours" + (" + 3 peer" if peer else "") + ")")
        results["latency"] = latency_bench(a, questions, peer, relevant)
        print(latency_table(results["latency"]), flush=True)
        report()
        if cfg.profile:
            try:
                path = cfg.out / "profile_hybrid.txt"
                say(f"profiling 50 hybrid questions -> {path}")
                profile_queries(a, [q for q, _, _ in questions[:50]], path)
                results["profiles"].append(path.name)
            except ImportError:
                results["notes"].append("--profile: pyinstrument not installed (pip install -e '.[bench]')")
        # --- stage 2 and 3 -------------------------------------------------------------------
        model_name = cfg.settings.model if isinstance(cfg.settings.model, str) else None
        corpus = str(Path(cfg.settings.corpus_dir).resolve())
        if cfg.children:
            results["build"] = {}
            for side, func in (("ours", "child_build_ours"), ("peer", "child_build_peer")):
                if side == "peer" and peer is None:
                    continue
                say(f"build ({side}) in a child process")
                try:
                    results["build"][side] = b = run_child(func, {"corpus_dir": corpus, "model": model_name})
                    say(f"  {b['chunks']} chunks: model {b['model_load_s']:.1f}s, build {b['build_total_s']:.1f}s, "
                        f"peak RSS {b['peak_rss_mb']:.0f} MB" + (f", embed {b['chunks_per_s']:.0f} chunks/s"
                                                                 if "chunks_per_s" in b else ""))
                except Exception as e:  # noqa: BLE001
                    say(f"  failed: {e}")
                    results["build"][side] = {"error": str(e)[-500:]}
                report()
            results["cold_start"] = {}
            first_q = items[0].question
            runs = []
            for i in range(cfg.cold_runs):
                say(f"cold start with cache, run {i + 1}/{cfg.cold_runs}")
                try:
                    runs.append(cold_start(corpus, str(work / "index"), first_q, model_name))
                    say(f"  {runs[-1]['total_s']:.2f}s")
                except Exception as e:  # noqa: BLE001
                    say(f"  failed: {e}")
            if runs:
                order = sorted(range(len(runs)), key=lambda i: runs[i]["total_s"])
                mid = order[len(order) // 2]
                results["cold_start"]["cached"] = {"runs": runs, "median_index": mid,
                                                   "median_total_s": runs[mid]["total_s"]}
            if cfg.fresh_cold_start:
                say("cold start on a fresh cache (model conversion + index build)")
                fresh = work / "fresh"
                try:
                    r = cold_start(corpus, str(fresh / "index"), first_q, model_name,
                                   env_extra={"QA_MODEL_CACHE_DIR": str(fresh / "cache")})
                    results["cold_start"]["fresh"] = {"runs": [r], "median_index": 0, "median_total_s": r["total_s"]}
                    say(f"  {r['total_s']:.1f}s (model {r['model_s']:.1f}s, index {r['index_s']:.1f}s)")
                except Exception as e:  # noqa: BLE001
                    say(f"  failed: {e}")
                    results["cold_start"]["fresh"] = {"error": str(e)[-500:]}
            try:
                results["cold_start"]["imports"] = import_costs()
            except (OSError, subprocess.SubprocessError) as e:
                say(f"import costs not measured: {e}")
            print(cold_table(results["cold_start"]), flush=True)
            report()
        del a, peer
        gc.collect()
        # --- stage 4 -------------------------------------------------------------------------
        if cfg.sizes:
            qtexts = [it.question for it in items]
            qtexts = (qtexts * (cfg.scale_queries // len(qtexts) + 1))[: cfg.scale_queries]
            scale_bench(cfg, cfg.sizes, qtexts, report, results)
            for n in cfg.sizes:
                p = cfg.out / f"profile_scale_{fmt_n(n)}.txt"
                if p.exists() and p.name not in results["profiles"]:
                    results["profiles"].append(p.name)
        # --- stage 5 -------------------------------------------------------------------------
        enc = results["latency"]["ours"]["embedding only"]["p50"]
        results["recommendation"] = recommend_ann_threshold(results.get("scale"), enc, cfg.settings.ann_threshold)
        results["targets"] = evaluate_targets(results)
    finally:
        shutil.rmtree(work, ignore_errors=True)
        results["took_s"] = time.perf_counter() - _T0
        results["machine"]["loadavg_end"] = list(os.getloadavg()) if hasattr(os, "getloadavg") else None
        write_outputs(results, cfg.out, final="latency" in results)
    sc = results.get("scale")
    if sc and sc.get("sizes"):
        ann, e2e = scale_tables(sc)
        print("\n" + ann + "\n\n" + e2e, flush=True)
    print("\n" + targets_table(results["targets"]), flush=True)
    rec = results["recommendation"]
    if rec.get("threshold"):
        print(f"\nrecommended Settings.ann_threshold = {rec['threshold']:,} (currently {rec['current']:,}): {rec['why']}")
        if rec.get("ef_search_note"):
            print(f"HNSW efSearch (make_faiss uses {PRODUCT_EF_SEARCH}), {rec['ef_search_note']}")
    else:
        print(f"\nno ann_threshold recommendation: {rec.get('why')}")
    say(f"done in {results['took_s'] / 60:.1f} min -> {cfg.out / 'bench.md'}, bench.json, "
        + ", ".join(results.get("charts", [])))
    return results


def main(args: argparse.Namespace, settings: Settings) -> int:
    cfg = config_from_args(args, settings)
    run(cfg)
    return 0


if __name__ == "__main__":  # python -m qa.bench [--quick] [--no-peer] [--out DIR] [--scale ...] [--profile]
    p = argparse.ArgumentParser(prog="python -m qa.bench")
    p.add_argument("--corpus", type=Path)
    p.add_argument("--model")
    p.add_argument("--out", type=Path, default=Path("artifacts/bench"))
    p.add_argument("--quick", action="store_true")
    p.add_argument("--no-peer", action="store_true")
    p.add_argument("--profile", action="store_true", help="pyinstrument profiles of hybrid queries")
    p.add_argument("--scale", default="10000,100000,1000000")
    ns = p.parse_args()
    sys.exit(main(ns, Settings.from_env(corpus_dir=ns.corpus, model=ns.model)))

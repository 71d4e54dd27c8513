"""Stage 1: query latency on the real corpus, ours and the peer's, interleaved per question."""
from __future__ import annotations

import random
import sys
import time
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np


from qa.config import Settings

from .common import MODES, SEED, say, stats
from .peer import peer_ids

CACHED = "hybrid, embedding cached"  # everything but the model's forward pass
OUR_ROWS = ("embedding only", "bm25", "dense", "hybrid", "hybrid retrieval only", CACHED)


def latency_bench(assistant: Any, questions: Sequence[tuple[str, Any, int]], peer: dict[str, Any] | None,
                  relevant: dict[str, set[str]], top_k: int = 5, progress: bool = True) -> dict[str, Any]:
    """Interleaved per question: embedding floor, our modes, our non-model path, the peer's modes."""
    from tqdm import tqdm

    from qa.errors import QuestionError
    from qa.query import analyse
    from qa.retrieval import search

    a = assistant
    s = a.settings
    ours: dict[str, list[float]] = {r: [] for r in OUR_ROWS}
    theirs: dict[str, list[float]] = {m: [] for m in ("embedding only", *MODES, CACHED)}
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
            if peer is not None:  # the peer's model as its users run it (sentence-transformers on torch)
                t = pc()
                peer["embeddings"].m.encode_queries([query.text])
                theirs["embedding only"].append((pc() - t) * 1000)

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
        out["ratios"]["ours_over_peer"] = {m: out["ours"][m]["p50"] / out["peer"][m]["p50"]
                                           for m in ("embedding only", *MODES, CACHED)}
    return out


def encoder_bench(settings: Settings, questions: Sequence[str], chunks: Sequence[str], rounds: int = 200,
                  encoders: Sequence[str] = ("torch", "onnx", "onnx-int8", "onnx-query-int8")) -> dict[str, Any]:
    """Each encoder of the same model: load time (warm caches), single-query latency (interleaved,
    `rounds` distinct questions), and cosine to torch on every question and chunk."""
    from qa.embedding import load_encoder

    models, out = {}, {}
    for enc in encoders:
        t = time.perf_counter()
        models[enc] = load_encoder(settings.model, settings.model_cache_dir, enc)
        out[enc] = {"load_s": time.perf_counter() - t, "encoder": getattr(models[enc].info, "encoder", enc)}
        models[enc].encode_queries(list(questions[:3]))
    lat: dict[str, list[float]] = {e: [] for e in encoders}
    order = random.Random(SEED)
    for i in range(rounds):
        q = questions[i % len(questions)] + ("" if i < len(questions) else f" ({i // len(questions)})")
        names = list(encoders)
        order.shuffle(names)
        for enc in names:
            t = time.perf_counter()
            models[enc].encode_queries([q])
            lat[enc].append((time.perf_counter() - t) * 1000)
    ref_q = models[encoders[0]].encode_queries(list(questions))
    ref_c = models[encoders[0]].encode_documents(list(chunks))
    for enc in encoders:
        out[enc]["query"] = stats(lat[enc])
        cq = (models[enc].encode_queries(list(questions)) * ref_q).sum(axis=1)
        cc = (models[enc].encode_documents(list(chunks)) * ref_c).sum(axis=1)
        out[enc]["cosine_to_torch"] = {"questions_min": float(cq.min()), "questions_mean": float(cq.mean()),
                                       "chunks_min": float(cc.min()), "chunks_mean": float(cc.mean())}
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

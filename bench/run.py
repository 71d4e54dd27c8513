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
   Then the warm answer against the bare `SentenceTransformer.encode(question)` on torch, in
   alternating blocks, and the learned decision's own cost per answer (bench/answer_cost.py).
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
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


import numpy as np

from qa.config import Settings

from . import common
from .common import (
    HNSW80_MAX, PRODUCT_EF_SEARCH, QUICK_MAX_SIZE, MIN_QUESTIONS, TARGETS, say, parse_sizes,
    fmt_n, machine_info, machine_line, run_child, bench_questions, load_gold_items, relevant_sets,
)
from qa.chunking import indexable_text

from .answer_cost import answer_cost, cost_table
from .latency import OUR_ROWS, encoder_bench, latency_bench, profile_queries
from .peer import build_peer, peer_available
from .report import encoders_table, server_table, cold_table, evaluate_targets, latency_table, scale_tables, targets_table, write_outputs
from .scale import recommend_ann_threshold, scale_bench
from .server import ENDPOINTS, server_bench
from .startup import cli_cold, cold_start, import_costs


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
    ann_kinds: tuple[str, ...] = ("flat", "hnsw", "ivf")  # FAISS index types measured at each size
    server_questions: int = 1000  # per endpoint, 20 clients; 0 skips the server stage
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
        notes=notes, server_questions=200 if quick else 1000,
        ann_kinds=tuple(k.strip() for k in (getattr(args, "ann", None) or "flat,hnsw,ivf").split(",") if k.strip()),
    )


def run(cfg: BenchConfig) -> dict[str, Any]:
    from qa.answer import Assistant

    common._T0[0] = time.perf_counter()
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
        from qa.errors import QAError

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
                peer_model = cfg.model
                if peer_model is None:  # LangChain users run the model on sentence-transformers/torch
                    from qa.embedding import load_model

                    peer_model = load_model(cfg.settings.model, cfg.settings.model_cache_dir)
                peer = build_peer(a.index.chunks, peer_model)
        if cfg.model is None:  # the real model: the answer against its bare sentence-transformers query embedding
            st = peer["embeddings"].m if peer is not None else None
            if not hasattr(st, "st"):
                from qa.embedding import load_model

                st = load_model(cfg.settings.model, cfg.settings.model_cache_dir)
            say("warm answer against the bare sentence-transformers query embedding, alternating blocks")
            results["answer_cost"] = answer_cost(a, st.st, [q for q, _, _ in questions], rounds=3)
            print(cost_table(results["answer_cost"]), flush=True)
        relevant = relevant_sets(a.index, items)
        say(f"latency: {len(questions)} questions x ({len(OUR_ROWS)} rows ours" + (" + 3 peer" if peer else "") + ")")
        results["latency"] = latency_bench(a, questions, peer, relevant)
        print(latency_table(results["latency"]), flush=True)
        report()
        if cfg.children:  # the encoders side by side (real model only)
            say("encoders: torch, onnx (fp32), onnx-int8, onnx-query-int8 on the same questions")
            chunk_texts = [indexable_text(c) for c in a.index.chunks]
            results["encoders"] = encoder_bench(cfg.settings, [it.question for it in items], chunk_texts)
            print(encoders_table(results["encoders"]), flush=True)
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
            for side, func in (("ours", "startup.child_build_ours"), ("peer", "startup.child_build_peer")):
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
                    say(f"  {r['total_s']:.1f}s (load: convert + export the model, build the index {r['load_s']:.1f}s)")
                except Exception as e:  # noqa: BLE001
                    say(f"  failed: {e}")
                    results["cold_start"]["fresh"] = {"error": str(e)[-500:]}
            try:
                results["cold_start"]["imports"] = import_costs()
            except (OSError, subprocess.SubprocessError) as e:
                say(f"import costs not measured: {e}")
            cli = []
            for i in range(cfg.cold_runs):
                try:
                    cli.append(cli_cold(corpus, str(work / "index"), first_q))
                    say(f"qa ask from launch to answer, run {i + 1}/{cfg.cold_runs}: {cli[-1]['wall_s']:.2f}s")
                except Exception as e:  # noqa: BLE001
                    say(f"  qa ask failed: {e}")
            if cli:
                results["cold_start"]["cli"] = {"runs": cli, "median_s": float(np.median([r["wall_s"] for r in cli]))}
            print(cold_table(results["cold_start"]), flush=True)
            report()
            if cfg.server_questions:
                say("server: ready time, then 20 clients on each endpoint")
                sq = [q for q, _, _ in bench_questions(items, len(ENDPOINTS) * cfg.server_questions)]
                try:
                    results["server"] = server_bench(corpus, str(work / "index"), sq, clients=20,
                                                     ready_runs=cfg.cold_runs)
                    print(server_table(results["server"]), flush=True)
                except Exception as e:  # noqa: BLE001
                    say(f"  server failed: {e}")
                    results["server"] = {"error": str(e)[-500:]}
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
        results["took_s"] = time.perf_counter() - common._T0[0]
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


if __name__ == "__main__":  # python -m bench.run [--quick] [--no-peer] [--out DIR] [--scale ...] [--profile]
    p = argparse.ArgumentParser(prog="python -m bench.run")
    p.add_argument("--corpus", type=Path)
    p.add_argument("--model")
    p.add_argument("--out", type=Path, default=Path("artifacts/bench"))
    p.add_argument("--quick", action="store_true")
    p.add_argument("--no-peer", action="store_true")
    p.add_argument("--profile", action="store_true", help="pyinstrument profiles of hybrid queries")
    p.add_argument("--scale", default="10000,100000,1000000")
    ns = p.parse_args()
    sys.exit(main(ns, Settings.from_env(corpus_dir=ns.corpus, model=ns.model)))

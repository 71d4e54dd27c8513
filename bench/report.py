"""Stage 5: the targets met or missed, and the tables, markdown and charts of every stage."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from .common import (
    BASELINE_SERVER_RPS,
    DIM, LATENT_DIM, HNSW_M, HNSW_EF_CONSTRUCTION, PRODUCT_EF_SEARCH, IVF_TRAIN_PER_LIST, IVF_TRAIN_MAX,
    IVF_NITER, TARGETS, SCALE_TARGET_N, MODES, fmt_n, _f, machine_line,
)
from .answer_cost import TARGET_DECISION_MS, TARGET_RATIO
from .latency import CACHED, OUR_ROWS
from .scale import _largest


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
    cost = results.get("answer_cost")
    if cost:
        r, d = cost["ratio"], cost["decision"]
        add("warm answer / bare sentence-transformers query embedding (torch), p50", f"<= {TARGET_RATIO}",
            f"{r:.2f} ({cost['answer']['p50']:.1f} / {cost['bare_embedding']['p50']:.1f} ms, {cost['encoder']})",
            r <= TARGET_RATIO, "" if r <= TARGET_RATIO else "the question's forward pass is most of it")
        add("the learned decision, per answer, p95", f"<= {TARGET_DECISION_MS:.0f} ms",
            f"{d['p95']:.3f} ms (max {d['max']:.2f} ms)", d["p95"] <= TARGET_DECISION_MS)
    else:
        add("warm answer / bare sentence-transformers query embedding", f"<= {TARGET_RATIO}", None, None, "not run")
    cold = (results.get("cold_start") or {})
    cli, inproc = cold.get("cli"), cold.get("cached")
    if cli or inproc:
        v = cli["median_s"] if cli else inproc["median_total_s"]
        parts = inproc["runs"][inproc.get("median_index", 0)] if inproc else {}
        add("cold start: `qa ask` from launch to answer, model cached, index built", f"<= {TARGETS['cold_start_s']:.0f} s",
            f"{v:.2f} s", v <= TARGETS["cold_start_s"],
            (f"in-process: interpreter {parts['interpreter_s']:.2f} s, import qa {parts['import_s']:.2f} s, load "
             f"{parts['load_s']:.2f} s, first ask {parts['first_ask_s']:.2f} s; heavy modules imported: "
             f"{', '.join(parts.get('heavy_modules') or []) or 'none'}") if parts else "")
    else:
        add("cold start, model cached, index built", f"<= {TARGETS['cold_start_s']:.0f} s", None, None, "not run")
    server = results.get("server") or {}
    if "ready_s" in server:
        add("server ready: `python ui.py` from launch to its first answer", f"<= {TARGETS['server_ready_s']:.0f} s",
            f"{server['ready_s']:.2f} s", server["ready_s"] <= TARGETS["server_ready_s"], "import gradio is ~half of it")
        for name, r in server["load"].items():
            p95, rps = r["latency"]["p95"], r["req_per_s"]
            speed = rps / BASELINE_SERVER_RPS
            met = p95 <= TARGETS["server_p95_ms"] and r["errors"] == 0 and speed >= TARGETS["server_speedup"]
            add(f"server under 20 clients, {name} endpoint", f"p95 <= {TARGETS['server_p95_ms']:.0f} ms, 0 errors, "
                f">= {TARGETS['server_speedup']:.0f}x {BASELINE_SERVER_RPS} req/s",
                f"p95 {p95:.0f} ms, {r['errors']} errors, {rps:.1f} req/s = {speed:.1f}x", met,
                f"server CPU {_f(r.get('server_cpu_ms_per_request'))} ms per request; load average "
                f"{r['loadavg'][0]:.1f} during the run")
    else:
        add("server under 20 clients", f"p95 <= {TARGETS['server_p95_ms']:.0f} ms", None, None, "not run")
    scale = results.get("scale")
    big = _largest(scale)
    if big and big[0] >= SCALE_TARGET_N:
        n, res = big
        e2e = res["e2e"]
        serve = res.get("serve") if "modes" in (res.get("serve") or {}) else None
        # from a fresh process serving the saved index with the real encoder, else in-process + model p50
        p50 = serve["modes"]["hybrid"]["p50"] if serve else e2e["modes"]["hybrid"]["p50"] + (enc or 0.0)
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
        mem = (serve["rss_mb"] if serve else e2e["serving_rss_mb"] + model_mb) / 1024
        if serve:
            add(f"index load at {fmt_n(n)} chunks (fresh process)", "reported", f"{serve['load_index_s']:.1f} s "
                f"(+ encoder {serve['load_model_s']:.1f} s)", None, "")
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
        rows.append([label, _f(r["total_s"], 2), _f(r["interpreter_s"], 2), _f(r["import_s"], 2), _f(r["load_s"], 2),
                     _f(r["first_ask_s"], 2), _f(r.get("second_ask_s"), 2), _f(r["rss_mb"], 0),
                     ", ".join(r.get("heavy_modules") or []) or "none", r.get("encoder", "-")])
    cli = cold.get("cli")
    if cli:
        rows.append(["`qa ask` from launch to answer (median)", _f(cli["median_s"], 2), "", "", "", "", "", "", "", ""])
    return _table(["cold start", "total s", "interpreter", "import qa", "load model + corpus + index (parallel)",
                   "first ask", "(a second ask)", "RSS MB", "torch / ST / transformers / gradio imported", "encoder"],
                  rows)


def encoders_table(enc: dict[str, Any]) -> str:
    rows = []
    base = enc.get("torch", {}).get("query", {}).get("p50")
    for name, e in enc.items():
        q, c = e["query"], e["cosine_to_torch"]
        rows.append([name, _f(q["p50"]), _f(q["p95"]), f"{q['p50'] / base:.2f}" if base else "-", _f(e["load_s"], 2),
                     f"{c['questions_min']:.5f} / {c['questions_mean']:.5f}", f"{c['chunks_min']:.5f} / {c['chunks_mean']:.5f}"])
    return _table(["encoder", "query p50 ms", "p95", "p50 / torch", "load s (warm cache)",
                   "cosine to torch, questions min / mean", "chunks min / mean"], rows)


def server_table(server: dict[str, Any]) -> str:
    if "error" in server:
        return f"server not measured: {server['error'][:200]}"
    rows = [["ready (launch to first answer, median)", _f(server["ready_s"], 2) + " s", "", "", "", "", ""]]
    for name, r in server["load"].items():
        label = {"gradio": "/gradio_api/call/ask (Gradio queue, a session per client)",
                 "gradio-curl": "/gradio_api/call/ask (no session hash, as curl)",
                 "json": "POST /api/ask (qa/http_api.py)"}.get(name, name)
        rows.append([label, f"{r['requests']} q, {r['clients']} clients", _f(r["req_per_s"]), _f(r["latency"]["p50"], 0),
                     _f(r["latency"]["p95"], 0), r["errors"], _f(r.get("server_cpu_ms_per_request"))])
    return _table(["server", "load", "req/s", "p50 ms", "p95 ms", "errors", "server CPU ms / request"], rows)


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
    if results.get("encoders"):
        md += ["## Encoders of the same model (single query, warm)", "",
               "torch = sentence-transformers (what the peer runs); onnx = our fp32 export on ONNX Runtime; "
               "onnx-int8 = its dynamic per-channel int8 quantisation; onnx-query-int8 = fp32 for chunks, questions "
               "on a copy with int8 linear layers (the default). Cosine to torch on every gold question "
               "(as text only) and every chunk.", "", encoders_table(results["encoders"]), ""]
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
    if results.get("server"):
        md += ["## Server (`python ui.py` in its own process, 20 client threads here)", "",
               "Each endpoint gets its own distinct questions (no cache hits). Server CPU per request is read from "
               "/proc: unlike latency, it is not inflated by other jobs on the machine.", "",
               server_table(results["server"]), ""]
    sc = results.get("scale")
    if sc and sc.get("sizes"):
        ann, e2e = scale_tables(sc)
        serves = [(k, v["serve"]) for k, v in sc["sizes"].items() if "modes" in (v.get("serve") or {})]
        for k, sv in serves:
            md += [f"Serving the saved {fmt_n(int(k))}-chunk index from a fresh process with the {sv['encoder']} encoder: "
                   f"index load {sv['load_index_s']:.1f} s, encoder load {sv['load_model_s']:.1f} s, RSS {sv['rss_mb']:.0f} MB, "
                   "ask p50 / p95 with the model: " + ", ".join(f"{m} {v['p50']:.1f} / {v['p95']:.1f} ms"
                                                              for m, v in sv["modes"].items()) + ".", ""]
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


"""Stages 2 and 3: index build and cold start, each in a fresh child process (its own memory and imports)."""
from __future__ import annotations

import re
import subprocess
import sys
import tempfile
import time
from typing import Any


from qa.config import ROOT, Settings

from .common import _RESULT, _child_env, _parse_child, dir_bytes, peak_rss_mb, rss_mb
from .peer import build_peer


def child_build_ours(corpus_dir: str, model: str | None) -> dict[str, Any]:
    """Fresh index of the corpus with the real model: time and memory of each step."""
    rss0 = rss_mb()
    t = time.perf_counter()
    from qa.chunking import chunk_document, indexable_text
    from qa.embedding import load_model
    from qa.index import build_index, save_index
    from qa.ingest import load_corpus

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
    from qa.chunking import chunk_document
    from qa.embedding import load_model
    from qa.ingest import load_corpus

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
a = Assistant.load(corpus_dir=sys.argv[2], index_dir=sys.argv[3], model=sys.argv[5] or None)
t_index = time.time()
answer = a.ask(sys.argv[4])
t_end = time.time()
rss = 0.0
for line in open('/proc/self/status'):
    if line.startswith('VmRSS:'):
        rss = int(line.split()[1]) / 1024
heavy = sorted(k for k in ('torch', 'sentence_transformers', 'transformers', 'gradio') if k in sys.modules)
t = time.time()
a.ask(sys.argv[4] + "？")  # a second question: what the first one paid for once
second_s = time.time() - t
print(%r + json.dumps({"total_s": t_end - t_spawn, "interpreter_s": t_main - t_spawn, "import_s": t_import - t_main,
      "load_s": t_index - t_import, "first_ask_s": t_end - t_index, "second_ask_s": second_s,
      "answer_ms": answer.elapsed_ms, "found": answer.found, "rss_mb": rss, "heavy_modules": heavy,
      "encoder": getattr(a.model.info, "encoder", "torch")}), flush=True)
""" % _RESULT


def cli_cold(corpus_dir: str, index_dir: str, question: str, env_extra: dict[str, str] | None = None,
             timeout: float = 600) -> dict[str, Any]:
    """Seconds from launching `python -m qa.cli ask QUESTION` to its exit, answer printed (what a user
    at a terminal waits), with a built index."""
    t = time.time()
    proc = subprocess.run([sys.executable, "-m", "qa.cli", "ask", "--corpus", corpus_dir, "--index", index_dir,
                           "--no-rebuild", question], capture_output=True, text=True, env=_child_env(env_extra),
                          timeout=timeout, cwd=str(ROOT))
    wall = time.time() - t
    if proc.returncode != 0:
        raise RuntimeError(f"qa ask failed ({proc.returncode}): {proc.stderr[-1500:]}")
    return {"wall_s": wall, "answered": proc.stdout.startswith("答")}


def import_costs(modules: str = "qa, onnxruntime, tokenizers, faiss, bm25s, jieba.posseg", top: int = 8) -> list[tuple[str, float]]:
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



if __name__ == "__main__":  # python -m bench.startup [RUNS] [ENCODER]: cold start of `qa ask` on the built index
    import json
    import os

    from .common import say

    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    extra = {"QA_ENCODER": sys.argv[2]} if len(sys.argv) > 2 else None
    s = Settings.from_env()
    question = "今年光谷地区生产总值预期增长多少？"
    out: dict[str, Any] = {"cli": [], "in_process": []}
    for i in range(runs):  # the CLI first: what a user at a terminal waits, then where the time goes
        r = cli_cold(str(s.corpus_dir), str(s.index_dir), question, extra)
        r["loadavg"] = os.getloadavg()[0]
        out["cli"].append(r)
        say(f"qa ask run {i + 1}/{runs}: {r['wall_s']:.2f} s from launch to exit, load average {r['loadavg']:.1f}")
    for i in range(runs):
        r = cold_start(str(s.corpus_dir), str(s.index_dir), question, None, extra)
        out["in_process"].append(r)
        say(f"in-process run {i + 1}/{runs}: {r['wall_s']:.2f} s (interpreter {r['interpreter_s']:.2f}, import qa "
            f"{r['import_s']:.2f}, load {r['load_s']:.2f}, first ask {r['first_ask_s']:.2f}), RSS {r['rss_mb']:.0f} MB, "
            f"heavy modules: {', '.join(r['heavy_modules']) or 'none'}")
    walls = sorted(r["wall_s"] for r in out["cli"])
    out["cli_median_s"] = walls[len(walls) // 2]
    print(json.dumps(out, indent=1, ensure_ascii=False))

"""Helpers every stage shares: timing statistics, memory, machine description, child processes,
the benchmark questions (the gold questions, cycled with a prefix or suffix so each text is new)."""
from __future__ import annotations

import json
import math
import os
import platform
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from qa.config import ROOT, Settings
from qa.index import HNSW_EF_SEARCH as _PRODUCT_EF_SEARCH

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
PRODUCT_EF_SEARCH = _PRODUCT_EF_SEARCH  # what make_faiss sets
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
    "cold_start_s": 3.0,  # `qa ask` from launch to answer, model cached, index built
    "server_ready_s": 5.0,  # `python ui.py` from launch to its first answer
    "server_p95_ms": 300.0,  # 20 clients, 1,000 distinct questions
    "server_speedup": 3.0,  # throughput against BASELINE_SERVER_RPS
    "scale_p50_ms": 50.0,  # hybrid ask at 1M chunks, model included
    "scale_recall": 0.95,  # ANN recall@10 of that index against flat
    "scale_memory_gb": 4.0,  # serving 1M chunks: index + chunk table + model
}
SCALE_TARGET_N = 1_000_000
BASELINE_SERVER_RPS = 27.5  # before this work: 25-30 req/s under 20 clients (issue 14), torch encoder, Gradio queue
MODES = ("bm25", "dense", "hybrid")

_RESULT = "@@QA_BENCH_RESULT@@"
_T0 = [time.perf_counter()]  # when the run started (run.run resets it)


# --- small helpers -------------------------------------------------------------------------------


def say(msg: str) -> None:
    el = time.perf_counter() - _T0[0]
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
    """Run `bench.<module>.<function>(**kwargs)` ("module.function") in a fresh Python and return its
    dict (its own memory counts)."""
    code = ("import importlib, json, sys\n"
            "mod, fn = sys.argv[1].rsplit('.', 1)\n"
            "r = getattr(importlib.import_module('bench.' + mod), fn)(**json.loads(sys.argv[2]))\n"
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
    from qa.evaluate import load_gold

    paths = sorted((Path(settings.corpus_dir) / "gold").glob("*.jsonl"))
    items = load_gold(paths) if paths else []
    seen: set[str] = set()  # the same question may stand in two sets: time it once
    return [i for i in items if not (i.question in seen or seen.add(i.question))]


def relevant_sets(index: Any, items: Sequence[Any]) -> dict[str, set[str]]:
    """Gold id -> chunk ids overlapping its evidence (qa.evaluate's rule), answerable items only."""
    from qa.evaluate import ANSWERABLE, relevant_chunks

    out = {}
    for item in items:
        doc = index.documents.get(item.doc)
        if doc is not None and item.type in ANSWERABLE:
            rel = relevant_chunks(index.chunks, doc.text, item)
            if rel:
                out[item.id] = rel
    return out


# --- the peer: LangChain FAISS + BM25Retriever + EnsembleRetriever -------------------------------


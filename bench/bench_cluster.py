"""Benchmark qa.cluster: build throughput per embedding actor and serving throughput per replica.

    python bench/bench_cluster.py [--docs 4] [--requests 60] [--clients 8] [--out artifacts/bench_cluster]
    python bench/bench_cluster.py --address auto      # on a running cluster instead of a private one

Without --address it starts a two-node Ray cluster on this machine (head + one worker, 1 CPU each,
as the tests do). With the real model it measures:
- build: the local single-process build, then `build_on_cluster` with 1 and 2 embedding actors on
  the report plus `--docs` synthetic variants (chunks/s of the embedding step and end to end);
- serving: `/ask` through Ray Serve's proxy with gradio_client from `--clients` threads, 1 and 2
  Assistant replicas (requests/s, p50/p95 latency), beside the same questions asked in-process.
Prints a table with the load average next to each figure, writes bench.json and bench_cluster.png.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
REPORT = ROOT / "corpus" / "donghu-2024-work-report.txt"
QUESTIONS = ["今年光谷地区生产总值预期增长多少？", "2023年地区生产总值总量是多少？", "2023年固定资产投资多少？",
             "已建、在建国家大科学装置有几个？", "今年新增城镇就业人数目标是多少？", "减税降费及退税缓费多少？",
             "What is the GDP growth target for 2024?", "How much tax relief was given in 2023?"]


LEADS = ("", "请问", "我想知道", "麻烦问一下", "想了解一下")
ENDS = ("", "呢", "，谢谢")


def question(i: int) -> str:
    """The i-th of 120 distinct questions, so the per-replica query cache does not answer them."""
    q = QUESTIONS[i % len(QUESTIONS)]
    k = i // len(QUESTIONS)
    return LEADS[k % len(LEADS)] + q + ENDS[(k // len(LEADS)) % len(ENDS)]


def load() -> float:
    return os.getloadavg()[0]


def say(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def bench_builds(corpus: Path, work: Path, actor_counts: list[int]) -> list[dict]:
    from qa.cluster.build import build_on_cluster
    from qa.config import Settings
    from qa.embedding import load_model
    from qa.index import build_index
    from qa.ingest import load_corpus

    rows = []
    docs, _ = load_corpus(corpus)
    model = load_model()
    say("local build (one process) ...")
    la = load()
    t = time.perf_counter()
    local = build_index(docs, model)
    dt = time.perf_counter() - t
    n = local.size
    rows.append({"how": "local, 1 process", "chunks": n, "seconds": dt, "chunks_per_s": n / dt,
                 "embed_chunks_per_s": None, "load": (la + load()) / 2})
    del model
    for actors in actor_counts:
        say(f"cluster build, {actors} embedding actor(s) ...")
        s = Settings.from_env(corpus_dir=corpus, index_dir=work / f"index-{actors}")
        la = load()
        t = time.perf_counter()
        r = build_on_cluster(s, "auto", force=True, actors=actors)
        dt = time.perf_counter() - t
        rows.append({"how": f"cluster, {actors} actor(s)", "chunks": r.index.size, "seconds": dt,
                     "chunks_per_s": r.index.size / dt, "embed_chunks_per_s": r.index.size / r.seconds["embed"],
                     "embed_s": r.seconds["embed"], "load": (la + load()) / 2, "steps": r.seconds})
    return rows


def _drive(url: str, n: int, clients: int) -> tuple[float, list[float]]:
    from gradio_client import Client

    per = [Client(url, verbose=False) for _ in range(clients)]
    for c in per:
        c.predict(QUESTIONS[0], 5, "hybrid", api_name="/ask")  # warm each path
    latencies: list[float] = []
    lock = threading.Lock()
    counter = iter(range(n))

    def worker(c) -> None:
        while True:
            with lock:
                i = next(counter, None)
            if i is None:
                return
            t = time.perf_counter()
            out = c.predict(question(i), 5, "hybrid", api_name="/ask")
            assert "passages" in out, out
            with lock:
                latencies.append(time.perf_counter() - t)

    threads = [threading.Thread(target=worker, args=(c,)) for c in per]
    t0 = time.perf_counter()
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    return time.perf_counter() - t0, latencies


def bench_serving(index_dir: Path, corpus: Path, replica_counts: list[int], n: int, clients: int,
                  port: int, cpus: float) -> list[dict]:
    from qa import Assistant
    from qa.cluster.serve import serve_on_cluster, stop
    from qa.config import Settings

    rows = []
    s = Settings.from_env(corpus_dir=corpus, index_dir=index_dir, cluster_cpus=cpus)
    a = Assistant.load(settings=s, rebuild=False)
    for q in QUESTIONS:
        a.ask(q)
    la = load()
    t0 = time.perf_counter()
    lat = []
    for i in range(n):
        t = time.perf_counter()
        a.ask(question(i), top_k=5, mode="hybrid")
        lat.append(time.perf_counter() - t)
    dt = time.perf_counter() - t0
    rows.append(_serve_row("in-process Assistant.ask (no HTTP)", n, dt, lat, (la + load()) / 2))
    # the page served the usual way (one process, `python ui.py`), to tell Serve's cost from Gradio's
    sys.path.insert(0, str(ROOT))
    import ui

    page = ui.build_app(a)
    page.launch(server_name="127.0.0.1", server_port=port + 1, prevent_thread_lock=True, quiet=True)
    try:
        la = load()
        dt, lat = _drive(f"http://127.0.0.1:{port + 1}/", n, clients)
        rows.append(_serve_row(f"one process (ui.py), {clients} clients", n, dt, lat, (la + load()) / 2))
    finally:
        page.close()
    del a
    for replicas in replica_counts:
        say(f"Serve with {replicas} replica(s) ...")
        url = serve_on_cluster(s, "auto", replicas=replicas, port=port, proxy_location="HeadOnly")
        try:
            la = load()
            dt, lat = _drive(url, n, clients)
            rows.append(_serve_row(f"Ray Serve, {replicas} replica(s), {clients} clients", n, dt, lat,
                                   (la + load()) / 2))
        finally:
            stop()
    return rows


def _serve_row(how: str, n: int, seconds: float, lat: list[float], la: float) -> dict:
    q = statistics.quantiles(lat, n=20) if len(lat) >= 2 else lat * 19
    return {"how": how, "requests": n, "seconds": seconds, "per_s": n / seconds,
            "p50_ms": 1000 * statistics.median(lat), "p95_ms": 1000 * q[18], "load": la}


def plot(builds: list[dict], serving: list[dict], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    fig, (a, b) = plt.subplots(1, 2, figsize=(12, 4.5))
    x = np.arange(len(builds))
    a.bar(x - 0.2, [r["chunks_per_s"] for r in builds], 0.4, color="#0b4ea2", label="end to end")
    a.bar(x + 0.2, [r["embed_chunks_per_s"] or 0 for r in builds], 0.4, color="#c8161d", label="embedding step")
    a.set_xticks(x, [r["how"].replace(", ", "\n") for r in builds], fontsize=8)
    a.set_ylabel("chunks / s")
    a.set_title("index build (real model)")
    a.legend(fontsize=8)
    y = np.arange(len(serving))
    b.bar(y, [r["per_s"] for r in serving], 0.6, color="#0b4ea2")
    b.set_xticks(y, [r["how"].replace(", ", "\n").replace(" (no HTTP)", "\n(no HTTP)") for r in serving],
                 fontsize=7)
    b.set_ylabel("answers / s")
    b.set_title("serving /ask")
    fig.suptitle("2 shared cores: more actors or replicas cannot add CPU here", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--address", help="an existing cluster (auto, HOST:PORT, ray://HOST:10001)")
    p.add_argument("--docs", type=int, default=4, help="synthetic documents besides the report")
    p.add_argument("--requests", type=int, default=120, help="at most 120 distinct questions")
    p.add_argument("--clients", type=int, default=8)
    p.add_argument("--port", type=int, default=8765)
    p.add_argument("--cpus", type=float, default=0.5, help="CPUs per Serve replica")
    p.add_argument("--skip-build", action="store_true")
    p.add_argument("--skip-serve", action="store_true")
    p.add_argument("--out", type=Path, default=ROOT / "artifacts" / "bench_cluster")
    args = p.parse_args(argv)

    import ray

    from qa.cluster.synthetic import write_corpus

    os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    cluster = None
    if args.address:
        ray.init(address=args.address, logging_level="ERROR", log_to_driver=False)
    else:
        from ray.cluster_utils import Cluster

        cluster = Cluster(initialize_head=True, head_node_args={"num_cpus": 1, "include_dashboard": False})
        cluster.add_node(num_cpus=1)
        ray.init(address=cluster.address, logging_level="ERROR", log_to_driver=False)
    args.out.mkdir(parents=True, exist_ok=True)
    builds: list[dict] = []
    serving: list[dict] = []
    try:
        with tempfile.TemporaryDirectory() as tmp:
            work = Path(tmp)
            corpus = work / "corpus"
            write_corpus(corpus, REPORT, args.docs)
            (corpus / REPORT.name).write_bytes(REPORT.read_bytes())
            if not args.skip_build:
                builds = bench_builds(corpus, work, [1, 2])
            if not args.skip_serve:
                index_dir = work / "index-2"
                if not (index_dir / "CURRENT").exists():
                    from qa import Assistant

                    Assistant.load(corpus_dir=corpus, index_dir=index_dir)
                serving = bench_serving(index_dir, corpus, [1, 2], args.requests, args.clients, args.port,
                                        args.cpus)
    finally:
        try:
            from ray import serve

            serve.shutdown()
        except Exception:  # noqa: BLE001
            pass
        ray.shutdown()
        if cluster is not None:
            cluster.shutdown()

    cpus = os.cpu_count()
    print(f"\nmachine: {cpus} cores (shared), load average shown per row\n")
    if builds:
        print("| build | chunks | seconds | chunks/s end to end | chunks/s embedding step | load avg |")
        print("|---|---|---|---|---|---|")
        for r in builds:
            emb = f"{r['embed_chunks_per_s']:.1f}" if r["embed_chunks_per_s"] else "–"
            print(f"| {r['how']} | {r['chunks']} | {r['seconds']:.1f} | {r['chunks_per_s']:.1f} | {emb} | "
                  f"{r['load']:.1f} |")
    if serving:
        print("\n| serving | requests | answers/s | p50 ms | p95 ms | load avg |")
        print("|---|---|---|---|---|---|")
        for r in serving:
            print(f"| {r['how']} | {r['requests']} | {r['per_s']:.1f} | {r['p50_ms']:.0f} | {r['p95_ms']:.0f} | "
                  f"{r['load']:.1f} |")
    (args.out / "bench.json").write_text(json.dumps({"builds": builds, "serving": serving}, indent=1))
    if builds and serving:
        plot(builds, serving, args.out / "bench_cluster.png")
        print(f"\nwrote {args.out / 'bench.json'} and {args.out / 'bench_cluster.png'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

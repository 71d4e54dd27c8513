"""Smoke test of `qa bench` at tiny sizes (fake model, scale workers in-process): every stage runs,
the numbers are sane, and the report files appear. The real numbers come from `qa bench`."""
from __future__ import annotations

import json
import math
import sys
from pathlib import Path

import numpy as np
import pytest

from fakes import FakeEmbedder
from qa.config import Settings

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # the harness lives in bench/ beside the package

from bench import common, latency, peer, run, scale  # noqa: E402


def test_parse_sizes_and_questions():
    assert common.parse_sizes("10000,100k, 1M") == [10_000, 100_000, 1_000_000]
    assert common.parse_sizes("1_000") == [1000]
    items = common.load_gold_items(Settings.from_env(corpus_dir=ROOT / "corpus"))
    qs = common.bench_questions(items, 2 * len(items) + 5)
    texts = [q for q, _, _ in qs]
    assert len(texts) == len(set(texts)) == 2 * len(items) + 5  # every text new, so no cache hit
    assert [r for _, _, r in qs[: len(items)]] == [0] * len(items)  # first round: the gold questions as written
    assert texts[0] == items[0].question


def test_synthetic_vectors_are_seeded_unit_vectors_with_neighbours():
    x = scale.synthetic_vectors(3000, dim=64, block=1000)
    assert x.dtype == np.float32 and x.shape == (3000, 64)
    assert np.allclose(np.linalg.norm(x, axis=1), 1, atol=1e-5)
    assert np.array_equal(x, scale.synthetic_vectors(3000, dim=64, block=1000))
    q = scale.synthetic_queries(x, 20)
    assert np.allclose(np.linalg.norm(q, axis=1), 1, atol=1e-5)
    top = (q @ x.T).max(axis=1)
    assert top.min() > 0.8  # each query sits near a data point


def test_ann_workers_recall_and_memory(tmp_path):
    x = scale.synthetic_vectors(4000)
    np.save(tmp_path / "x.npy", x)
    np.save(tmp_path / "q.npy", scale.synthetic_queries(x, 20))
    paths = dict(x_path=str(tmp_path / "x.npy"), q_path=str(tmp_path / "q.npy"), gt_path=str(tmp_path / "gt.npy"))
    flat = scale.ann_worker(kind="flat", **paths)
    assert flat["search"]["exact"]["recall@10"] == 1.0
    assert (tmp_path / "gt.npy").exists() and flat["disk_mb"] > 5
    hnsw = scale.ann_worker(kind="hnsw", index_path=str(tmp_path / "h.faiss"), **paths)
    assert set(hnsw["search"]) == {f"efSearch={e}" for e in scale.HNSW_EF_SEARCH}
    assert hnsw["search"]["efSearch=256"]["recall@10"] >= 0.9
    assert (tmp_path / "h.faiss").exists()
    ivf = scale.ann_worker(kind="ivf", **paths)
    recalls = [v["recall@10"] for v in ivf["search"].values()]
    assert recalls == sorted(recalls) and recalls[-1] >= 0.9  # more probes, more recall


def test_whole_path_over_synthetic_chunks(tmp_path):
    n = 3000
    x = scale.synthetic_vectors(n)
    np.save(tmp_path / "x.npy", x)
    np.save(tmp_path / "q.npy", scale.synthetic_queries(x, 10))
    corpus = scale.synthetic_corpus(str(ROOT / "corpus"), 50)
    assert len(corpus.chunks) == 50 and len({c.id for c in corpus.chunks}) == 50
    assert len(corpus.token_lists()) == 50
    r = scale.e2e_worker(str(ROOT / "corpus"), n, str(tmp_path / "x.npy"), str(tmp_path / "q.npy"), None,
                         ["光谷去年GDP多少？", "2024年新增多少家高新技术企业"] * 5, ann_threshold=200_000)
    assert r["dense_kind"] == "flat"
    assert set(r["modes"]) == {"bm25", "dense", "hybrid"}
    assert all(v["n"] == 10 and v["p50"] > 0 for v in r["modes"].values())
    assert r["serving_rss_mb"] > 0


def test_recommendation_and_renumber():
    sc = {"sizes": {}}
    for n, flat_ms, hnsw_ms in ((10_000, 1.0, 0.3), (100_000, 10.0, 0.5)):
        sc["sizes"][str(n)] = {"ann": {
            "flat": {"search": {"exact": {"p50": flat_ms}}},
            f"hnsw (efC={scale.HNSW_EF_CONSTRUCTION})": {"search": {
                f"efSearch={scale.PRODUCT_EF_SEARCH}": {"p50": hnsw_ms, "recall@10": 0.99}}}}}
    rec = scale.recommend_ann_threshold(sc, embed_p50_ms=20.0, current=200_000)
    assert rec["threshold"] == 20_000  # 2 ms budget / 0.1 ms per 1k chunks
    low = scale.recommend_ann_threshold(
        {"sizes": {k: {"ann": {**v["ann"], f"hnsw (efC={scale.HNSW_EF_CONSTRUCTION})": {"search": {
            f"efSearch={scale.PRODUCT_EF_SEARCH}": {"p50": 0.5, "recall@10": 0.5}}}}} for k, v in sc["sizes"].items()}},
        20.0, 200_000)
    assert low["threshold"] is None
    import random

    out = scale._renumber("2023年增长4.7%,总量达到2715亿元", random.Random(1))
    assert out.startswith("2023年") and "4.7%" not in out and "2715" not in out


def test_run_tiny(tmp_path):
    """The driver end to end with a fake model: latency (with the peer when installed), scale at a
    tiny size in-process, targets, recommendation, bench.md / bench.json / charts."""
    cfg = run.BenchConfig(out=tmp_path / "bench", settings=Settings.from_env(corpus_dir=ROOT / "corpus"),
                            quick=True, peer=peer.peer_available() is None, sizes=(3000,), questions=12,
                            scale_queries=10, model=FakeEmbedder(), children=False, in_process=True,
                            worst_case=False, hnsw80_max=0)
    results = run.run(cfg)
    lat = results["latency"]
    assert lat["questions"] == 12
    for row in ("embedding only", "bm25", "dense", "hybrid", "hybrid, embedding cached"):
        assert lat["ours"][row]["n"] == 12 and lat["ours"][row]["p50"] > 0
    if cfg.peer:
        assert set(lat["peer"]) == {"embedding only", "bm25", "dense", "hybrid", latency.CACHED}
        assert lat["peer"]["hybrid"]["n"] == 12
        assert 0.0 <= lat["hit@5"]["peer"]["hybrid"] <= 1.0
    assert 0.0 <= lat["hit@5"]["ours"]["hybrid"] <= 1.0
    e2e = results["scale"]["sizes"]["3000"]["e2e"]
    assert e2e["modes"]["hybrid"]["n"] == 10
    names = {t["target"] for t in results["targets"]}
    assert any("cold start" in t for t in names) and any("peer" in t for t in names)
    out = tmp_path / "bench"
    md = (out / "bench.md").read_text(encoding="utf-8")
    assert "Machine:" in md and "## Targets" in md and "## Query latency" in md and "## Scale" in md
    data = json.loads((out / "bench.json").read_text(encoding="utf-8"))
    assert data["machine"]["cores"] >= 1 and data["machine"]["versions"]["faiss-cpu"]
    assert (out / "bench_modes.png").stat().st_size > 1000 and (out / "bench_scale.png").stat().st_size > 1000
    assert not math.isnan(data["latency"]["ratios"]["non_model_over_embedding"])


@pytest.mark.skipif(peer.peer_available() is not None, reason="pip install -e '.[bench]' for the LangChain peer")
def test_peer_returns_our_chunk_ids(tmp_path):
    from qa import Assistant

    a = Assistant.load(corpus_dir=ROOT / "corpus", index_dir=tmp_path / "index", model=FakeEmbedder())
    stack = peer.build_peer(a.index.chunks, a.model)
    ids = {c.id for c in a.index.chunks}
    for mode in ("bm25", "dense", "hybrid"):
        got = peer.peer_ids(stack[mode].invoke("光谷2023年地区生产总值是多少"))
        assert got and set(got) <= ids


class _BareST:
    """Stands for a SentenceTransformer: records what it was asked to encode."""

    prompts = {"query": "query: "}

    def __init__(self) -> None:
        self.calls: list[tuple[list[str], str | None]] = []

    def encode(self, texts, prompt=None, show_progress_bar=True):
        self.calls.append((list(texts), prompt))
        return np.zeros((len(texts), 8), dtype=np.float32)


def test_answer_cost_alternates_blocks_and_times_the_decision(tmp_path):
    import qa.answer
    from bench import answer_cost
    from qa import Assistant

    a = Assistant.load(corpus_dir=ROOT / "corpus", index_dir=tmp_path / "index", model=FakeEmbedder())
    st = _BareST()
    questions = ["2023年地区生产总值是多少", "新增学位", "高企总数", "2023年地区生产总值是多少", "光谷有多少家上市企业"]
    original = qa.answer.decide_shown
    r = answer_cost.answer_cost(a, st, questions, rounds=2, block=2, progress=False)
    assert qa.answer.decide_shown is original  # put back
    assert r["questions"] == 4  # the repeated question counted once
    assert r["answer"]["n"] == r["bare_embedding"]["n"] == r["decision"]["n"] == 8
    assert r["ratio"] == pytest.approx(r["answer"]["p50"] / r["bare_embedding"]["p50"])
    assert r["decision"]["max"] > 0  # the figure questions went through the decision
    assert all(prompt == "query: " for _, prompt in st.calls) and len(st.calls) == 4 + 8  # warm-up, then 2 rounds x 4
    assert "answer / bare embedding" in answer_cost.cost_table(r)


def test_answer_cost_on_the_real_models(real_assistant):
    """The real encoder against the real sentence-transformers model on torch."""
    from bench import answer_cost
    from qa.embedding import load_model

    st = load_model().st
    r = answer_cost.answer_cost(real_assistant, st, ["2023年地区生产总值是多少", "今年新增多少学位"], rounds=1,
                                progress=False)
    assert r["encoder"] == real_assistant.settings.encoder and r["bare_embedding"]["n"] == 2
    assert r["bare_embedding"]["p50"] > 0 and r["answer"]["p50"] > 0

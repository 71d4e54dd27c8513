"""Concurrent questions share ONNX runs (qa/batching.py): each caller gets its own text's vector,
a lone caller runs at once, errors reach the callers of their run, and on the real fp32 encoder a
batched vector equals a lone one to float rounding."""
from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from qa.batching import QueryBatcher, batcher_for


def slow_encode(calls: list[list[str]], delay: float = 0.05):
    def encode(texts):
        calls.append(list(texts))
        time.sleep(delay)
        return np.array([[float(len(t)), float(hash(t) % 1000)] for t in texts], dtype=np.float32)
    return encode


@pytest.mark.parametrize("lanes", [1, 2])
def test_each_caller_gets_its_own_vector_and_runs_are_shared(lanes):
    calls: list[list[str]] = []
    b = QueryBatcher(slow_encode(calls), max_batch=4, lanes=lanes)
    texts = [f"问题{i}" * (i % 5 + 1) for i in range(40)]
    with ThreadPoolExecutor(12) as pool:
        out = list(pool.map(b.embed, texts))
    for t, v in zip(texts, out):
        assert v.tolist() == [float(len(t)), float(hash(t) % 1000)]
    assert sorted(t for c in calls for t in c) == sorted(texts)  # every text once
    assert max(len(c) for c in calls) <= 4 and len(calls) < len(texts)  # batched, within max_batch
    assert b.runs == len(calls) and b.texts == len(texts)


def test_a_lone_caller_does_not_wait():
    calls: list[list[str]] = []
    b = QueryBatcher(slow_encode(calls, delay=0.0))
    t = time.perf_counter()
    b.embed("光谷")
    assert time.perf_counter() - t < 0.05 and calls == [["光谷"]]


def test_an_error_reaches_the_callers_of_its_run_only():
    def encode(texts):
        time.sleep(0.02)
        if any("坏" in t for t in texts):
            raise ValueError("bad batch")
        return np.ones((len(texts), 2), dtype=np.float32)

    b = QueryBatcher(encode, max_batch=1)
    results: dict[str, object] = {}

    def ask(text):
        try:
            results[text] = b.embed(text)
        except ValueError as e:
            results[text] = e

    threads = [threading.Thread(target=ask, args=(t,)) for t in ("好1", "坏", "好2", "好3")]
    for th in threads:
        th.start()
    for th in threads:
        th.join(5)
    assert isinstance(results["坏"], ValueError)
    assert all(isinstance(results[t], np.ndarray) for t in ("好1", "好2", "好3"))
    assert b.embed("好4").shape == (2,)  # and the batcher still works


@pytest.mark.slow
def test_real_encoder_batched_equals_alone():
    """fp32: a question embedded beside others equals it embedded alone (to float rounding)."""
    from qa.embedding import load_encoder

    real_model = load_encoder(encoder="onnx")
    b = batcher_for(real_model)
    assert b is not None
    qs = ["今年光谷地区生产总值预期增长多少？", "光谷", "新增就业岗位多少个", "What is the GDP of Optics Valley?"] * 3
    with ThreadPoolExecutor(6) as pool:
        together = np.stack(list(pool.map(b.embed, qs)))
    alone = real_model.encode_queries(qs)
    assert np.allclose(together, alone, atol=1e-5)
    assert b.runs < len(qs)


def test_only_fp32_onnx_is_batched():
    """fp32 queries share runs; an int8 encoder (per-run activation scales) runs one text per run but
    still within the lanes; torch (no thread-safe runs) gets no batcher; lanes 0 means one per core."""
    class M:
        thread_safe = True
        batch_invariant = False

        def encode_queries(self, texts):
            return np.zeros((len(texts), 2), dtype=np.float32)

    class F(M):
        batch_invariant = True

    int8 = batcher_for(M(), max_batch=8, lanes=2)
    assert int8 is not None and int8.max_batch == 1 and int8.lanes == 2
    assert batcher_for(F(), max_batch=8).max_batch == 8
    assert batcher_for(object()) is None
    import os

    assert batcher_for(F(), lanes=0).lanes == len(os.sched_getaffinity(0))


def test_one_text_per_run_queues_within_the_lanes():
    """max_batch 1 (int8): every text its own run, never more than `lanes` runs at once."""
    running, peak, lock = [0], [0], threading.Lock()

    def encode(texts):
        with lock:
            running[0] += 1
            peak[0] = max(peak[0], running[0])
        time.sleep(0.02)
        with lock:
            running[0] -= 1
        return np.array([[float(len(t)), 0.0] for t in texts], dtype=np.float32)

    b = QueryBatcher(encode, max_batch=1, lanes=2)
    texts = [f"问{i}" * (i % 4 + 1) for i in range(12)]
    with ThreadPoolExecutor(8) as pool:
        out = list(pool.map(b.embed, texts))
    assert [o[0] for o in out] == [float(len(t)) for t in texts]
    assert b.runs == b.texts == len(texts) and peak[0] == 2

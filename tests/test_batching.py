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
def test_real_encoder_batched_equals_alone(real_model):
    """fp32: a question embedded beside others equals it embedded alone (to float rounding)."""
    b = batcher_for(real_model)
    assert b is not None
    qs = ["今年光谷地区生产总值预期增长多少？", "光谷", "新增就业岗位多少个", "What is the GDP of Optics Valley?"] * 3
    with ThreadPoolExecutor(6) as pool:
        together = np.stack(list(pool.map(b.embed, qs)))
    alone = real_model.encode_queries(qs)
    assert np.allclose(together, alone, atol=1e-5)
    assert b.runs < len(qs)


def test_only_fp32_onnx_is_batched():
    class M:
        thread_safe = True

        class config:
            encoder = "onnx-int8"

    assert batcher_for(M()) is None and batcher_for(object()) is None

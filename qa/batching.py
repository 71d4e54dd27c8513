"""Concurrent questions embedded together: one ONNX run for the queries that arrive while another runs.

Why: under load the server's CPU per answer is mostly the encoder's forward pass, and a run over
four short queries costs ~20% less CPU per query than four runs of one (bigger matrix products, one
dispatch; `python -m bench.server`, README Benchmarks). No timer and no thread: the caller that finds
no run going runs its own text at once (a lone question waits for nothing); callers arriving during
that run queue up, and when it ends the first of them runs the whole queue (up to `max_batch`) for
all of them, then hands on to the next waiter, so nobody runs more than one batch for others.

The vectors equal those of a lone run to float rounding (padding is masked; ~1e-7), and only an
encoder that embeds each row independently of its batch may be batched (fp32; the int8 encoders'
dynamic quantisation scales per batch, so they run one text per run: `max_batch` 1).

`lanes` runs go at once (Settings.encoder_lanes). The server runs one thread per pass and a pass
per core: on a busy 2-core box one two-thread pass per question costs more CPU in thread hand-offs
than two one-thread passes side by side (`python -m bench.server`, README Benchmarks).
"""
from __future__ import annotations

import os
import threading
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np


class _Slot:
    __slots__ = ("text", "done", "vector", "error", "batch")

    def __init__(self, text: str) -> None:
        self.text = text
        self.done = threading.Event()
        self.vector: np.ndarray | None = None
        self.error: BaseException | None = None
        self.batch: list[_Slot] | None = None  # set when woken to run these (itself first), not with a result


class QueryBatcher:
    """`embed(text)` for many threads at once, through `encode(texts) -> rows` in batches."""

    def __init__(self, encode: Callable[[Sequence[str]], np.ndarray], max_batch: int = 8, lanes: int = 1) -> None:
        self._encode = encode
        self.max_batch = max(1, max_batch)
        self.lanes = max(1, lanes)  # runs at once
        self._lock = threading.Lock()
        self._queue: list[_Slot] = []
        self._running = 0
        self.runs = 0  # batches run so far, and the texts in them (for tests and benchmarks)
        self.texts = 0

    def embed(self, text: str) -> np.ndarray:
        slot = _Slot(text)
        with self._lock:
            if self._running >= self.lanes:
                self._queue.append(slot)
                mine = None
            else:
                self._running += 1
                mine = [slot]
        if mine is None:
            slot.done.wait()
            if slot.batch is None:
                return self._result(slot)
            mine = slot.batch
        self._run(mine)
        self._hand_on()
        return self._result(slot)

    def _run(self, slots: list[_Slot]) -> None:
        try:
            rows = self._encode([s.text for s in slots])
            for s, row in zip(slots, rows):
                s.vector = row
        except BaseException as exc:  # noqa: BLE001 - each waiter gets the error of its own run
            for s in slots:
                s.error = exc
        with self._lock:
            self.runs += 1
            self.texts += len(slots)
        for s in slots:
            s.done.set()

    def _hand_on(self) -> None:
        """This lane's next batch goes to the first waiter in it, who runs it; or the lane closes."""
        with self._lock:
            if not self._queue:
                self._running -= 1
                return
            batch = self._queue[: self.max_batch]
            del self._queue[: self.max_batch]
        batch[0].batch = batch
        batch[0].done.set()

    @staticmethod
    def _result(slot: _Slot) -> np.ndarray:
        if slot.error is not None:
            raise slot.error
        assert slot.vector is not None
        return slot.vector


def batcher_for(model: Any, max_batch: int = 8, lanes: int = 1) -> QueryBatcher | None:
    """A batcher for an ONNX model (thread-safe runs): batches for one whose rows do not depend on
    their batch (fp32), one text per run for int8; None for torch (its own lock). `lanes` 0: one per core."""
    if not getattr(model, "thread_safe", False):
        return None
    if lanes <= 0:
        lanes = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return QueryBatcher(model.encode_queries, max_batch if getattr(model, "batch_invariant", False) else 1, lanes)

"""A fast stand-in for the embedding model, for unit tests of everything around it."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class FakeInfo:
    name: str = "fake-bigram-hash"
    fingerprint: str = "fake-1"
    dim: int = 64


class FakeEmbedder:
    """Character-bigram hashing: similar texts get similar vectors, deterministic, no model."""

    def __init__(self, fingerprint: str = "fake-1") -> None:
        self.info = FakeInfo(fingerprint=fingerprint)
        self.calls = 0  # texts embedded so far, to check re-embedding
        
    def _vec(self, text: str) -> np.ndarray:
        v = np.zeros(self.info.dim, dtype=np.float32)
        for a, b in zip(text, text[1:]):
            h = int(hashlib.md5((a + b).encode()).hexdigest()[:8], 16)
            v[h % self.info.dim] += 1.0
        n = np.linalg.norm(v)
        return v / n if n else v

    def encode_documents(self, texts, batch_size=32, show_progress=False):
        self.calls += len(texts)
        return np.stack([self._vec(t) for t in texts]) if texts else np.zeros((0, self.info.dim), np.float32)

    def encode_queries(self, texts):
        return np.stack([self._vec(t) for t in texts])


class SlowFakeEmbedder(FakeEmbedder):
    """The fake, `delay` seconds per call: long enough for a test to act in the middle of a build."""

    def __init__(self, delay: float = 0.2) -> None:
        super().__init__()
        self.delay = delay

    def encode_documents(self, texts, batch_size=32, show_progress=False):
        import time

        time.sleep(self.delay)
        return super().encode_documents(texts, batch_size, show_progress)


class DyingEmbedder(FakeEmbedder):
    """Loads fine, then kills its own process on the first batch, like a worker lost to the OOM killer.
    Its own fingerprint, so no vector of a fake-built index is reused instead of calling it."""

    def __init__(self) -> None:
        super().__init__(fingerprint="dying-1")

    def encode_documents(self, texts, batch_size=32, show_progress=False):
        import os

        os._exit(1)


def edit_npy(folder, name: str, change) -> None:
    """Rewrite <folder>/<name>.npy, or one field of a record array ("chunks.start"), as change(values):
    the chunk-table tests damage one column at a time this way."""
    from pathlib import Path

    array, _, field = name.partition(".")
    path = Path(folder) / f"{array}.npy"
    a = np.load(path)
    if field:
        a = a.copy()
        a[field] = change(a[field])
    else:
        a = change(a)
    np.save(path, a)

"""jieba's dictionary, read one first character at a time, when a text needs it.

Why: `jieba.initialize()` unmarshals its whole prefix dictionary (~580k words and prefixes) on the
first cut: ~0.5 s of a quiet cold start, over 1 s on a busy machine. Segmenting a text only looks up
substrings of that text (the DAG, the route, search mode's grams), so every key it reads starts with
one of the text's own characters. The dictionary is stored here grouped by first character, and a
group is read the first time a text holds its character: a question reads a few dozen small groups.

The words and frequencies are jieba's own (its `gen_pfdict` over its dictionary file), so the cuts
are the same (tests/test_jieba_dict.py). The file lives in the model cache, named by jieba's version
and its dictionary file's size and mtime, and is written once, atomically.
"""
from __future__ import annotations

import hashlib
import logging
import marshal
import os
import tempfile
import threading
from pathlib import Path
from typing import Any, Callable

log = logging.getLogger(__name__)

FORMAT = 1  # bump when the file's layout changes


class LazyFreq(dict):
    """jieba's FREQ (word or prefix -> frequency, 0 for a prefix only) whose groups load on first use.

    jieba reads FREQ with `in`, `[]` and `.get`, and `add_word` writes it; each first loads the
    group of the key's first character, so a word added by hand is never overwritten by a group read later.
    """

    # each read goes through a Python method here (~1.6x jieba's time per cut): worth it while few groups
    # are read; once this many are (a long text, an index build), everything is read and `on_whole`
    # gets a plain dict to use instead
    WHOLE_AFTER = 1500

    def __init__(self, groups: dict[str, bytes], on_whole: Callable[[dict[str, int]], None] | None = None) -> None:
        super().__init__()
        self._groups = groups
        self._loaded: set[str] = set()
        self._lock = threading.Lock()
        self._on_whole = on_whole

    def _need(self, key: Any) -> None:
        head = key[:1] if isinstance(key, str) else None
        if head and head not in self._loaded:
            handover = None
            with self._lock:
                if head not in self._loaded:
                    self._read(head)
                    if self._on_whole is not None and len(self._loaded) >= self.WHOLE_AFTER:
                        for other in self._groups:
                            self._read(other)
                        handover, self._on_whole = self._on_whole, None
            if handover is not None:
                handover(dict(self))

    def _read(self, head: str) -> None:
        if head not in self._loaded:
            blob = self._groups.get(head)
            if blob is not None:
                super().update(marshal.loads(blob))
            self._loaded.add(head)  # only once its words are in: other threads read without the lock

    def __contains__(self, key: object) -> bool:
        self._need(key)
        return super().__contains__(key)

    def __getitem__(self, key: str) -> int:
        self._need(key)
        return super().__getitem__(key)

    def get(self, key: str, default: Any = None) -> Any:
        self._need(key)
        return super().get(key, default)

    def __setitem__(self, key: str, value: int) -> None:
        self._need(key)
        super().__setitem__(key, value)

    def setdefault(self, key: str, default: Any = None) -> Any:
        self._need(key)
        return super().setdefault(key, default)

    def __reduce__(self):  # a copy is a plain dict of everything (nothing lazy crosses a process)
        for head in self._groups:
            self._need(head)
        return (dict, (dict(self),))


def _dictionary_file() -> Path:
    import jieba

    return Path(jieba.__file__).parent / jieba.DEFAULT_DICT_NAME


def cache_path(cache_dir: Path) -> Path:
    """The grouped dictionary for this jieba and its default dictionary file."""
    import jieba

    st = _dictionary_file().stat()
    key = hashlib.sha256(f"{FORMAT} {jieba.__version__} {st.st_size} {st.st_mtime_ns}".encode()).hexdigest()[:16]
    return Path(cache_dir) / "jieba" / f"freq-{key}.marshal"


def grouped() -> tuple[int, dict[str, bytes]]:
    """(total, first character -> its words and prefixes, marshalled) of jieba's dictionary file."""
    import jieba

    with open(_dictionary_file(), "rb") as f:
        freq, total = jieba.Tokenizer.gen_pfdict(f)
    groups: dict[str, dict[str, int]] = {}
    for word, n in freq.items():
        groups.setdefault(word[:1], {})[word] = n
    return total, {head: marshal.dumps(words) for head, words in groups.items()}


def build(path: Path) -> tuple[int, dict[str, bytes]]:
    """grouped(), written to `path` (atomically)."""
    total, groups = grouped()
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as out:
            marshal.dump((FORMAT, total, groups), out)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return total, groups


def load(cache_dir: Path, on_whole: Callable[[dict[str, int]], None] | None = None) -> tuple[LazyFreq, int]:
    """(FREQ, total) as jieba's default dictionary has them, from the cache (built on first use)."""
    path = cache_path(cache_dir)
    try:
        with open(path, "rb") as f:
            fmt, total, groups = marshal.load(f)
        if fmt != FORMAT or not isinstance(groups, dict) or not isinstance(total, int):
            raise ValueError("another format")
    except (OSError, ValueError, EOFError, TypeError):
        try:
            total, groups = build(path)
        except OSError as exc:  # a read-only cache: group in memory this time
            log.warning("cannot write jieba's grouped dictionary to %s: %s", path, exc)
            total, groups = grouped()
    return LazyFreq(groups, on_whole), total


def install(cache_dir: Path) -> bool:
    """Give jieba's default tokenizer the lazily read dictionary, unless it has already loaded one
    or was pointed at another dictionary. True when installed."""
    import jieba

    dt = jieba.dt
    with dt.lock:
        if dt.initialized or dt.dictionary != jieba.DEFAULT_DICT:
            return False
        try:
            freq, total = load(cache_dir, on_whole=lambda whole: setattr(dt, "FREQ", whole))
        except Exception as exc:  # noqa: BLE001 - jieba then loads its dictionary itself, as before
            log.warning("jieba's grouped dictionary is unavailable (%s); loading the whole one", exc)
            return False
        dt.FREQ, dt.total = freq, total
        dt.initialized = True
    return True

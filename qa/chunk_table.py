"""The chunk table in columns: numpy record arrays saved as .npy files, read row by row when loaded.

At 1M chunks a tuple of Chunk objects (with their figures, paths and periods) held ~1.6 GB and took
two minutes to parse from JSON lines. Here every string lives once in a pool (one UTF-8 blob and
its offsets), every chunk and every figure is a row of small integer fields pointing into that pool,
and a text that is its document's own `text[start:end]` is not stored at all. Loading checks the files
(seconds at 1M) and a row becomes a frozen Chunk only when it is read (FileArray), so the rest of the program
sees the same Chunk and Figure records as before. Rows are records (one dtype with a field per
column), not one array per column: reading a chunk and its figures is then two numpy calls, not
one per field (~140 us -> ~15 us per chunk, and a search reads ~150 of them).
"""
from __future__ import annotations

import os
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import fields
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from .errors import CorruptIndexError
from .types import Chunk, Document, Figure, Period

NONE = -1  # a missing optional string or period
SLICE = -2  # a text that is its document's text[start:end]

# one record per chunk and per figure; the field order is the dataclasses' (figures: base_set added)
CHUNK_DTYPE = np.dtype([
    ("id", "<i4"), ("doc", "<i4"), ("index", "<i8"), ("text", "<i4"), ("start", "<i8"), ("end", "<i8"),
    ("path", "<i4"), ("period", "<i4"), ("paragraph", "<i4"), ("prev", "<i4"), ("next", "<i4"), ("topic", "<i4"),
])
FIGURE_DTYPE = np.dtype([
    ("text", "<i4"), ("value", "<f8"), ("unit", "<i4"), ("kind", "<i4"), ("subject", "<i4"), ("start", "<i8"),
    ("end", "<i8"), ("qualifier", "<i4"), ("base_value", "<f8"), ("base_set", "?"), ("base_unit", "<i4"),
    ("doc", "<i4"), ("period", "<i4"), ("section", "<i4"), ("indicator", "<i4"), ("aspect", "<i4"),
    ("scope", "<i4"),
])
# file name (without .npy) -> dtype; every array is one-dimensional
ARRAYS = {
    "chunks": CHUNK_DTYPE, "figures": FIGURE_DTYPE,
    "pool_blob": np.dtype(np.uint8), "pool_offsets": np.dtype("<i8"),  # the strings
    "path_offsets": np.dtype("<i8"), "path_items": np.dtype("<i4"),  # heading paths, as string numbers
    "period_year": np.dtype("<i4"), "period_kind": np.dtype("<i4"),  # the periods
    "period_first": np.dtype("<i4"),  # a span's first year (NONE for one year)
    "figure_offsets": np.dtype("<i8"),  # chunk i's figures are figures[figure_offsets[i]:figure_offsets[i + 1]]
}
# string fields by what they may hold besides a pool number: SLICE (texts), NONE (optional fields), nothing
_TEXTS = ("text",)
_OPTIONAL = {"chunks": ("prev", "next"), "figures": ("qualifier", "base_unit", "indicator")}
_REQUIRED = {"chunks": ("id", "doc", "topic"),
             "figures": ("unit", "kind", "subject", "doc", "section", "aspect", "scope")}
CACHE_ROWS = 8192  # chunks kept built: a search reads the same ~150 rows several times


class TableError(ValueError):
    """An array is missing, of the wrong type, or points outside the table (a damaged file)."""


class FileArray:
    """A one-dimensional .npy array whose rows are read with pread when asked for.

    A search reads ~150 scattered chunk rows (and BM25 a few posting lists) out of arrays of
    hundreds of MB. Through a memory map every such read would stay mapped in this process, with
    the kernel's fault-around mapping 64 KB about each one (MADV_RANDOM does not stop it): after a
    few hundred questions the whole table counts as resident. Read with pread, the bytes come from
    the page cache (shared, reclaimable, kept warm by the OS when RAM allows) and this process
    holds only the copies it works on. A row costs one system call (~1 us).
    """

    ndim = 1

    def __init__(self, path: str | os.PathLike, offset: int, dtype: np.dtype, n: int) -> None:
        self.path, self.offset, self.dtype, self._n = str(path), int(offset), np.dtype(dtype), int(n)
        self._fd = os.open(self.path, os.O_RDONLY)

    @classmethod
    def of(cls, mapped: np.memmap) -> FileArray:
        """The same rows as a memory-mapped .npy (np.load(..., mmap_mode="r")), read instead of mapped."""
        return cls(mapped.filename, mapped.offset, mapped.dtype, len(mapped))

    def __len__(self) -> int:
        return self._n

    @property
    def shape(self) -> tuple[int]:
        return (self._n,)

    def read(self, a: int, b: int) -> np.ndarray:
        a, b = max(0, min(a, self._n)), max(0, min(b, self._n))
        size = self.dtype.itemsize
        want = max(0, b - a) * size
        data = os.pread(self._fd, want, self.offset + a * size) if want else b""
        if len(data) != want:
            raise CorruptIndexError(self.path, "file shorter than its header says")
        return np.frombuffer(data, self.dtype)

    def __getitem__(self, i: Any) -> Any:
        if isinstance(i, slice):
            wanted = range(*i.indices(self._n))
            if not wanted:
                return self.read(0, 0)
            lo, hi = min(wanted[0], wanted[-1]), max(wanted[0], wanted[-1]) + 1
            rows = self.read(lo, hi)  # the rows spanned, then numpy's own slicing of them
            return rows if wanted.step == 1 else rows[wanted[0] - lo :: wanted.step]
        r = int(i)
        if r < 0:
            r += self._n
        if not 0 <= r < self._n:
            raise IndexError(f"row {i} out of range ({self._n} rows)")
        return self.read(r, r + 1)[0]

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        out = self.read(0, self._n)
        return out if dtype is None else out.astype(dtype)

    def __del__(self) -> None:
        fd = getattr(self, "_fd", None)
        if fd is not None:
            os.close(fd)
            self._fd = None


class _Pool:
    """Strings by number while building: equal strings get one number."""

    def __init__(self) -> None:
        self.ids: dict[str, int] = {}

    def add(self, s: str | None) -> int:
        if s is None:
            return NONE
        i = self.ids.get(s)
        if i is None:
            i = self.ids[s] = len(self.ids)
        return i

    def arrays(self) -> tuple[np.ndarray, np.ndarray]:
        encoded = [s.encode("utf-8") for s in self.ids]
        offsets = np.zeros(len(encoded) + 1, dtype=np.int64)
        np.cumsum([len(b) for b in encoded], out=offsets[1:])
        return np.frombuffer(b"".join(encoded), dtype=np.uint8).copy(), offsets


class ChunkTable(Sequence[Chunk]):
    """A read-only sequence of Chunk built from record arrays; `table[i]` is an ordinary frozen Chunk."""

    def __init__(self, arrays: Mapping[str, np.ndarray], documents: Mapping[str, Document],
                 where: str = "chunk table") -> None:
        self._a = dict(arrays)
        self._where = where
        self._texts = {doc_id: d.text for doc_id, d in documents.items()}
        self._chunks, self._figures = self._a["chunks"], self._a["figures"]
        self._n = len(self._chunks)
        self._blob, self._offsets = self._a["pool_blob"], self._a["pool_offsets"]
        self._fo = self._a["figure_offsets"]
        self._periods = tuple(Period(y, self._decode(k), None if f == NONE else f)  # type: ignore[arg-type]
                              for y, k, f in zip(self._a["period_year"][:].tolist(), self._a["period_kind"][:].tolist(),
                                                 self._a["period_first"][:].tolist()))
        # caches per table (not per class, which would keep every table alive): a search reads the same rows,
        # and shared strings (documents, units, headings) decode once
        self._row = lru_cache(maxsize=CACHE_ROWS)(self._build)
        self._str = lru_cache(maxsize=65536)(self._decode)
        self._path = lru_cache(maxsize=4096)(self._path_of)

    # --- the Sequence --------------------------------------------------------------------------

    def __len__(self) -> int:
        return self._n

    def __getitem__(self, i: Any) -> Any:
        if isinstance(i, slice):
            return tuple(self._row(r) for r in range(*i.indices(self._n)))
        r = int(i)
        if r < 0:
            r += self._n
        if not 0 <= r < self._n:
            raise IndexError(f"chunk row {i} out of range ({self._n} chunks)")
        return self._row(r)

    def __iter__(self) -> Iterator[Chunk]:
        for r in range(self._n):
            yield self._row(r) if r < CACHE_ROWS else self._build(r)  # a full scan does not flush the cache

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Sequence) or isinstance(other, (str, bytes)):
            return NotImplemented
        return len(other) == self._n and all(a == b for a, b in zip(self, other))

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"ChunkTable({self._n} chunks)"

    # --- whole-table questions, answered from the arrays ----------------------------------------

    def years(self) -> frozenset[int]:
        """Years of the chunks' periods (Index.known_years) without building a chunk."""
        used: set[int] = set()
        for b in blocks(self._chunks):
            used.update(np.unique(b["period"]).tolist())
        return frozenset(self._periods[p].year for p in used if p >= 0)

    def indicators(self) -> frozenset[str]:
        """The indicators the figures are tied to (Index.indicators_given) without building a chunk."""
        used: set[int] = set()
        for b in blocks(self._figures):
            used.update(np.unique(b["indicator"]).tolist())
        return frozenset(self._str(i) for i in used if i != NONE)

    # --- building one row ------------------------------------------------------------------------

    def _decode(self, i: int) -> str:
        a, b = self._offsets[i : i + 2].tolist()
        try:
            return self._blob[a:b].tobytes().decode("utf-8")
        except UnicodeDecodeError as e:  # checked when read: validating a 1M-row pool at load would cost seconds
            raise CorruptIndexError(self._where, f"string {i} of the chunk table is not UTF-8") from e

    def _opt(self, i: int) -> str | None:
        return None if i == NONE else self._str(i)

    def _path_of(self, p: int) -> tuple[str, ...]:
        a, b = self._a["path_offsets"][p : p + 2].tolist()
        return tuple(self._str(s) for s in self._a["path_items"][a:b].tolist())

    def _text(self, i: int, doc: str, start: int, end: int) -> str:
        return self._texts[doc][start:end] if i == SLICE else self._str(i)

    def _build(self, r: int) -> Chunk:
        id_, doc_i, index, text, start, end, path, period, paragraph, prev, next_, topic = self._chunks[r].item()
        doc = self._str(doc_i)
        a, b = self._fo[r : r + 2].tolist()
        figures = tuple(map(self._figure, self._figures[a:b].tolist()))
        return Chunk(self._str(id_), doc, index, self._text(text, doc, start, end), start, end, self._path(path),
                     None if period == NONE else self._periods[period], paragraph, self._opt(prev), self._opt(next_),
                     figures, self._str(topic))

    def _figure(self, row: tuple) -> Figure:
        (text, value, unit, kind, subject, start, end, qualifier, base_value, base_set, base_unit, doc_i, period,
         section, indicator, aspect, scope) = row
        doc = self._str(doc_i)
        s = self._str
        return Figure(self._text(text, doc, start, end), value, s(unit), s(kind), s(subject), start, end,
                      self._opt(qualifier), base_value if base_set else None, self._opt(base_unit), doc,
                      None if period == NONE else self._periods[period], s(section), self._opt(indicator), s(aspect),
                      s(scope))

    # --- from chunks, to and from files -----------------------------------------------------------

    @classmethod
    def from_chunks(cls, chunks: Sequence[Chunk], documents: Mapping[str, Document]) -> ChunkTable:
        if isinstance(chunks, ChunkTable):
            return chunks
        return cls(arrays_of(chunks, documents), documents)

    @property
    def arrays(self) -> dict[str, np.ndarray]:
        return dict(self._a)

    def save(self, folder: Path) -> None:
        """One .npy per array in `folder` (created; the caller makes the whole build atomic)."""
        folder.mkdir(parents=True)
        for name, dtype in ARRAYS.items():
            np.save(folder / f"{name}.npy", np.ascontiguousarray(self._a[name], dtype=dtype), allow_pickle=False)

    @classmethod
    def load(cls, folder: Path, documents: Mapping[str, Document], in_memory: bool = False) -> ChunkTable:
        """The arrays, read row by row from their files when asked for (FileArray; `in_memory`:
        read whole), once every reference in them is checked to lead somewhere (else TableError).
        The checks read the files block by block, so they leave nothing resident either."""
        arrays = {}
        for name, dtype in ARRAYS.items():
            path = folder / f"{name}.npy"
            try:
                a = np.load(path, mmap_mode=None if in_memory else "r", allow_pickle=False)
            except (OSError, ValueError, EOFError) as e:
                raise TableError(f"{path.name}: {e}") from e
            if a.dtype != dtype or a.ndim != 1:
                raise TableError(f"{path.name}: {a.dtype}{list(a.shape)}, expected one dimension of {dtype}")
            arrays[name] = a
        check_arrays(arrays, documents)
        if not in_memory:  # the header is parsed and checked: from here on, read rows, do not map them
            arrays = {name: FileArray.of(a) for name, a in arrays.items()}
        return cls(arrays, documents, str(folder))


def arrays_of(chunks: Sequence[Chunk], documents: Mapping[str, Document]) -> dict[str, np.ndarray]:
    """The arrays of `chunks` (pure). Texts equal to their document's slice are not stored."""
    pool = _Pool()
    s = pool.add
    paths: dict[tuple[str, ...], int] = {}
    path_items: list[int] = []
    path_offsets = [0]
    periods: dict[Period, int] = {}
    texts = {doc_id: d.text for doc_id, d in documents.items()}

    def period_of(p: Period | None) -> int:
        if p is None:
            return NONE
        if p not in periods:
            periods[p] = len(periods)
        return periods[p]

    def text_of(text: str, doc: str, start: int, end: int) -> int:
        return SLICE if doc in texts and texts[doc][start:end] == text else s(text)

    rows: list[tuple] = []
    figure_rows: list[tuple] = []
    figure_offsets = [0]
    for c in chunks:
        if c.path not in paths:
            paths[c.path] = len(paths)
            path_items.extend(s(p) for p in c.path)
            path_offsets.append(len(path_items))
        rows.append((s(c.id), s(c.doc), c.index, text_of(c.text, c.doc, c.start, c.end), c.start, c.end,
                     paths[c.path], period_of(c.period), c.paragraph, s(c.prev), s(c.next), s(c.topic)))
        for f in c.figures:
            figure_rows.append((
                text_of(f.text, f.doc, f.start, f.end), f.value, s(f.unit), s(f.kind), s(f.subject), f.start, f.end,
                s(f.qualifier), 0.0 if f.base_value is None else f.base_value, f.base_value is not None,
                s(f.base_unit), s(f.doc), period_of(f.period), s(f.section), s(f.indicator), s(f.aspect), s(f.scope)))
        figure_offsets.append(len(figure_rows))
    out = {
        "chunks": np.array(rows, dtype=CHUNK_DTYPE), "figures": np.array(figure_rows, dtype=FIGURE_DTYPE),
        "path_offsets": np.asarray(path_offsets, dtype=np.int64), "path_items": np.asarray(path_items, dtype=np.int32),
        "period_year": np.asarray([p.year for p in periods], dtype=np.int32),
        "period_kind": np.asarray([s(p.kind) for p in periods], dtype=np.int32),
        "period_first": np.asarray([NONE if p.first is None else p.first for p in periods], dtype=np.int32),
        "figure_offsets": np.asarray(figure_offsets, dtype=np.int64),
    }
    out["pool_blob"], out["pool_offsets"] = pool.arrays()  # last: the period kinds add strings too
    return out


# --- checking -------------------------------------------------------------------------------------

BLOCK = 1 << 18


def blocks(a: np.ndarray, rows: int = BLOCK) -> Iterator[np.ndarray]:
    """`a` in blocks; a memory-mapped .npy is read with plain file reads (page cache, not this
    process's resident memory), so checking a 1M-row array does not keep it in RAM."""
    if isinstance(a, FileArray):
        for s in range(0, len(a), rows):
            yield a.read(s, s + rows)
        return
    filename = getattr(a, "filename", None)
    if not isinstance(a, np.memmap) or filename is None or not a.flags.c_contiguous:
        for s in range(0, len(a), rows):
            yield np.asarray(a[s : s + rows])
        return
    with open(filename, "rb") as f:
        for s in range(0, len(a), rows):
            want = min(rows, len(a) - s)
            f.seek(a.offset + s * a.itemsize)
            block = np.fromfile(f, a.dtype, want)
            if len(block) != want:
                raise TableError(f"{Path(filename).name} is shorter than its header says")
            yield block


def value_range(a: np.ndarray, field: str | None = None) -> tuple[Any, Any] | None:
    """(min, max) of an array (or of one field of a record array), None when empty."""
    lo = hi = None
    for b in blocks(a):
        if field is not None:
            b = b[field]
        if len(b):
            lo = b.min() if lo is None else min(lo, b.min())
            hi = b.max() if hi is None else max(hi, b.max())
    return None if lo is None else (lo, hi)


def is_offsets(a: np.ndarray, total: int) -> bool:
    """Starts at 0, never decreases, ends at `total`."""
    if len(a) == 0 or a[0] != 0 or a[len(a) - 1] != total:
        return False
    last = 0
    for b in blocks(a):
        if len(b) and (b[0] < last or np.any(np.diff(b) < 0)):
            return False
        if len(b):
            last = b[-1]
    return True


def _within(a: np.ndarray, field: str | None, lo: int, hi: int) -> bool:
    r = value_range(a, field)
    return r is None or (lo <= r[0] and r[1] < hi)


def check_arrays(a: Mapping[str, np.ndarray], documents: Mapping[str, Document]) -> None:
    """Raise TableError unless the arrays agree in length and every number that is followed (a
    string, a path, a period, a figure run, a document offset) leads inside the table."""
    n, f = len(a["chunks"]), len(a["figures"])
    n_strings = len(a["pool_offsets"]) - 1
    n_paths, n_periods = len(a["path_offsets"]) - 1, len(a["period_year"])
    if n_strings < 0 or n_paths < 0 or len(a["period_kind"]) != n_periods or len(a["period_first"]) != n_periods:
        raise TableError("string, path or period arrays of inconsistent lengths")
    if len(a["figure_offsets"]) != n + 1:
        raise TableError(f"figure_offsets has {len(a['figure_offsets'])} rows for {n} chunks")
    for name, total in (("pool_offsets", len(a["pool_blob"])), ("path_offsets", len(a["path_items"])),
                        ("figure_offsets", f)):
        if not is_offsets(a[name], total):
            raise TableError(f"{name} are not increasing offsets into their array")
    for table in ("chunks", "figures"):
        for names, lowest in ((_TEXTS, SLICE), (_OPTIONAL[table], NONE), (_REQUIRED[table], 0)):
            if not all(_within(a[table], name, lowest, n_strings) for name in names):
                raise TableError(f"a string number of the {table} points outside the string pool")
    if not (_within(a["path_items"], None, 0, n_strings) and _within(a["period_kind"], None, 0, n_strings)):
        raise TableError("a string number of the paths or periods points outside the string pool")
    if not (_within(a["chunks"], "path", 0, n_paths) and _within(a["chunks"], "period", NONE, n_periods)
            and _within(a["figures"], "period", NONE, n_periods)):
        raise TableError("a heading path or period number points outside its array")
    _check_documents(a, documents, n_strings)


def _check_documents(a: Mapping[str, np.ndarray], documents: Mapping[str, Document], n_strings: int) -> None:
    """Each chunk's document exists and its offsets and paragraph lie inside it; so do those of a
    figure whose text is read from its document."""
    offsets, blob = a["pool_offsets"], a["pool_blob"]
    length = np.full(max(n_strings, 1), -1, dtype=np.int64)  # -1: not a document of the index
    paragraphs = np.zeros(max(n_strings, 1), dtype=np.int64)
    for i in _doc_numbers(a):
        name = blob[int(offsets[i]):int(offsets[i + 1])].tobytes().decode("utf-8", errors="replace")
        d = documents.get(name)
        if d is None:
            raise TableError(f"a chunk points at document {name!r}, which the index does not hold")
        length[i], paragraphs[i] = len(d.text), len(d.paragraphs)
    for b in blocks(a["chunks"]):
        doc, start, end, para = b["doc"], b["start"], b["end"], b["paragraph"]
        if (np.any(start < 0) or np.any(start > end) or np.any(end > length[doc])
                or np.any(para < 0) or np.any(para >= paragraphs[doc])):
            raise TableError("a chunk points outside its document")
    for b in blocks(a["figures"]):
        b = b[b["text"] == SLICE]
        doc, start, end = b["doc"], b["start"], b["end"]
        if np.any(start < 0) or np.any(start > end) or np.any(end > length[doc]):
            raise TableError("a figure points outside its document")


def _doc_numbers(a: Mapping[str, np.ndarray]) -> list[int]:
    """Pool numbers of the documents that chunks, and figures read from their document, point at."""
    found: set[int] = set()
    for b in blocks(a["chunks"]):
        found.update(np.unique(b["doc"]).tolist())
    for b in blocks(a["figures"]):
        found.update(np.unique(b["doc"][b["text"] == SLICE]).tolist())
    return sorted(found)


def chunk_field_names() -> tuple[frozenset[str], frozenset[str]]:
    """The fields this table stores of Chunk and Figure (a test holds them equal to the dataclasses')."""
    return frozenset(CHUNK_DTYPE.names) | {"figures"}, frozenset(FIGURE_DTYPE.names) - {"base_set"}


def dataclass_field_names() -> tuple[frozenset[str], frozenset[str]]:
    return frozenset(f.name for f in fields(Chunk)), frozenset(f.name for f in fields(Figure))

"""The chunk table in columns: numpy arrays saved as .npy files and memory-mapped when loaded.

At 1M chunks a tuple of Chunk objects (with their figures, paths and periods) held ~1.6 GB and took
two minutes to parse from JSON lines. Here every string lives once in a pool (one UTF-8 blob and
its offsets), every chunk and figure is a row of small integer columns pointing into that pool, and
a chunk's text that is the document's own `text[start:end]` is not stored at all. Loading maps the
files (milliseconds) and a row becomes a frozen Chunk only when it is read, so the rest of the
program sees the same Chunk and Figure records as before.
"""
from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import fields
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from .errors import CorruptIndexError
from .types import Chunk, Document, Figure, Period

NONE = -1  # a missing optional string, period or base value
SLICE = -2  # a text that is its document's text[start:end]

# column name -> dtype; every column is one-dimensional
CHUNK_COLUMNS = {
    "id": np.int32, "doc": np.int32, "index": np.int64, "text": np.int32, "start": np.int64, "end": np.int64,
    "path": np.int32, "period": np.int32, "paragraph": np.int32, "prev": np.int32, "next": np.int32,
    "topic": np.int32,
}
FIGURE_COLUMNS = {
    "text": np.int32, "value": np.float64, "unit": np.int32, "kind": np.int32, "subject": np.int32,
    "start": np.int64, "end": np.int64, "qualifier": np.int32, "base_value": np.float64, "base_set": np.bool_,
    "base_unit": np.int32, "doc": np.int32, "period": np.int32, "section": np.int32, "indicator": np.int32,
    "aspect": np.int32, "scope": np.int32,
}
# the table's own structure: pool, heading paths, periods, each chunk's run of figures
TABLE_COLUMNS = {
    "pool_blob": np.uint8, "pool_offsets": np.int64, "path_offsets": np.int64, "path_items": np.int32,
    "period_year": np.int32, "period_kind": np.int32, "figure_offsets": np.int64,
}
# string columns by what they may hold besides a pool number: SLICE (texts), NONE (optional fields), nothing
_TEXTS = ("chunk.text", "figure.text")
_OPTIONAL = ("chunk.prev", "chunk.next", "figure.qualifier", "figure.base_unit", "figure.indicator")
_REQUIRED = ("chunk.id", "chunk.doc", "chunk.topic", "figure.unit", "figure.kind", "figure.subject", "figure.doc",
             "figure.section", "figure.aspect", "figure.scope", "table.path_items", "table.period_kind")
CACHE_ROWS = 8192  # chunks kept built: a search reads the same ~150 rows several times


class TableError(ValueError):
    """A column is missing, of the wrong type, or points outside the table (a damaged file)."""


def _file_name(group: str, name: str) -> str:
    return f"{group}.{name}.npy"


def _all_columns() -> Iterator[tuple[str, str, Any]]:
    for group, spec in (("chunk", CHUNK_COLUMNS), ("figure", FIGURE_COLUMNS), ("table", TABLE_COLUMNS)):
        for name, dtype in spec.items():
            yield group, name, dtype


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
    """A read-only sequence of Chunk built from columns; `table[i]` is an ordinary frozen Chunk."""

    def __init__(self, columns: Mapping[str, np.ndarray], documents: Mapping[str, Document],
                 where: str = "chunk table") -> None:
        self._c = dict(columns)
        self._where = where
        self._texts = {doc_id: d.text for doc_id, d in documents.items()}
        ch = lambda name: self._c[f"chunk.{name}"]  # noqa: E731
        self._n = len(ch("id"))
        self._blob = self._c["table.pool_blob"]
        self._offsets = self._c["table.pool_offsets"]
        kinds = self._c["table.period_kind"]
        self._periods = tuple(Period(int(y), self._decode(int(k)))  # type: ignore[arg-type]
                              for y, k in zip(self._c["table.period_year"].tolist(), kinds.tolist()))
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

    # --- whole-table questions, answered from the columns ---------------------------------------

    def years(self) -> frozenset[int]:
        """Years of the chunks' periods (Index.known_years) without building a chunk."""
        used = np.unique(np.asarray(self._c["chunk.period"]))
        return frozenset(self._periods[p].year for p in used.tolist() if p >= 0)

    def doc_of(self, row: int) -> str:
        return self._str(int(self._c["chunk.doc"][row]))

    # --- building one row ------------------------------------------------------------------------

    def _decode(self, i: int) -> str:
        a, b = int(self._offsets[i]), int(self._offsets[i + 1])
        try:
            return self._blob[a:b].tobytes().decode("utf-8")
        except UnicodeDecodeError as e:  # checked when read: validating a 1M-row pool at load would cost seconds
            raise CorruptIndexError(self._where, f"string {i} of the chunk table is not UTF-8") from e

    def _opt(self, i: int) -> str | None:
        return None if i == NONE else self._str(i)

    def _path_of(self, p: int) -> tuple[str, ...]:
        off, items = self._c["table.path_offsets"], self._c["table.path_items"]
        return tuple(self._str(int(s)) for s in items[int(off[p]):int(off[p + 1])].tolist())

    def _text(self, i: int, doc: str, start: int, end: int) -> str:
        return self._texts[doc][start:end] if i == SLICE else self._str(i)

    def _build(self, r: int) -> Chunk:
        c = self._c
        v = {name: c[f"chunk.{name}"][r].item() for name in CHUNK_COLUMNS}
        doc = self._str(v["doc"])
        fo = c["table.figure_offsets"]
        figures = tuple(self._figure(j) for j in range(int(fo[r]), int(fo[r + 1])))
        return Chunk(
            id=self._str(v["id"]), doc=doc, index=v["index"], text=self._text(v["text"], doc, v["start"], v["end"]),
            start=v["start"], end=v["end"], path=self._path(v["path"]),
            period=None if v["period"] == NONE else self._periods[v["period"]], paragraph=v["paragraph"],
            prev=self._opt(v["prev"]), next=self._opt(v["next"]), figures=figures, topic=self._str(v["topic"]),
        )

    def _figure(self, j: int) -> Figure:
        c = self._c
        v = {name: c[f"figure.{name}"][j].item() for name in FIGURE_COLUMNS}
        doc = self._str(v["doc"])
        return Figure(
            text=self._text(v["text"], doc, v["start"], v["end"]), value=v["value"], unit=self._str(v["unit"]),
            kind=self._str(v["kind"]), subject=self._str(v["subject"]), start=v["start"], end=v["end"],
            qualifier=self._opt(v["qualifier"]), base_value=v["base_value"] if v["base_set"] else None,
            base_unit=self._opt(v["base_unit"]), doc=doc,
            period=None if v["period"] == NONE else self._periods[v["period"]], section=self._str(v["section"]),
            indicator=self._opt(v["indicator"]), aspect=self._str(v["aspect"]), scope=self._str(v["scope"]),
        )

    # --- from chunks, to and from files -----------------------------------------------------------

    @classmethod
    def from_chunks(cls, chunks: Sequence[Chunk], documents: Mapping[str, Document]) -> ChunkTable:
        if isinstance(chunks, ChunkTable):
            return chunks
        return cls(columns_of(chunks, documents), documents)

    @property
    def columns(self) -> dict[str, np.ndarray]:
        return dict(self._c)

    def save(self, folder: Path) -> None:
        """One .npy per column in `folder` (created; the caller makes the whole build atomic)."""
        folder.mkdir(parents=True)
        for group, name, dtype in _all_columns():
            np.save(folder / _file_name(group, name), np.ascontiguousarray(self._c[f"{group}.{name}"], dtype=dtype),
                    allow_pickle=False)

    @classmethod
    def load(cls, folder: Path, documents: Mapping[str, Document], mmap: bool = True) -> ChunkTable:
        """Map (or read) the columns and check that every reference in them leads somewhere; raise
        TableError otherwise. The checks read the files block by block, not through the maps, so
        they leave nothing resident in this process."""
        columns = {}
        for group, name, dtype in _all_columns():
            path = folder / _file_name(group, name)
            try:
                a = np.load(path, mmap_mode="r" if mmap else None, allow_pickle=False)
            except (OSError, ValueError, EOFError) as e:
                raise TableError(f"{path.name}: {e}") from e
            if a.dtype != np.dtype(dtype) or a.ndim != 1:
                raise TableError(f"{path.name}: {a.dtype}{list(a.shape)}, expected one column of {np.dtype(dtype)}")
            columns[f"{group}.{name}"] = a
        check_columns(columns, documents)
        return cls(columns, documents, str(folder))


def columns_of(chunks: Sequence[Chunk], documents: Mapping[str, Document]) -> dict[str, np.ndarray]:
    """The columns of `chunks` (pure). Texts equal to their document's slice are not stored."""
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

    ch: dict[str, list] = {name: [] for name in CHUNK_COLUMNS}
    fg: dict[str, list] = {name: [] for name in FIGURE_COLUMNS}
    figure_offsets = [0]
    for c in chunks:
        if c.path not in paths:
            paths[c.path] = len(paths)
            path_items.extend(s(p) for p in c.path)
            path_offsets.append(len(path_items))
        row = {"id": s(c.id), "doc": s(c.doc), "index": c.index, "text": text_of(c.text, c.doc, c.start, c.end),
               "start": c.start, "end": c.end, "path": paths[c.path], "period": period_of(c.period),
               "paragraph": c.paragraph, "prev": s(c.prev), "next": s(c.next), "topic": s(c.topic)}
        for name, value in row.items():
            ch[name].append(value)
        for f in c.figures:
            frow = {"text": text_of(f.text, f.doc, f.start, f.end), "value": f.value, "unit": s(f.unit),
                    "kind": s(f.kind), "subject": s(f.subject), "start": f.start, "end": f.end,
                    "qualifier": s(f.qualifier), "base_value": 0.0 if f.base_value is None else f.base_value,
                    "base_set": f.base_value is not None, "base_unit": s(f.base_unit), "doc": s(f.doc),
                    "period": period_of(f.period), "section": s(f.section), "indicator": s(f.indicator),
                    "aspect": s(f.aspect), "scope": s(f.scope)}
            for name, value in frow.items():
                fg[name].append(value)
        figure_offsets.append(len(fg["text"]))
    out = {f"chunk.{k}": np.asarray(v, dtype=CHUNK_COLUMNS[k]) for k, v in ch.items()}
    out.update({f"figure.{k}": np.asarray(v, dtype=FIGURE_COLUMNS[k]) for k, v in fg.items()})
    out.update({
        "table.path_offsets": np.asarray(path_offsets, dtype=np.int64),
        "table.path_items": np.asarray(path_items, dtype=np.int32),
        "table.period_year": np.asarray([p.year for p in periods], dtype=np.int32),
        "table.period_kind": np.asarray([s(p.kind) for p in periods], dtype=np.int32),
        "table.figure_offsets": np.asarray(figure_offsets, dtype=np.int64),
    })
    blob, offsets = pool.arrays()  # last: the period kinds add strings too
    out["table.pool_blob"], out["table.pool_offsets"] = blob, offsets
    return out


# --- checking -------------------------------------------------------------------------------------

BLOCK = 1 << 20


def blocks(a: np.ndarray, rows: int = BLOCK) -> Iterator[np.ndarray]:
    """`a` in blocks; a memory-mapped .npy is read with plain file reads (page cache, not this
    process's resident memory), so checking a 1M-row column does not keep it in RAM."""
    filename = getattr(a, "filename", None)
    if not isinstance(a, np.memmap) or filename is None:
        for s in range(0, len(a), rows):
            yield np.asarray(a[s : s + rows])
        return
    with open(filename, "rb") as f:
        for s in range(0, len(a), rows):
            f.seek(a.offset + s * a.itemsize)
            block = np.fromfile(f, a.dtype, min(rows, len(a) - s))
            if len(block) != min(rows, len(a) - s):
                raise TableError(f"{Path(filename).name} is shorter than its header says")
            yield block


def value_range(a: np.ndarray) -> tuple[float, float] | None:
    """(min, max) of a column, None when empty."""
    lo = hi = None
    for b in blocks(a):
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


def _within(a: np.ndarray, lo: int, hi: int) -> bool:
    r = value_range(a)
    return r is None or (lo <= r[0] and r[1] < hi)


def check_columns(c: Mapping[str, np.ndarray], documents: Mapping[str, Document]) -> None:
    """Raise TableError unless the columns agree in length and every number that is followed
    (a string, a path, a period, a figure run, a document offset) leads inside the table."""
    n, f = len(c["chunk.id"]), len(c["figure.text"])
    for name in CHUNK_COLUMNS:
        if len(c[f"chunk.{name}"]) != n:
            raise TableError(f"chunk column {name} has {len(c[f'chunk.{name}'])} rows, not {n}")
    for name in FIGURE_COLUMNS:
        if len(c[f"figure.{name}"]) != f:
            raise TableError(f"figure column {name} has {len(c[f'figure.{name}'])} rows, not {f}")
    n_strings = len(c["table.pool_offsets"]) - 1
    n_paths, n_periods = len(c["table.path_offsets"]) - 1, len(c["table.period_year"])
    if (n_strings < 0 or n_paths < 0 or len(c["table.period_kind"]) != n_periods
            or len(c["table.figure_offsets"]) != n + 1):
        raise TableError("table columns of inconsistent lengths")
    for name, total in (("pool_offsets", len(c["table.pool_blob"])), ("path_offsets", len(c["table.path_items"])),
                        ("figure_offsets", f)):
        if not is_offsets(c[f"table.{name}"], total):
            raise TableError(f"{name} are not increasing offsets into their table")
    for names, lowest in ((_TEXTS, SLICE), (_OPTIONAL, NONE), (_REQUIRED, 0)):
        if not all(_within(c[name], lowest, n_strings) for name in names):
            raise TableError("a string number points outside the string pool")
    if not (_within(c["chunk.path"], 0, n_paths) and _within(c["chunk.period"], NONE, n_periods)
            and _within(c["figure.period"], NONE, n_periods)):
        raise TableError("a heading path or period number points outside its table")
    _check_documents(c, documents, n_strings)


def _check_documents(c: Mapping[str, np.ndarray], documents: Mapping[str, Document], n_strings: int) -> None:
    """Each chunk's document exists and its offsets and paragraph lie inside it; so do those of a
    figure whose text is read from its document."""
    offsets, blob = c["table.pool_offsets"], c["table.pool_blob"]
    length = np.full(max(n_strings, 1), -1, dtype=np.int64)  # -1: not a document of the index
    paragraphs = np.zeros(max(n_strings, 1), dtype=np.int64)
    names = {blob[int(offsets[i]):int(offsets[i + 1])].tobytes().decode("utf-8", errors="replace"): i
             for i in _doc_numbers(c)}
    for name, i in names.items():
        d = documents.get(name)
        if d is None:
            raise TableError(f"a chunk points at document {name!r}, which the index does not hold")
        length[i], paragraphs[i] = len(d.text), len(d.paragraphs)
    cols = [blocks(c[f"chunk.{k}"]) for k in ("doc", "start", "end", "paragraph")]
    for doc, start, end, para in zip(*cols):
        if (np.any(start < 0) or np.any(start > end) or np.any(end > length[doc])
                or np.any(para < 0) or np.any(para >= paragraphs[doc])):
            raise TableError("a chunk points outside its document")
    cols = [blocks(c[f"figure.{k}"]) for k in ("text", "doc", "start", "end")]
    for text, doc, start, end in zip(*cols):
        sliced = text == SLICE
        doc, start, end = doc[sliced], start[sliced], end[sliced]
        if np.any(start < 0) or np.any(start > end) or np.any(end > length[doc]):
            raise TableError("a figure points outside its document")


def _doc_numbers(c: Mapping[str, np.ndarray]) -> list[int]:
    """Pool numbers of the documents that chunks, and figures read from their document, point at."""
    found: set[int] = set()
    for b in blocks(c["chunk.doc"]):
        found.update(np.unique(b).tolist())
    for text, doc in zip(blocks(c["figure.text"]), blocks(c["figure.doc"])):
        found.update(np.unique(doc[text == SLICE]).tolist())
    return sorted(found)


def chunk_field_names() -> tuple[frozenset[str], frozenset[str]]:
    """The fields this table stores of Chunk and Figure (a test holds them equal to the dataclasses')."""
    chunk = frozenset(CHUNK_COLUMNS) | {"figures"}
    figure = frozenset(FIGURE_COLUMNS) - {"base_set"}
    return chunk, figure


def dataclass_field_names() -> tuple[frozenset[str], frozenset[str]]:
    return frozenset(f.name for f in fields(Chunk)), frozenset(f.name for f in fields(Figure))

"""The columnar chunk table: rows read back as the very Chunk and Figure records that went in, from
memory or from memory-mapped files, and damaged columns refused with a clear error."""
from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from fakes import edit_npy
from qa.chunk_table import (CACHE_ROWS, SLICE, ChunkTable, FileArray, TableError, arrays_of, blocks, chunk_field_names,
                            dataclass_field_names, is_offsets, value_range)
from qa.chunking import chunk_document
from qa.config import Settings
from qa.errors import CorruptIndexError
from qa.ingest import load_corpus
from qa.types import Chunk, Figure, Period

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def real() -> tuple[dict, list[Chunk]]:
    s = Settings.from_env(corpus_dir=ROOT / "corpus")
    docs, _ = load_corpus(s.corpus_dir)
    chunks = [c for d in docs for c in chunk_document(d, s.chunk_min, s.chunk_max)]
    return {d.id: d for d in docs}, chunks


def _odd(docs: dict, chunks: list[Chunk]) -> list[Chunk]:
    """Chunks the product does not cut, that the table must still keep exactly: a text that is not its
    document's slice, optional fields set and unset, base_value 0.0 beside None, a figure of another
    document, an empty path, no period, no figures, -0.0 and huge values."""
    c = chunks[3]
    f = c.figures[0] if c.figures else Figure("1亿元", 1.0, "亿元", "amount", "投资", 0, 3)
    odd_figures = (
        replace(f, base_value=0.0, base_unit=None, qualifier="over", indicator="GDP", period=None),
        replace(f, doc="another-report", text="超1200亿元", value=-0.0, base_value=None, scope="city"),
        replace(f, value=1e300, period=Period(1999, "targets"), aspect="", section=""),
    )
    return [
        replace(c, id="x#1", text=c.text + "（有改动）", prev="x#0", next=None, figures=odd_figures, topic="改动"),
        replace(c, id="x#2", path=(), period=None, figures=(), topic=""),
        replace(c, id="x#3", text="", start=c.start, end=c.start),
    ]


def test_every_field_of_chunk_and_figure_is_stored():
    assert chunk_field_names() == dataclass_field_names()


def test_real_chunks_round_trip_in_memory_and_on_disk(real, tmp_path):
    docs, chunks = real
    table = ChunkTable.from_chunks(chunks, docs)
    assert len(table) == len(chunks) and list(table) == chunks and table == chunks and chunks == table
    assert np.all(table.arrays["chunks"]["text"] == SLICE)  # the product's texts are never stored twice
    assert np.all(table.arrays["figures"]["text"] == SLICE)
    table.save(tmp_path / "chunks")
    loaded = ChunkTable.load(tmp_path / "chunks", docs)
    assert all(isinstance(a, FileArray) for a in loaded.arrays.values())  # read when asked, not held
    assert loaded == chunks and loaded[5] == chunks[5] and loaded[-1] == chunks[-1]
    assert loaded[2:5] == tuple(chunks[2:5])
    assert loaded.years() == {c.period.year for c in chunks if c.period}
    assert ChunkTable.load(tmp_path / "chunks", docs, in_memory=True) == chunks


def test_odd_chunks_round_trip(real, tmp_path):
    docs, chunks = real
    odd = _odd(docs, chunks)
    table = ChunkTable.from_chunks(odd, docs)
    assert table.arrays["chunks"]["text"][0] != SLICE  # not its document's slice: stored
    table.save(tmp_path / "chunks")
    loaded = ChunkTable.load(tmp_path / "chunks", docs)
    for a, b in zip(loaded, odd):
        assert a == b
        for fa, fb in zip(a.figures, b.figures):
            assert (fa.base_value is None) == (fb.base_value is None)
            assert repr(fa.value) == repr(fb.value)  # -0.0 stays -0.0


def test_empty_table(real, tmp_path):
    docs, _ = real
    table = ChunkTable.from_chunks([], docs)
    assert len(table) == 0 and list(table) == [] and table.years() == frozenset()
    table.save(tmp_path / "chunks")
    assert len(ChunkTable.load(tmp_path / "chunks", docs)) == 0


def test_rows_are_built_once_and_bad_rows_refused(real):
    docs, chunks = real
    table = ChunkTable.from_chunks(chunks, docs)
    assert table[4] is table[4]  # cached: a search reads the same rows several times
    i, j = next((i, j) for i in range(len(chunks)) for j in range(i + 1, len(chunks)) if chunks[i].path == chunks[j].path)
    assert table[i].path is table[j].path  # equal heading paths share one tuple
    with pytest.raises(IndexError):
        table[len(chunks)]
    with pytest.raises(IndexError):
        table[-len(chunks) - 1]
    assert table != chunks[:-1] and table != [*chunks[:-1], replace(chunks[-1], text="x")]
    assert len(chunks) < CACHE_ROWS


def test_shared_strings_are_stored_once(real):
    docs, chunks = real
    arrays = arrays_of(chunks, docs)
    units = [f.unit for c in chunks for f in c.figures]
    assert len(np.unique(arrays["figures"]["unit"])) == len(set(units))
    assert len(arrays["path_offsets"]) - 1 == len({c.path for c in chunks})


def _saved(tmp_path: Path, docs: dict, chunks: list[Chunk]) -> Path:
    folder = tmp_path / "chunks"
    ChunkTable.from_chunks(chunks, docs).save(folder)
    return folder


def _edit(folder: Path, name: str, change) -> None:
    """Rewrite <name>.npy, or one field of a record array ("chunks.start"), as change(values)."""
    edit_npy(folder, name, change)


def _retype(folder: Path, name: str, field: str, dtype: str) -> None:
    """The record array with one field of another type."""
    a = np.load(folder / f"{name}.npy")
    types = [(n, dtype if n == field else a.dtype[n]) for n in a.dtype.names]
    np.save(folder / f"{name}.npy", a.astype(types))


DAMAGE = {
    "an array missing": (lambda f: (f / "path_items.npy").unlink(), "path_items.npy"),
    "an array truncated": (lambda f: (f / "figures.npy").write_bytes((f / "figures.npy").read_bytes()[:500]),
                           "figures.npy"),
    "a field of another type": (lambda f: _retype(f, "chunks", "start", "<i4"), "expected"),
    "a field missing": (lambda f: np.save(f / "chunks.npy", np.load(f / "chunks.npy")[["id", "doc"]]), "expected"),
    "an array of two dimensions": (lambda f: _edit(f, "pool_offsets", lambda a: a.reshape(-1, 1)), "expected"),
    "a chunk without its figure run": (lambda f: _edit(f, "chunks", lambda a: a[:-1]), "figure_offsets"),
    "a period without its kind": (lambda f: _edit(f, "period_kind", lambda a: a[:-1]), "inconsistent"),
    "pool offsets past the pool": (lambda f: _edit(f, "pool_offsets", lambda a: a + 1), "offsets"),
    "figure runs decreasing": (lambda f: _edit(f, "figure_offsets", lambda a: np.sort(a)[::-1].copy()), "offsets"),
    "figure runs past the figures": (lambda f: _edit(f, "figures", lambda a: a[:-1]), "offsets"),
    "a string number past the pool": (lambda f: _edit(f, "chunks.topic", lambda a: a + 10**6), "pool"),
    "a required string missing": (lambda f: _edit(f, "figures.kind", lambda a: a * 0 - 1), "pool"),
    "a text number below SLICE": (lambda f: _edit(f, "chunks.text", lambda a: a * 0 - 3), "pool"),
    "a path string past the pool": (lambda f: _edit(f, "path_items", lambda a: a + 10**6), "pool"),
    "a path number past the paths": (lambda f: _edit(f, "chunks.path", lambda a: a + 10**4), "path"),
    "a period number past the periods": (lambda f: _edit(f, "figures.period", lambda a: a + 50), "period"),
    "a chunk of an unknown document": (lambda f: _edit(f, "chunks.doc", lambda a: np.load(f / "chunks.npy")["id"]),
                                       "document"),
    "a chunk past its document's end": (lambda f: _edit(f, "chunks.end", lambda a: a + 10**6), "outside"),
    "a chunk starting after it ends": (lambda f: _edit(f, "chunks.start", lambda a: a + 10**4), "outside"),
    "a paragraph past the document's": (lambda f: _edit(f, "chunks.paragraph", lambda a: a + 10**4), "outside"),
    "a figure past its document's end": (lambda f: _edit(f, "figures.end", lambda a: a + 10**6), "outside"),
}


@pytest.mark.parametrize("damage", list(DAMAGE))
def test_damaged_columns_are_refused(real, tmp_path, damage):
    docs, chunks = real
    folder = _saved(tmp_path, docs, chunks)
    harm, message = DAMAGE[damage]
    harm(folder)
    with pytest.raises(TableError, match=message):
        ChunkTable.load(folder, docs)


def test_text_that_is_not_utf8_is_refused_when_read(real, tmp_path):
    docs, chunks = real
    folder = _saved(tmp_path, docs, _odd(docs, chunks))
    blob = np.load(folder / "pool_blob.npy")
    offsets = np.load(folder / "pool_offsets.npy")
    text = int(np.load(folder / "chunks.npy")["text"][0])
    blob[offsets[text]] = 0xFF  # never valid in UTF-8
    np.save(folder / "pool_blob.npy", blob)
    table = ChunkTable.load(folder, docs)
    with pytest.raises(CorruptIndexError, match="not UTF-8"):
        table[0]


def test_block_reads_of_a_mapped_column(tmp_path):
    a = np.arange(-5, 2_500_003, dtype=np.int64)
    np.save(tmp_path / "a.npy", a)
    m = np.load(tmp_path / "a.npy", mmap_mode="r")
    parts = list(blocks(m, rows=1_000_000))
    assert [len(p) for p in parts] == [1_000_000, 1_000_000, 500_008]
    assert np.array_equal(np.concatenate(parts), a)
    assert value_range(m) == (-5, 2_500_002) and value_range(np.zeros(0)) is None
    records = np.zeros(600_000, dtype=[("a", "<i4"), ("b", "<f8")])
    records["a"] = np.arange(600_000) - 7
    np.save(tmp_path / "r.npy", records)
    assert value_range(np.load(tmp_path / "r.npy", mmap_mode="r"), "a") == (-7, 599_992)
    offsets = np.array([0, 3, 3, 9], dtype=np.int64)
    assert is_offsets(offsets, 9) and not is_offsets(offsets, 8)
    assert not is_offsets(np.array([0, 4, 3, 9]), 9) and not is_offsets(np.array([1, 9]), 9)
    assert not is_offsets(np.zeros(0, dtype=np.int64), 0)


def test_file_array_reads_rows_as_numpy_would(tmp_path):
    records = np.zeros(1000, dtype=[("a", "<i4"), ("b", "<f8")])
    records["a"] = np.arange(1000) * 3
    records["b"] = np.linspace(0, 1, 1000)
    np.save(tmp_path / "r.npy", records)
    f = FileArray.of(np.load(tmp_path / "r.npy", mmap_mode="r"))
    assert len(f) == 1000 and f.dtype == records.dtype and f.shape == (1000,)
    for i in (0, 7, 999, -1, np.int64(5)):
        assert f[i] == records[i]
    for s in (slice(3, 9), slice(990, 2000), slice(None, None, -7), slice(5, 5), slice(-3, None), slice(2, 40, 3)):
        assert np.array_equal(f[s], records[s]), s
    assert np.array_equal(np.asarray(f), records) and np.array_equal(f[10:20]["a"], records[10:20]["a"])
    with pytest.raises(IndexError):
        f[1000]
    (tmp_path / "r.npy").write_bytes((tmp_path / "r.npy").read_bytes()[:2000])  # truncated after it was opened
    with pytest.raises(CorruptIndexError, match="shorter"):
        f[900:1000]

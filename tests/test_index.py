"""Index build/save/load, staleness and atomic replacement, on a fast stand-in model."""
from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from fakes import FakeEmbedder
from qa import Assistant, CorruptIndexError, StaleIndexError
from qa.config import Settings
from qa.index import build_index, live_build, load_index, save_index, stale_reasons
from qa.ingest import load_corpus

ROOT = Path(__file__).resolve().parent.parent
QUESTIONS = ["2023年地区生产总值是多少", "今年计划新开工多少个亿元以上项目", "新增学位", "充电桩建了多少根", "高企总数"]


@pytest.fixture()
def corpus(tmp_path: Path) -> Path:
    d = tmp_path / "corpus"
    d.mkdir()
    shutil.copy(ROOT / "corpus" / "donghu-2024-work-report.txt", d)
    return d


def _load(corpus: Path, index: Path, **kw) -> Assistant:
    return Assistant.load(corpus_dir=corpus, index_dir=index, model=kw.pop("model", FakeEmbedder()), **kw)


def test_round_trip_answers_the_same(corpus: Path, tmp_path: Path):
    built = _load(corpus, tmp_path / "index")
    loaded = Assistant(load_index(tmp_path / "index"), FakeEmbedder(), built.settings)
    assert loaded.index.chunks == built.index.chunks
    assert np.array_equal(loaded.index.embeddings, built.index.embeddings)
    for q in QUESTIONS:
        for mode in ("hybrid", "dense", "bm25"):
            a, b = built.ask(q, mode=mode), loaded.ask(q, mode=mode)
            assert [p.chunk_id for p in a.passages] == [p.chunk_id for p in b.passages]
            assert [p.score for p in a.passages] == pytest.approx([p.score for p in b.passages])


def test_second_load_reuses_the_index(corpus: Path, tmp_path: Path):
    _load(corpus, tmp_path / "index")
    first = live_build(tmp_path / "index")
    model = FakeEmbedder()
    _load(corpus, tmp_path / "index", model=model)
    assert live_build(tmp_path / "index") == first and model.calls == 0


def test_change_add_remove_document_and_model_are_noticed(corpus: Path, tmp_path: Path):
    index_dir = tmp_path / "index"
    _load(corpus, index_dir)
    manifest = load_index(index_dir).manifest
    docs, _ = load_corpus(corpus)
    assert stale_reasons(manifest, docs, "fake-1", 60, 200) == []

    report = corpus / "donghu-2024-work-report.txt"
    report.write_text(report.read_text(encoding="utf-8").replace("2715亿元", "2716亿元"), encoding="utf-8")
    (corpus / "other.txt").write_text("一、2023年工作回顾\n\n(一)另一个区。全年增长5%。\n", encoding="utf-8")
    docs, _ = load_corpus(corpus)
    reasons = stale_reasons(manifest, docs, "fake-2", 80, 200)
    assert any("changed: donghu" in r for r in reasons)
    assert any("added: other" in r for r in reasons)
    assert any("model changed" in r for r in reasons)
    assert any("chunk size" in r for r in reasons)
    with pytest.raises(StaleIndexError, match="document changed"):
        _load(corpus, index_dir, rebuild=False)

    (corpus / "other.txt").unlink()
    shutil.copy(ROOT / "corpus" / "donghu-2024-work-report.txt", corpus / "copy.txt")
    docs, _ = load_corpus(corpus)
    assert any("removed" not in r for r in stale_reasons(manifest, docs, "fake-1", 60, 200))
    (corpus / "copy.txt").unlink()
    (corpus / "donghu-2024-work-report.txt").rename(corpus / "renamed.txt")
    docs, _ = load_corpus(corpus)
    reasons = stale_reasons(manifest, docs, "fake-1", 60, 200)
    assert "document removed: donghu-2024-work-report" in reasons and "document added: renamed" in reasons


def test_model_change_rebuilds(corpus: Path, tmp_path: Path):
    _load(corpus, tmp_path / "index")
    with pytest.raises(StaleIndexError, match="model changed"):
        _load(corpus, tmp_path / "index", model=FakeEmbedder("fake-2"), rebuild=False)
    a = _load(corpus, tmp_path / "index", model=FakeEmbedder("fake-2"))
    assert a.index.manifest.model_fingerprint == "fake-2"


def test_rebuild_embeds_only_changed_chunks(corpus: Path, tmp_path: Path):
    first = FakeEmbedder()
    a = _load(corpus, tmp_path / "index", model=first)
    assert first.calls == a.index.size
    report = corpus / "donghu-2024-work-report.txt"
    report.write_text(report.read_text(encoding="utf-8").replace("总量达到2715亿元", "总量达到2716亿元"), encoding="utf-8")
    second = FakeEmbedder()
    b = _load(corpus, tmp_path / "index", model=second)
    assert 1 <= second.calls <= 2
    assert any("2716亿元" in c.text for c in b.index.chunks)


def test_settings_change_is_noticed(corpus: Path, tmp_path: Path):
    _load(corpus, tmp_path / "index")
    settings = Settings.from_env(chunk_min=30, chunk_max=100)
    with pytest.raises(StaleIndexError, match="chunk size"):
        Assistant.load(corpus_dir=corpus, index_dir=tmp_path / "index", model=FakeEmbedder(), settings=settings,
                       rebuild=False)


def test_failed_build_leaves_old_index_intact(corpus: Path, tmp_path: Path, monkeypatch):
    index_dir = tmp_path / "index"
    a = _load(corpus, index_dir)
    before = live_build(index_dir)
    import qa.index as qi

    real = qi.np.save

    def boom(*args, **kwargs):
        real(*args, **kwargs)
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(qi.np, "save", boom)
    docs, _ = load_corpus(corpus)
    new = build_index(docs, FakeEmbedder())
    with pytest.raises(OSError):
        save_index(new, index_dir)
    monkeypatch.undo()
    assert live_build(index_dir) == before
    assert [p.name for p in index_dir.iterdir() if p.name.startswith(".tmp")] == []
    again = load_index(index_dir)
    assert again.chunks == a.index.chunks


def test_disk_full_during_load_serves_from_memory(corpus: Path, tmp_path: Path, monkeypatch):
    import qa.answer as qa_answer

    def full(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(qa_answer, "save_index", full)
    a = _load(corpus, tmp_path / "index")
    assert a.ask("新增学位").passages
    assert any("could not save" in p for p in a.problems)


@pytest.mark.parametrize("victim", ["chunks/chunks.npy", "chunks/figures.npy", "chunks/pool_blob.npy", "dense.faiss",
                                    "manifest.json", "documents.jsonl", "bm25/indices.csc.index.npy"])
def test_corrupt_files_are_detected_and_rebuilt(corpus: Path, tmp_path: Path, victim: str):
    index_dir = tmp_path / "index"
    _load(corpus, index_dir)
    build = live_build(index_dir)
    path = build / victim
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(CorruptIndexError):
        load_index(index_dir)
    with pytest.raises((CorruptIndexError, StaleIndexError)):
        _load(corpus, index_dir, rebuild=False)
    a = _load(corpus, index_dir)  # rebuilt
    assert a.ask("新增学位").passages
    load_index(index_dir)


def test_flipped_byte_is_detected(corpus: Path, tmp_path: Path):
    index_dir = tmp_path / "index"
    _load(corpus, index_dir)
    path = live_build(index_dir) / "chunks" / "pool_blob.npy"
    data = bytearray(path.read_bytes())
    data[300] ^= 0x01
    path.write_bytes(bytes(data))
    with pytest.raises(CorruptIndexError, match="checksum"):
        load_index(index_dir)


def test_missing_index_is_built_and_no_index_raises(corpus: Path, tmp_path: Path):
    with pytest.raises(CorruptIndexError, match="qa build"):
        load_index(tmp_path / "nothing")
    a = _load(corpus, tmp_path / "nothing")
    assert a.index.size > 50


def test_hnsw_above_threshold(corpus: Path):
    docs, _ = load_corpus(corpus)
    index = build_index(docs, FakeEmbedder(), ann_threshold=10)
    assert index.manifest.faiss_kind == "hnsw"
    flat = build_index(docs, FakeEmbedder())
    assert flat.manifest.faiss_kind == "flat"


# --- the character-bigram BM25 field ---------------------------------------------------------


def test_ngram_field_round_trips(corpus: Path, tmp_path: Path):
    from qa.retrieval import ngram_candidates

    built = _load(corpus, tmp_path / "index").index
    loaded = load_index(tmp_path / "index")
    manifest_files = loaded.manifest.files
    assert any(k.startswith("bm25-ngrams/") for k in manifest_files)
    assert loaded.ngram_vocab == built.ngram_vocab and "车位" in loaded.ngram_vocab
    for q in ["车位", "汽车卖了多少", "污水处理能力", "GDP 5G"]:
        a, b = ngram_candidates(loaded, q, 10), ngram_candidates(built, q, 10)
        assert a and [r for r, _ in a] == [r for r, _ in b]
        assert [s for _, s in a] == pytest.approx([s for _, s in b])


@pytest.mark.parametrize("part, whole", [
    ("托育", "托育园"),  # jieba keeps 托育园 whole: the word field has no 托育
    ("电竞", "电竞节"),
    ("还建", "还建房"),
])
def test_ngrams_match_inside_compounds(corpus: Path, part: str, whole: str):
    from qa.query import tokenize
    from qa.retrieval import bm25_candidates, ngram_candidates

    docs, _ = load_corpus(corpus)
    index = build_index(docs, FakeEmbedder())
    assert bm25_candidates(index, tuple(tokenize(part)), index.size) == []  # words miss it
    rows = [r for r, _ in ngram_candidates(index, part, index.size)]
    assert rows and all(part in index.chunks[r].text for r in rows)
    assert any(whole in index.chunks[r].text for r in rows)


def test_ngram_candidates_ignore_unknown_text(corpus: Path):
    from qa.retrieval import ngram_candidates

    docs, _ = load_corpus(corpus)
    index = build_index(docs, FakeEmbedder())
    # the caller passes Query.core, the question without the report's own name (光谷)
    assert ngram_candidates(index, "魑魅魍魉", 10) == [] and ngram_candidates(index, "", 10) == []
    assert ngram_candidates(index, "新增学位 学位", 5)[0][1] > 0


def test_old_format_index_is_stale(corpus: Path, tmp_path: Path):
    import json

    from qa.index import FORMAT_VERSION

    index_dir = tmp_path / "index"
    _load(corpus, index_dir)
    build = live_build(index_dir)
    manifest = json.loads((build / "manifest.json").read_text(encoding="utf-8"))
    manifest["format_version"] = 1  # an index written before the bigram field existed
    manifest["files"] = {k: v for k, v in manifest["files"].items() if not k.startswith("bm25-ngrams/")}
    (build / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    assert FORMAT_VERSION >= 2
    with pytest.raises(StaleIndexError, match="index format 1"):
        load_index(index_dir)
    with pytest.raises(StaleIndexError):
        _load(corpus, index_dir, rebuild=False)
    a = _load(corpus, index_dir)  # rebuilt in the current format
    assert a.index.manifest.format_version == FORMAT_VERSION and a.index.ngram_vocab


def test_missing_ngram_field_is_corrupt(corpus: Path, tmp_path: Path):
    index_dir = tmp_path / "index"
    _load(corpus, index_dir)
    shutil.rmtree(live_build(index_dir) / "bm25-ngrams")
    with pytest.raises(CorruptIndexError):
        load_index(index_dir)


def test_vectors_are_kept_once_inside_faiss(corpus: Path, tmp_path: Path):
    """index.embeddings is a view of FAISS's own storage (no second copy in memory or on disk), for
    flat and HNSW indexes, built or loaded; it survives the index object and cannot be written."""
    import faiss

    from qa.index import faiss_vectors, make_faiss

    a = _load(corpus, tmp_path / "index")
    for index in (a.index, load_index(tmp_path / "index")):
        emb = index.embeddings
        flat = index.dense
        stored = faiss.rev_swig_ptr(flat.get_xb(), flat.ntotal * flat.d)
        assert np.shares_memory(emb, stored)
        assert not emb.flags.writeable
        assert np.array_equal(emb, flat.reconstruct_n(0, flat.ntotal))
    assert not (live_build(tmp_path / "index") / "embeddings.npy").exists()
    x = np.random.default_rng(0).standard_normal((300, 16)).astype(np.float32)
    hnsw, kind = make_faiss(x, ann_threshold=100)
    assert kind == "hnsw"
    view = faiss_vectors(hnsw)  # HNSW stores fp16: the view is of those codes
    codes = faiss.downcast_index(hnsw.storage).codes
    assert view.dtype == np.float16 and np.shares_memory(view, faiss.rev_swig_ptr(codes.data(), codes.size()))
    del hnsw
    assert np.array_equal(view, x.astype(np.float16))  # the view keeps its index alive
    assert np.array_equal(view[5:7], x[5:7].astype(np.float16))


def test_hnsw_fp16_finds_what_exact_search_finds(corpus: Path, tmp_path: Path):
    """On the real FAISS, the fp16 HNSW index returns the exact top 10 of every gold-like question
    that flat float32 search returns, saved and loaded (memory-mapped) or not."""
    import qa.index as qi

    docs, _ = load_corpus(corpus)
    model = FakeEmbedder()
    flat = build_index(docs, model)
    hnsw = build_index(docs, model, ann_threshold=10)
    assert hnsw.manifest.faiss_kind == "hnsw" and flat.manifest.faiss_kind == "flat"
    save_index(hnsw, tmp_path / "index")
    saved = qi.MMAP_ABOVE
    try:
        qi.MMAP_ABOVE = 0  # memory-map even this small file
        loaded = load_index(tmp_path / "index")
    finally:
        qi.MMAP_ABOVE = saved
    q = model.encode_queries(QUESTIONS)
    _, truth = flat.dense.search(q, 10)
    for index in (hnsw, loaded):
        _, rows = index.dense.search(q, 10)
        assert np.array_equal(rows, truth)
    assert np.array_equal(loaded.embeddings, hnsw.embeddings)


def test_loaded_index_reads_rows_from_its_files(corpus: Path, tmp_path: Path):
    """The chunk table's rows and BM25's postings are read from the build's files when asked for,
    not copied into memory at load."""
    from qa.chunk_table import ChunkTable, FileArray

    _load(corpus, tmp_path / "index")
    index = load_index(tmp_path / "index")
    assert isinstance(index.chunks, ChunkTable)
    assert all(isinstance(a, FileArray) for a in index.chunks.arrays.values())
    assert isinstance(index.bm25.scores["indices"], FileArray) and isinstance(index.ngrams.scores["data"], FileArray)
    expected = {c.period.year for c in index.chunks if c.period} | {d.year for d in index.documents.values() if d.year}
    assert index.known_years == expected and 2023 in expected  # read from the period column


def test_large_index_keeps_bm25_scores_in_fp16(corpus: Path, tmp_path: Path):
    """Past the ANN threshold both BM25 fields store fp16 scores (a quarter less memory), saved and
    loaded as such, and rank the real corpus's chunks as float32 does; small indexes keep float32."""
    from qa.query import tokenize
    from qa.retrieval import ngram_candidates, top_k

    docs, _ = load_corpus(corpus)
    exact = build_index(docs, FakeEmbedder())
    assert exact.bm25.scores["data"].dtype == np.float32
    compact = build_index(docs, FakeEmbedder(), ann_threshold=10)
    save_index(compact, tmp_path / "index")
    loaded = load_index(tmp_path / "index")
    for index in (compact, loaded):
        assert index.bm25.scores["data"].dtype == np.float16 and index.ngrams.scores["data"].dtype == np.float16
    overlaps = []
    for q in QUESTIONS:
        known = [t for t in tokenize(q) if t in exact.vocab]
        a = [r for r, _ in top_k(exact.bm25, known, exact.size, 10)]
        b = [r for r, _ in top_k(loaded.bm25, known, loaded.size, 10)]
        c = [r for r, _ in ngram_candidates(exact, q, 10)]
        d = [r for r, _ in ngram_candidates(loaded, q, 10)]
        assert a[:1] == b[:1] and c[:1] == d[:1]
        overlaps += [len(set(a) & set(b)) / max(len(a), 1), len(set(c) & set(d)) / max(len(c), 1)]
    assert min(overlaps) >= 0.8 and sum(overlaps) / len(overlaps) >= 0.95

"""Build, save and load the search index: FAISS for meaning, BM25 for words and for character
bigrams, and the chunk table (qa.chunk_table: columns memory-mapped from .npy files).

On disk an index is a folder of builds plus a CURRENT file naming the live one. A build is
written to a fresh folder, checked, and only then made live by atomically replacing CURRENT, so a
build that dies halfway leaves the old index loadable. The manifest records what the index was
built from (documents, model, chunking, format) so that a stale index is noticed, not searched.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import time
import uuid
from dataclasses import asdict, dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, Callable, Iterable, Protocol, Sequence

import numpy as np

from .chunk_table import ChunkTable, FileArray, TableError, blocks
from .chunking import chunk_document, indexable_text
from .errors import CorruptIndexError, StaleIndexError
from .ingest import parse_document
from .ngrams import char_ngrams
from .tokens import tokenize
from .types import Chunk, Document, Figure, Period

# 2: the character-bigram BM25 field; 3: figures carry indicator, aspect, scope; 4: vectors only in FAISS;
# 5: the chunk table as record arrays read per row (chunks/*.npy, was chunks.jsonl); HNSW vectors and, past the
#    ANN threshold, BM25 scores stored in fp16
FORMAT_VERSION = 5
# the code that decides chunk texts, figures and BM25 tokens: when it changes, the index is stale
PIPELINE_MODULES = ("ingest.py", "chunking.py", "figures.py", "tokens.py", "ngrams.py", "resolve.py", "indicators.py",
                    "data/indicators.json", "types.py", "profile.py", "places.py", "data/areas.json")
CURRENT = "CURRENT"
# the vectors live once, inside dense.faiss (builds before this wrote a copy to embeddings.npy, now ignored)
FILES = ("manifest.json", "documents.jsonl", "chunks", "dense.faiss", "bm25", "bm25-ngrams")
HNSW_EF_SEARCH = 256  # recall@10 0.99 at 1M chunks in ~2.4 ms (qa bench)
HNSW_M = 32
MMAP_ABOVE = 64 * 2**20  # FAISS files larger than this are memory-mapped, not read, when loaded
HASH_LIMIT = 256 * 2**20  # verify checksums of builds up to this size; larger ones by size only


class Embedder(Protocol):
    """What the index needs of a model (qa.embedding.Embedder satisfies it)."""

    @property
    def info(self) -> Any: ...

    def encode_documents(self, texts: list[str], batch_size: int = 32, show_progress: bool = False) -> np.ndarray: ...

    def encode_queries(self, texts: list[str]) -> np.ndarray: ...


@dataclass(frozen=True)
class Manifest:
    format_version: int
    model_name: str
    model_fingerprint: str
    dim: int
    chunk_min: int
    chunk_max: int
    documents: dict[str, str]  # id -> sha256 of its text
    n_chunks: int
    faiss_kind: str  # flat | hnsw
    created: float
    pipeline: str = ""  # fingerprint of PIPELINE_MODULES' source
    files: dict[str, list] = field(default_factory=dict)  # name -> [size, sha256]
    encoder: str = "torch"  # what computed the vectors (ModelInfo.encoder); queries must use the same

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Manifest:
        return cls(**{k: data[k] for k in cls.__dataclass_fields__ if k in data})


@dataclass(frozen=True)
class Index:
    manifest: Manifest
    documents: dict[str, Document]
    chunks: Sequence[Chunk]  # a ChunkTable: rows become Chunk records when read
    embeddings: np.ndarray  # read-only view of the vectors inside `dense` (faiss_vectors; fp16 under HNSW), not a copy
    dense: Any  # faiss.Index
    bm25: Any  # bm25s.BM25
    vocab: frozenset[str]
    # BM25 over character bigrams (qa.ngrams), so a word inside a compound still matches
    ngrams: Any = None  # bm25s.BM25
    ngram_vocab: frozenset[str] = frozenset()

    @property
    def size(self) -> int:
        return len(self.chunks)

    @cached_property
    def known_years(self) -> frozenset[int]:
        """Years the corpus speaks of (its periods and report years), for the unknown-year rule."""
        if isinstance(self.chunks, ChunkTable):
            years = set(self.chunks.years())
        else:
            years = {c.period.year for c in self.chunks if c.period}
        return frozenset(years | {d.year for d in self.documents.values() if d.year})

    @cached_property
    def indicators_given(self) -> frozenset[str]:
        """Indicators some figure of the corpus is tied to (第一、第三产业增加值分别增长3.1%…: 第一产业增加值),
        for the never-named-indicator rule: a report names an indicator in more ways than its forms."""
        if isinstance(self.chunks, ChunkTable):
            return self.chunks.indicators()
        return frozenset(f.indicator for c in self.chunks for f in c.figures if f.indicator)

    @cached_property
    def _all_text(self) -> str:
        return "\n".join(d.text for d in self.documents.values()).lower()

    def says(self, text: str) -> bool:
        """Does any document contain `text` (case-insensitive)? The rules of abstention ask it."""
        return bool(text) and text.lower() in self._all_text


# --- building (pure apart from the model) -------------------------------------------------------


def pipeline_fingerprint() -> str:
    h = hashlib.sha256()
    here = Path(__file__).resolve().parent
    for name in PIPELINE_MODULES:
        p = here / name
        h.update(name.encode() + (p.read_bytes() if p.exists() else b""))
    return h.hexdigest()[:16]


def text_key(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


def make_faiss(embeddings: np.ndarray, ann_threshold: int) -> tuple[Any, str]:
    """Exact inner-product search while small; HNSW above `ann_threshold` chunks (see `qa bench`),
    its vectors stored in fp16: half the memory (0.77 GB less at 1M chunks) at the same recall@10
    (`qa bench --scale`), since the graph search, not the distance precision, limits it."""
    import faiss

    dim = embeddings.shape[1]
    if len(embeddings) > ann_threshold:
        index = faiss.IndexHNSWSQ(dim, faiss.ScalarQuantizer.QT_fp16, HNSW_M, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = 80
        index.hnsw.efSearch = HNSW_EF_SEARCH
        kind = "hnsw"
    else:
        index = faiss.IndexFlatIP(dim)
        kind = "flat"
    if len(embeddings):
        index.add(np.ascontiguousarray(embeddings, dtype=np.float32))
    return index, kind


class _FaissVectors(np.ndarray):
    """A numpy view of a FAISS index's own vector storage that keeps that index alive."""

    owner: Any = None

    def __array_finalize__(self, obj: Any) -> None:
        self.owner = getattr(obj, "owner", None)


def faiss_vectors(dense: Any) -> np.ndarray:
    """The (n, dim) vectors stored in a flat, HNSW-flat (float32) or HNSW-fp16 (float16) index, as
    a read-only view.

    At 1M chunks the vectors are 0.77 GB in fp16; a second copy beside FAISS's (what the index used
    to keep) was a quarter of the memory. Other index types get a reconstructed float32 copy.
    """
    import faiss

    flat = faiss.downcast_index(dense.storage) if hasattr(dense, "storage") else dense
    n, d = int(dense.ntotal), int(dense.d)
    if n == 0:
        return np.zeros((0, d), dtype=np.float32)
    raw = None
    if isinstance(flat, faiss.IndexFlat) and int(flat.ntotal) == n:
        raw = faiss.rev_swig_ptr(flat.get_xb(), n * d).reshape(n, d)
    elif (isinstance(flat, faiss.IndexScalarQuantizer) and flat.sq.qtype == faiss.ScalarQuantizer.QT_fp16
          and int(flat.ntotal) == n and flat.code_size == 2 * d):
        raw = faiss.rev_swig_ptr(flat.codes.data(), n * 2 * d).view(np.float16).reshape(n, d)
    if raw is not None:
        view = raw.view(_FaissVectors)
        view.owner = dense
    else:
        view = dense.reconstruct_n(0, n).view(_FaissVectors)
    view.flags.writeable = False
    return view


def make_bm25(token_lists: list[list[str]], compact: bool = False) -> Any:
    """bm25s over the token lists. `compact` stores each posting's score in fp16 (6 bytes a posting,
    not 8: 0.38 GB less for both fields at 1M chunks); above the ANN threshold, where the dense
    side is approximate too. Small corpora keep float32 and rank exactly as before."""
    import bm25s

    bm25 = bm25s.BM25(k1=1.2, b=0.75)
    bm25.index([t if t else [""] for t in token_lists], show_progress=False)
    if compact:
        bm25.scores["data"] = np.asarray(bm25.scores["data"], dtype=np.float16)
    return bm25


def build_index(
    documents: Sequence[Document],
    model: Embedder,
    chunk_min: int = 60,
    chunk_max: int = 200,
    ann_threshold: int = 20_000,
    previous: Index | None = None,
    progress: bool = False,
    on_progress: Callable[[int, int], None] | None = None,
    chunks: Sequence[Chunk] | None = None,
    encode: Callable[[list[str]], np.ndarray] | None = None,
) -> Index:
    """Chunk, embed and index `documents`. Embeddings of chunks whose text is unchanged since
    `previous` (same model) are reused, so editing one document re-embeds only its changes.
    `chunks` (already cut, in document order) and `encode` (all texts to embed at once) let
    qa.cluster do the two heavy steps on Ray and still assemble the index here, the same way."""
    if chunks is None:
        chunks = [c for d in documents for c in chunk_document(d, chunk_min, chunk_max)]
    texts = [indexable_text(c) for c in chunks]
    info = model.info
    reuse: dict[str, np.ndarray] = {}
    if (previous is not None and previous.manifest.model_fingerprint == info.fingerprint
            and previous.manifest.encoder == getattr(info, "encoder", "torch")):
        for c, row in zip(previous.chunks, previous.embeddings):
            reuse[text_key(indexable_text(c))] = row
    keys = [text_key(t) for t in texts]
    todo = [i for i, k in enumerate(keys) if k not in reuse]
    embeddings = np.zeros((len(chunks), info.dim), dtype=np.float32)
    for i, k in enumerate(keys):
        if k in reuse:
            embeddings[i] = reuse[k]
    if encode is not None and todo:
        embeddings[todo] = encode([texts[i] for i in todo])
        todo = []
    batch = 32
    for b in range(0, len(todo), batch):
        ids = todo[b : b + batch]
        embeddings[ids] = model.encode_documents([texts[i] for i in ids], batch_size=batch)
        if on_progress:
            on_progress(min(b + batch, len(todo)), len(todo))
        if progress:
            _print_progress(min(b + batch, len(todo)), len(todo))
    dense, kind = make_faiss(embeddings, ann_threshold)
    del reuse
    embeddings = faiss_vectors(dense)  # the built array is freed: FAISS holds the only copy
    compact = len(texts) > ann_threshold  # as FAISS turns approximate (HNSW, fp16)
    bm25 = make_bm25([tokenize(t) for t in texts], compact)
    ngrams = make_bm25([char_ngrams(t) for t in texts], compact)
    manifest = Manifest(
        FORMAT_VERSION, info.name, info.fingerprint, info.dim, chunk_min, chunk_max,
        {d.id: d.sha256 for d in documents}, len(chunks), kind, time.time(), pipeline_fingerprint(),
        encoder=getattr(info, "encoder", "torch"),
    )
    vocab = frozenset(bm25.vocab_dict) if hasattr(bm25, "vocab_dict") else frozenset()
    by_id = {d.id: d for d in documents}
    return Index(manifest, by_id, ChunkTable.from_chunks(chunks, by_id), embeddings, dense, bm25, vocab,
                 ngrams=ngrams, ngram_vocab=frozenset(ngrams.vocab_dict))


def _print_progress(done: int, total: int) -> None:
    width = 30
    filled = int(width * done / max(total, 1))
    print(f"\r嵌入 embedding [{'#' * filled}{'.' * (width - filled)}] {done}/{total}", end="", flush=True)
    if done >= total:
        print(flush=True)


def stale_reasons(manifest: Manifest, documents: Iterable[Document], model_fingerprint: str | None,
                  chunk_min: int, chunk_max: int, encoder: str | None = None) -> list[str]:
    """Why an index no longer matches the corpus, model or settings (empty when it does)."""
    reasons = []
    if manifest.format_version != FORMAT_VERSION:
        reasons.append(f"index format {manifest.format_version}, this version reads {FORMAT_VERSION}")
    current = {d.id: d.sha256 for d in documents}
    for doc_id in sorted(current.keys() - manifest.documents.keys()):
        reasons.append(f"document added: {doc_id}")
    for doc_id in sorted(manifest.documents.keys() - current.keys()):
        reasons.append(f"document removed: {doc_id}")
    for doc_id in sorted(current.keys() & manifest.documents.keys()):
        if current[doc_id] != manifest.documents[doc_id]:
            reasons.append(f"document changed: {doc_id}")
    if model_fingerprint is not None and model_fingerprint != manifest.model_fingerprint:
        reasons.append(f"model changed: index built with {manifest.model_name}")
    elif encoder is not None and encoder != manifest.encoder:
        reasons.append(f"encoder changed: index built with {manifest.encoder}, queries encoded with {encoder}")
    if manifest.pipeline != pipeline_fingerprint():
        reasons.append("parsing, chunking or figure code changed since the index was built")
    if (chunk_min, chunk_max) != (manifest.chunk_min, manifest.chunk_max):
        reasons.append(f"chunk size changed: {manifest.chunk_min}-{manifest.chunk_max} -> {chunk_min}-{chunk_max}")
    return reasons


def check_fresh(index: Index, documents: Iterable[Document], model_fingerprint: str | None, chunk_min: int,
                chunk_max: int) -> None:
    reasons = stale_reasons(index.manifest, documents, model_fingerprint, chunk_min, chunk_max)
    if reasons:
        raise StaleIndexError(reasons)


# --- one chunk as JSON (`qa chunks`; the index stores columns, qa.chunk_table) -------------------


def _period_json(p: Period | None) -> dict | None:
    if p is None:
        return None
    return {"year": p.year, "kind": p.kind} | ({"first": p.first} if p.first is not None else {})


def chunk_to_json(c: Chunk) -> dict[str, Any]:
    d = asdict(c)
    d["path"] = list(c.path)
    d["period"] = _period_json(c.period)
    d["figures"] = [{**asdict(f), "period": _period_json(f.period)} for f in c.figures]
    return d


def chunk_from_json(d: dict[str, Any], memo: dict | None = None) -> Chunk:
    """A chunk from its JSON row. With a memo shared across rows, equal values (document ids,
    heading paths, periods, units, kinds, subjects) become one object: at 1M chunks this halves
    the chunk table's memory."""
    if memo is None:
        memo = {}
    same = memo.setdefault
    period = _period_of(d["period"], memo)
    figures = tuple(
        Figure(**{**f, "period": _period_of(f["period"], memo),
                  **{k: same(f[k], f[k]) for k in _SHARED_FIGURE_FIELDS if isinstance(f.get(k), str)}})
        for f in d["figures"])
    path = tuple(same(p, p) for p in d["path"])
    ids = {k: same(d[k], d[k]) for k in ("id", "prev", "next") if isinstance(d.get(k), str)}  # a neighbour's id
    return Chunk(**{**d, **ids, "doc": same(d["doc"], d["doc"]), "path": same(path, path), "period": period,
                    "figures": figures, "topic": same(d.get("topic", ""), d.get("topic", ""))})


_SHARED_FIGURE_FIELDS = ("unit", "kind", "subject", "qualifier", "base_unit", "doc", "section")


def _period_of(value: Any, memo: dict) -> Period | None:
    if value is None:
        return None
    key = (("period", value["year"], value["kind"], value.get("first")) if isinstance(value, dict)
           else ("period", str(value)))
    if key not in memo:
        memo[key] = Period.parse(value)
    return memo[key]


# --- saving and loading (I/O) ------------------------------------------------------------------


def _sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _file_entries(folder: Path) -> dict[str, list]:
    out = {}
    for p in sorted(folder.rglob("*")):
        if p.is_file() and p.name != "manifest.json":
            out[str(p.relative_to(folder))] = [p.stat().st_size, _sha256_file(p)]
    return out


def _fsync_tree(folder: Path) -> None:
    for p in folder.rglob("*"):
        if p.is_file():
            with open(p, "rb") as f:
                os.fsync(f.fileno())


def write_build(index: Index, folder: Path) -> None:
    """Write every file of `index` into `folder` (a fresh folder no reader looks at yet)."""
    import faiss

    folder.mkdir(parents=True)
    with open(folder / "documents.jsonl", "w", encoding="utf-8") as f:
        for d in index.documents.values():
            f.write(json.dumps({"id": d.id, "path": d.path, "sha256": d.sha256, "text": d.text}, ensure_ascii=False) + "\n")
    ChunkTable.from_chunks(index.chunks, index.documents).save(folder / "chunks")
    faiss.write_index(index.dense, str(folder / "dense.faiss"))
    index.bm25.save(str(folder / "bm25"), show_progress=False)
    index.ngrams.save(str(folder / "bm25-ngrams"), show_progress=False)
    manifest = asdict(index.manifest)
    manifest["files"] = _file_entries(folder)
    (folder / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")
    _fsync_tree(folder)


def save_index(index: Index, index_dir: str | Path) -> Path:
    """Write a new build beside the live one, then switch CURRENT to it in one atomic rename."""
    root = Path(index_dir)
    root.mkdir(parents=True, exist_ok=True)
    name = f"build-{time.strftime('%Y%m%d-%H%M%S')}-{uuid.uuid4().hex[:8]}"
    tmp = root / f".tmp-{name}"
    pointer = root / f".{CURRENT}.{uuid.uuid4().hex[:8]}"
    try:
        write_build(index, tmp)
        os.rename(tmp, root / name)
        pointer.write_text(name + "\n", encoding="utf-8")
        with open(pointer, "rb") as f:
            os.fsync(f.fileno())
        os.replace(pointer, root / CURRENT)  # the atomic switch
    except BaseException:
        # nothing names the new build yet: remove it wherever it got to (disk full, read-only folder)
        shutil.rmtree(tmp, ignore_errors=True)
        shutil.rmtree(root / name, ignore_errors=True)
        try:
            pointer.unlink(missing_ok=True)
        except OSError:
            pass
        raise
    _remove_old_builds(root, keep=name)
    return root / name


def _remove_old_builds(root: Path, keep: str) -> None:
    for p in root.iterdir():
        if p.name != keep and (p.name.startswith("build-") or p.name.startswith(".tmp-") or p.name.startswith(f".{CURRENT}.")):
            if p.is_dir():
                shutil.rmtree(p, ignore_errors=True)
            else:
                p.unlink(missing_ok=True)


def live_build(index_dir: str | Path) -> Path | None:
    root = Path(index_dir)
    pointer = root / CURRENT
    if not pointer.is_file():
        return None
    try:
        name = pointer.read_text(encoding="utf-8").strip()
    except (OSError, ValueError) as e:
        raise CorruptIndexError(str(pointer), f"unreadable CURRENT file ({e})") from e
    if not name or name in (".", "..") or Path(name).name != name or "\\" in name or "\x00" in name:
        raise CorruptIndexError(str(pointer), f"CURRENT does not name a build folder: {name[:80]!r}")
    return root / name


def read_manifest(index_dir: str | Path) -> Manifest:
    build = live_build(index_dir)
    if build is None:
        raise CorruptIndexError(str(index_dir), "no index here (no CURRENT file); run `qa build`")
    path = build / "manifest.json"
    try:
        manifest = Manifest.from_json(json.loads(path.read_text(encoding="utf-8")))
        _check_manifest(manifest)
        return manifest
    except (OSError, ValueError, TypeError, KeyError, AttributeError) as e:
        raise CorruptIndexError(str(path), f"unreadable manifest ({e})") from e


def _check_manifest(m: Manifest) -> None:
    """Raise TypeError unless every field has the type the loader relies on."""
    ints = (m.format_version, m.dim, m.chunk_min, m.chunk_max, m.n_chunks)
    strs = (m.model_name, m.model_fingerprint, m.faiss_kind, m.pipeline, m.encoder)
    if (not all(isinstance(x, int) and not isinstance(x, bool) for x in ints)
            or not all(isinstance(x, str) for x in strs) or not isinstance(m.created, (int, float))
            or not isinstance(m.documents, dict)
            or not all(isinstance(k, str) and isinstance(v, str) for k, v in m.documents.items())
            or not isinstance(m.files, dict)
            or not all(isinstance(k, str) and isinstance(v, list) and len(v) == 2 and isinstance(v[0], int)
                       and isinstance(v[1], str) for k, v in m.files.items())):
        raise TypeError("manifest fields of the wrong type")


def _check_bm25(bm25: Any, n_chunks: int) -> None:
    """Raise ValueError where the BM25 tables disagree with each other or with the chunk table.
    The postings are read block by block from the file (qa.chunk_table.blocks), so checking them
    leaves none of the memory-mapped arrays resident."""
    s = bm25.scores
    indptr, indices, data = s["indptr"], s["indices"], s["data"]
    bad = (int(s["num_docs"]) != n_chunks or indptr.ndim != 1 or len(indptr) == 0 or indptr[0] != 0
           or np.any(np.diff(np.asarray(indptr)) < 0) or indptr[-1] != len(indices) or len(indices) != len(data)
           or max(bm25.vocab_dict.values(), default=-1) >= len(indptr)
           or indices.dtype.kind not in "iu" or data.dtype.kind != "f")
    if not bad:
        for b in blocks(indices):
            if len(b) and (b.min() < 0 or b.max() >= n_chunks):
                bad = True
                break
    if bad:
        raise ValueError("BM25 tables disagree with each other or with the chunk table")
    if bm25.vocab_dict:
        bm25.get_scores(list(bm25.vocab_dict)[:3])  # its parameters (dtype, method) work


def _read_postings(bm25: Any, n_chunks: int) -> Any:
    """A loaded (memory-mapped) bm25s index, checked, whose postings are then read with pread per
    query term (FileArray: what a search reads does not stay resident); its term offsets in RAM."""
    _check_bm25(bm25, n_chunks)
    s = bm25.scores
    s["indptr"] = np.array(s["indptr"])
    for name in ("indices", "data"):
        if isinstance(s[name], np.memmap):
            s[name] = FileArray.of(s[name])
    return bm25


def read_faiss(path: Path) -> Any:
    """A saved FAISS index; a large one memory-mapped (its vectors are read from the page cache
    as searches reach them, so loading takes seconds, not the time to read a gigabyte)."""
    import faiss

    flags = faiss.IO_FLAG_MMAP_IFC if path.stat().st_size > MMAP_ABOVE else 0
    return faiss.read_index(str(path), flags)


def load_index(index_dir: str | Path, verify: bool = True) -> Index:
    """Load the live build, checking every file against the manifest's sizes and checksums. The
    chunk table's rows and BM25's postings are read from their files as searches ask for them
    (qa.chunk_table.FileArray), large FAISS files are memory-mapped: loading takes seconds and the
    process keeps resident little beyond FAISS and the model."""
    import bm25s

    manifest = read_manifest(index_dir)
    build = live_build(index_dir)
    assert build is not None
    if manifest.format_version != FORMAT_VERSION:
        raise StaleIndexError([f"index format {manifest.format_version}, this version reads {FORMAT_VERSION}"])
    if verify:
        unlisted = [f for f in FILES[1:]
                    if f not in manifest.files and not any(k.startswith(f + "/") for k in manifest.files)]
        if unlisted:
            raise CorruptIndexError(str(build / "manifest.json"), f"no checksum for {', '.join(unlisted)}")
        total = sum(size for size, _ in manifest.files.values())
        for rel, (size, sha) in manifest.files.items():
            p = build / rel
            if not p.is_file() or p.stat().st_size != size:
                raise CorruptIndexError(str(p), "missing or truncated file")
            if total <= HASH_LIMIT and _sha256_file(p) != sha:
                raise CorruptIndexError(str(p), "checksum mismatch")
    try:
        documents = {}
        with open(build / "documents.jsonl", encoding="utf-8") as f:
            for line in f:
                d = json.loads(line)
                documents[d["id"]] = parse_document(d["id"], d["text"], d["path"])
        chunks = ChunkTable.load(build / "chunks", documents)
        dense = read_faiss(build / "dense.faiss")
        embeddings = faiss_vectors(dense)
        bm25 = _read_postings(bm25s.BM25.load(str(build / "bm25"), show_progress=False, mmap=True), len(chunks))
        ngrams = _read_postings(bm25s.BM25.load(str(build / "bm25-ngrams"), show_progress=False, mmap=True),
                                len(chunks))
    except TableError as e:
        raise CorruptIndexError(str(build / "chunks"), f"damaged chunk table ({e})") from e
    except Exception as e:  # whatever a damaged file makes a parser raise (large builds are checked by size only)
        raise CorruptIndexError(str(build), f"cannot read index files ({type(e).__name__}: {e})") from e
    if len(chunks) != manifest.n_chunks or dense.ntotal != len(chunks) or len(embeddings) != len(chunks):
        raise CorruptIndexError(str(build), "chunk table, embeddings and FAISS index disagree in size")
    if dense.d != manifest.dim or embeddings.ndim != 2 or embeddings.shape[1] != manifest.dim:
        raise CorruptIndexError(str(build), "embeddings or FAISS index of another dimension than the manifest's")
    return Index(manifest, documents, chunks, embeddings, dense, bm25, frozenset(bm25.vocab_dict),
                 ngrams=ngrams, ngram_vocab=frozenset(ngrams.vocab_dict))

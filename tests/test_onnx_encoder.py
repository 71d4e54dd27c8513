"""The ONNX Runtime encoders against the sentence-transformers/torch model they were exported from,
on the real model: the same tokens, the same vectors (fp32: cosine >= 0.999 on every gold question
and every chunk), int8 close; the export cached and checksummed; no torch on the query path; and an
index built by one encoder noticed when queried by another.

The exports go to the user's model cache (as the product's), made once there (~30 s each).
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from qa.chunking import chunk_document, indexable_text
from qa.config import Settings
from qa.embedding import load_encoder, load_model
from qa.errors import ModelError, StaleIndexError
from qa.ingest import load_corpus
from qa.onnx_encoder import (GRAPH, LAYOUT, STAMP, WEIGHTS, OnnxEmbedder, default_export_dir, encoder_id,
                             load_onnx_model, verify_export)

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
GOLD = ROOT / "corpus" / "gold" / "donghu-2024-work-report.jsonl"


@pytest.fixture(scope="module")
def torch_model():
    return load_model()


@pytest.fixture(scope="module", params=["onnx", "onnx-int8"])
def onnx_model(request):
    return load_encoder(encoder=request.param)


@pytest.fixture(scope="module")
def texts() -> dict[str, list[str]]:
    """Every gold question (as strings only) and every chunk's indexed text."""
    questions = [json.loads(line)["question"] for line in GOLD.read_text(encoding="utf-8").splitlines() if line.strip()]
    docs, _ = load_corpus(ROOT / "corpus")
    chunks = [indexable_text(c) for d in docs for c in chunk_document(d, 60, 200)]
    return {"questions": questions, "chunks": chunks}


@pytest.fixture(scope="module")
def torch_vectors(torch_model, texts) -> dict[str, np.ndarray]:
    """torch's vectors of the texts, computed once for both ONNX encoders."""
    return {"questions": torch_model.encode_queries(texts["questions"]),
            "chunks": torch_model.encode_documents(texts["chunks"])}


def test_tokens_equal_sentence_transformers(torch_model, onnx_model, texts):
    """Prompt, normalisation and truncation as sentence-transformers does them (odd spacing,
    full-width forms, emoji and a text past 512 tokens included)."""
    odd = ["   多个   空格   和\t制表符\n换行   ", "Ｆｕｌｌｗｉｄｔｈ　ｔｅｘｔ：１２３４５！", "emoji 🚀 and 中文", "光" * 900]
    st = torch_model.st
    for text in texts["questions"][:40] + texts["chunks"][:20] + odd:
        for prompt in (onnx_model.config.query_prompt, onnx_model.config.document_prompt):
            theirs = st.preprocess([text], prompt=prompt)["input_ids"][0].tolist()
            ours = onnx_model.tokenizer.encode(prompt + text).ids
            assert ours == theirs, text[:40]


def test_vectors_agree_with_torch(torch_vectors, onnx_model, texts):
    """fp32: cosine >= 0.999 on every question and chunk. int8: >= 0.99 (its retrieval is checked
    with `qa eval`: README, Benchmarks)."""
    bar = 0.999 if onnx_model.config.encoder == "onnx" else 0.99
    for kind, rows in texts.items():
        theirs = torch_vectors[kind]
        ours = onnx_model.encode_queries(rows) if kind == "questions" else onnx_model.encode_documents(rows)
        assert ours.shape == theirs.shape and ours.dtype == np.float32
        assert np.allclose(np.linalg.norm(ours, axis=1), 1, atol=1e-4)
        cosine = (ours * theirs).sum(axis=1)
        print(f"\n[onnx] {onnx_model.config.encoder} {kind}: cosine min {cosine.min():.5f} mean {cosine.mean():.5f}")
        assert cosine.min() >= bar, [(t[:30], round(float(c), 4)) for t, c in zip(rows, cosine) if c < bar][:5]


def test_batches_equal_single_texts(onnx_model, texts):
    """Padding inside a batch changes nothing: a text embeds the same alone and among longer ones."""
    rows = texts["chunks"][:40]
    together = onnx_model.encode_documents(rows, batch_size=16)
    alone = np.stack([onnx_model.encode_documents([r])[0] for r in rows[:8]])
    assert np.allclose(together[:8], alone, atol=1e-5)
    assert onnx_model.encode_queries([]).shape == (0, onnx_model.info.dim)
    assert np.array_equal(onnx_model.encode_queries("光谷"), onnx_model.encode_queries(["光谷"]))


def test_identity_names_the_encoder(torch_model, onnx_model):
    assert onnx_model.info.fingerprint == torch_model.info.fingerprint  # same weights exported
    assert onnx_model.info.encoder == encoder_id(onnx_model.config.encoder) != torch_model.info.encoder == "torch"
    with pytest.raises(ModelError):
        encoder_id("tensorrt")


def test_query_path_needs_no_torch(onnx_model):
    """A fresh process answering a query through the cached export imports neither torch nor
    sentence-transformers."""
    code = ("import sys; from qa.embedding import load_encoder\n"
            f"m = load_encoder(encoder={onnx_model.config.encoder!r}); m.encode_queries(['光谷'])\n"
            "print(sorted(k for k in ('torch', 'sentence_transformers', 'transformers') if k in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300, cwd=ROOT,
                         env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip().splitlines()[-1] == "[]"


def test_damaged_export_is_refused(onnx_model, tmp_path):
    """A truncated or altered file fails its checksum (the stat stamp never vouches for a changed file)."""
    if onnx_model.config.encoder != "onnx-int8":
        pytest.skip("one copy (the 120 MB int8 folder) is enough")
    folder = tmp_path / "export"
    shutil.copytree(onnx_model.folder, folder)
    (folder / STAMP).unlink(missing_ok=True)
    assert verify_export(folder) == onnx_model.config
    assert (folder / STAMP).is_file()  # stamped after a full check
    assert verify_export(folder) == onnx_model.config  # the fast path
    graph = folder / GRAPH
    data = bytearray(graph.read_bytes())
    data[len(data) // 2] ^= 0xFF  # same size, one byte changed
    graph.write_bytes(bytes(data))
    with pytest.raises(ModelError, match="checksum"):
        verify_export(folder)
    graph.write_bytes(bytes(data[: len(data) // 2]))
    with pytest.raises(ModelError, match="truncated"):
        verify_export(folder)
    assert OnnxEmbedder is not None
    shutil.rmtree(folder, ignore_errors=True)


def test_an_index_of_another_encoder_is_noticed(onnx_model, tmp_path):
    """Built with one encoder, opened with another: stale (rebuild=False refuses, naming both),
    rebuilt otherwise, and the manifest then names the new encoder."""
    from qa import Assistant

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    report = (ROOT / "corpus" / "donghu-2024-work-report.txt").read_text(encoding="utf-8")
    (corpus / "r.txt").write_text(report[:3000], encoding="utf-8")
    other = "onnx-int8" if onnx_model.config.encoder == "onnx" else "onnx"
    settings = Settings.from_env(corpus_dir=corpus, index_dir=tmp_path / "index")
    built = Assistant.load(settings=settings, model=load_encoder(encoder=other))
    assert built.index.manifest.encoder == encoder_id(other)
    with pytest.raises(StaleIndexError, match="encoder changed"):
        Assistant.load(settings=settings, model=onnx_model, rebuild=False)
    rebuilt = Assistant.load(settings=settings, model=onnx_model)
    assert rebuilt.index.manifest.encoder == onnx_model.info.encoder
    assert Assistant.load(settings=settings, model=onnx_model, rebuild=False).index.manifest.encoder == \
        onnx_model.info.encoder


def test_weights_beside_the_graph(onnx_model):
    """Layout 2: the graph file holds no weights (ONNX Runtime maps WEIGHTS instead of parsing and
    copying them), and the checksums cover both."""
    folder = onnx_model.folder
    assert LAYOUT == 2 and (folder / GRAPH).stat().st_size < 5_000_000 < (folder / WEIGHTS).stat().st_size
    manifest = json.loads((folder / "CHECKSUMS.json").read_text(encoding="utf-8"))
    assert manifest["layout"] == 2 and {GRAPH, WEIGHTS} <= manifest["files"].keys()


def test_a_single_file_export_is_moved_to_the_new_layout(onnx_model, tmp_path):
    """An export cached by the previous version (weights inside model.onnx) is rewritten beside
    itself without torch, and gives the same vectors; the old folder is left as it was."""
    if onnx_model.config.encoder != "onnx-int8":
        pytest.skip("one copy (the 120 MB int8 folder) is enough")
    import onnx

    new = default_export_dir(tmp_path, "onnx-int8")
    old = new.with_name(new.name.removesuffix("-l2"))
    old.mkdir(parents=True)
    graph = onnx.load(str(onnx_model.folder / GRAPH))  # weights pulled back inside the graph
    onnx.save_model(graph, str(old / GRAPH))
    for name in ("tokenizer.json", "encoder.json"):
        shutil.copyfile(onnx_model.folder / name, old / name)
    from qa.onnx_encoder import _write_manifest

    _write_manifest(old)
    manifest = json.loads((old / "CHECKSUMS.json").read_text(encoding="utf-8"))
    del manifest["layout"]  # as the previous version wrote it
    (old / "CHECKSUMS.json").write_text(json.dumps(manifest), encoding="utf-8")
    before = sorted(p.name for p in old.iterdir())
    before.insert(0, STAMP)  # stamped when it was checked
    moved = load_onnx_model(None, tmp_path, "onnx-int8")
    assert moved.folder == new and (new / WEIGHTS).is_file() and sorted(p.name for p in old.iterdir()) == before
    rows = ["今年光谷地区生产总值预期增长多少？", "GDP of Shenzhen", "光" * 700]
    assert np.array_equal(moved.encode_queries(rows), OnnxEmbedder(old, verify_export(old)).encode_queries(rows))

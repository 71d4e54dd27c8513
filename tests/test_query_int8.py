"""Encoder onnx-query-int8 (qa/query_int8.py) on the real model: questions close to fp32 on every
development gold question, documents exactly fp32, an fp32 index read as fresh on purpose while an
onnx-int8 or torch index is still noticed, the fp32 session left closed until a document needs it,
and the quantised copy cached and checksummed like any export."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from qa.batching import batcher_for
from qa.config import Settings
from qa.embedding import load_encoder
from qa.errors import StaleIndexError
from qa.onnx_encoder import GRAPH, encoder_id, verify_export
from qa.query_int8 import RECIPE, linear_matmuls, load_query_int8, query_dir

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
GOLD = ROOT / "corpus" / "gold"
# the development sets only (never the blind ones)
DEV = ("donghu-2024-work-report.jsonl", "donghu-2024-work-report.trustdev.jsonl",
       "donghu-2024-work-report.trustdev2.jsonl", "donghu-2024-work-report.colloquialdev.jsonl")


@pytest.fixture(scope="module")
def fp32():
    return load_encoder(encoder="onnx")


@pytest.fixture(scope="module")
def q8():
    return load_encoder(encoder="onnx-query-int8", threads=1)


@pytest.fixture(scope="module")
def questions() -> list[str]:
    return [json.loads(line)["question"] for name in DEV
            for line in (GOLD / name).read_text(encoding="utf-8").splitlines() if line.strip()]


def test_questions_agree_with_fp32(fp32, q8, questions):
    """Cosine to the fp32 vector on every development gold question (and the glossary-expanded text
    the dense side reads is no different in kind): min >= 0.99, mean >= 0.995 (measured 0.995 / 0.9975)."""
    assert len(questions) > 400
    cos = (q8.encode_queries(questions) * fp32.encode_queries(questions)).sum(1)
    assert cos.min() >= 0.99 and cos.mean() >= 0.995, (cos.min(), cos.mean())
    assert not np.allclose(cos, 1.0, atol=1e-5)  # it is the int8 copy that answered


def test_documents_are_fp32_and_opened_only_when_needed(fp32):
    model = load_query_int8(None, Settings.from_env().model_cache_dir, threads=1)
    model.encode_queries(["光谷"])
    assert model._documents is None  # a fresh index never opens the fp32 session
    chunks = ["东湖高新区地区生产总值增长8%。", "新增市场主体3.5万户", "光" * 600]
    assert np.array_equal(model.encode_documents(chunks), fp32.encode_documents(chunks))


def test_one_question_per_run(q8):
    """Per-run activation scales: a question's vector does not depend on what runs beside it, so the
    batcher runs one text per run."""
    assert q8.batch_invariant is False and batcher_for(q8, max_batch=8, lanes=2).max_batch == 1
    alone = q8.encode_queries(["今年光谷地区生产总值预期增长多少？"])[0]
    beside = q8.encode_queries(["今年光谷地区生产总值预期增长多少？", "光" * 300])[0]
    assert np.array_equal(alone, beside)


def test_the_linear_layers_are_quantised_and_the_attention_products_are_not(fp32, q8):
    import onnx

    graph = onnx.load(str(fp32.folder / GRAPH), load_external_data=False).graph
    linear = linear_matmuls(graph)
    # 12 layers x (query, key, value, attention output, intermediate, output)
    assert len(linear) == 72 and not any(n.endswith(("/self/MatMul", "/self/MatMul_1")) for n in linear)
    q8_nodes = onnx.load(str(q8.folder / GRAPH), load_external_data=False).graph.node
    left = [n.name for n in q8_nodes if n.op_type == "MatMul"]
    assert len(left) == 24 and all("/attention/self/MatMul" in n for n in left)  # scores and weighted values
    assert sum(n.op_type in ("MatMulInteger", "DynamicQuantizeMatMul") for n in q8_nodes) == 72
    assert q8.folder == query_dir(fp32.folder) and q8.folder.name.endswith(f"-query-int8-r{RECIPE}")
    assert verify_export(q8.folder).encoder == "onnx-query-int8"


def test_an_fp32_index_is_fresh_and_others_are_noticed(fp32, q8, tmp_path):
    """The index records the encoder of its vectors: fp32's for both. An onnx-int8 index is rebuilt."""
    from qa import Assistant

    assert encoder_id("onnx-query-int8") == encoder_id("onnx") == q8.info.encoder
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    report = (ROOT / "corpus" / "donghu-2024-work-report.txt").read_text(encoding="utf-8")
    (corpus / "r.txt").write_text(report[:3000], encoding="utf-8")
    settings = Settings.from_env(corpus_dir=corpus, index_dir=tmp_path / "index")
    built = Assistant.load(settings=settings, model=fp32)
    served = Assistant.load(settings=settings, model=q8, rebuild=False)  # no StaleIndexError
    assert served.index.manifest.created == built.index.manifest.created
    assert served.ask("地区生产总值增长多少？").passages
    other = tmp_path / "other"
    Assistant.load(settings=settings.with_(index_dir=other), model=load_encoder(encoder="onnx-int8"))
    with pytest.raises(StaleIndexError, match="encoder changed"):
        Assistant.load(settings=settings.with_(index_dir=other), model=q8, rebuild=False)


def test_a_damaged_copy_is_made_again(fp32, tmp_path):
    """The copy is checksummed: a truncated graph is discarded and quantised again from fp32."""
    cache = tmp_path / "cache"
    (cache / "models").mkdir(parents=True)
    (cache / "models" / fp32.folder.name).symlink_to(fp32.folder)  # the fp32 export itself, not a copy
    made = load_query_int8(None, cache, threads=1)
    good = made.encode_queries(["光谷"])
    with open(made.folder / GRAPH, "r+b") as f:
        f.truncate(1000)
    again = load_query_int8(None, cache, threads=1)
    assert np.array_equal(again.encode_queries(["光谷"]), good)

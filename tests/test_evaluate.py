"""Metric functions on hand-made rankings, then `qa eval` end to end on a small gold sample."""
from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest

from qa.evaluate import (
    GoldItem,
    Result,
    calibrate_threshold,
    evidence_spans,
    figure_correct,
    rank_metrics,
    relevant_chunks,
    summarize,
)
from qa.types import Chunk


def item(id: str, type: str = "figure", value: float | None = None, unit: str | None = None, split: str = "tune",
         evidence: tuple[str, ...] = ("x",)) -> GoldItem:
    return GoldItem(id, "q", type, "zh", evidence, "", value, unit, split, "doc")


def test_rank_metrics_on_known_rankings():
    qrels = {"a": {"c1": 1}, "b": {"c5": 1}, "c": {"c9": 1}, "d": {}}
    runs = {"a": ["c1", "c2", "c3"], "b": ["c2", "c3", "c5"], "c": ["c1", "c2", "c3", "c4", "c6", "c7"], "d": ["c1"]}
    m = rank_metrics(qrels, runs)
    assert set(m) == {"a", "b", "c"}  # a question with no relevant chunk is not ranked
    assert m["a"]["hit@1"] == 1 and m["a"]["mrr@10"] == 1 and m["a"]["ndcg@10"] == pytest.approx(1)
    assert m["b"]["hit@1"] == 0 and m["b"]["hit@3"] == 1 and m["b"]["mrr@10"] == pytest.approx(1 / 3)
    assert m["b"]["ndcg@10"] == pytest.approx(0.5)  # 1/log2(3+1)
    assert m["c"]["hit@5"] == 0 and m["c"]["mrr@10"] == 0


def test_mrr_is_cut_at_10():
    runs = {"a": [f"c{i}" for i in range(20)]}
    assert rank_metrics({"a": {"c12": 1}}, runs)["a"]["mrr@10"] == 0
    assert rank_metrics({"a": {"c9": 1}}, runs)["a"]["mrr@10"] == pytest.approx(0.1)


def test_two_relevant_chunks():
    m = rank_metrics({"a": {"c2": 1, "c3": 1}}, {"a": ["c1", "c2", "c3"]})["a"]
    assert m["hit@1"] == 0 and m["hit@3"] == 1 and m["mrr@10"] == pytest.approx(0.5)


def test_relevance_is_span_overlap():
    text = "甲乙丙。全年增长4.7%,总量达到2715亿元。丁戊。"
    cut = text.index("丁")
    chunks = [Chunk("d#0", "doc", 0, text[:4], 0, 4, (), None, 0), Chunk("d#1", "doc", 1, text[4:cut], 4, cut, (), None, 0),
              Chunk("d#2", "doc", 2, text[cut:], cut, len(text), (), None, 0)]
    it = item("a", evidence=("总量达到2715亿元",))
    assert evidence_spans(text, it.evidence) == [(text.index("总量"), text.index("总量") + len("总量达到2715亿元"))]
    assert relevant_chunks(chunks, text, it) == {"d#1"}
    straddle = item("b", evidence=("亿元。丁",))
    assert relevant_chunks(chunks, text, straddle) == {"d#1", "d#2"}


@pytest.mark.parametrize(
    "gold, got, ok",
    [
        ((2715, "亿元"), (2715.0, "亿元"), True),
        ((4.7, "%"), (4.7, "%"), True),
        ((0.25, ""), (0.25, ""), True),
        ((4, ""), (4.0, "名"), True),  # ranks: gold leaves the unit empty
        ((2715, "亿元"), (2715.0, "万元"), False),
        ((107, "个"), (176.0, "个"), False),
        ((107, "个"), None, False),
    ],
)
def test_figure_correct(gold, got, ok):
    assert figure_correct(item("a", value=gold[0], unit=gold[1]), got) is ok


@pytest.mark.parametrize("gold_doc, got_doc, ok", [("anhui", "anhui", True), ("anhui", "gansu", False),
                                                   ("anhui", "", True), ("", "gansu", True)])
def test_a_figure_of_another_report_is_wrong(gold_doc, got_doc, ok):
    from dataclasses import replace

    assert figure_correct(replace(item("a", value=5, unit="%"), doc=gold_doc), (5.0, "%"), got_doc) is ok


def test_summary_and_abstention():
    items = [item("a", value=1, unit="个"), item("b", type="none", evidence=()), item("c", type="fact")]
    results = {
        "a": Result("a", ("c1",), True, (1.0, "个"), 0.9, 10.0),
        "b": Result("b", ("c1",), False, None, 0.1, 20.0),
        "c": Result("c", ("c2",), False, None, 0.2, 30.0),
    }
    per_q = {"a": {"hit@1": 1, "hit@3": 1, "hit@5": 1, "mrr@10": 1, "ndcg@10": 1},
             "c": {"hit@1": 0, "hit@3": 1, "hit@5": 1, "mrr@10": 0.5, "ndcg@10": 0.6}}
    s = summarize(items, results, per_q)
    assert s["hit@1"] == 0.5 and s["mrr@10"] == 0.75
    assert s["figure@1"] == 1.0
    assert s["none_refused"] == 1.0 and s["wrongly_refused"] == 0.5
    assert s["p50_ms"] == 20.0


def test_calibrated_threshold_respects_the_budget():
    items = [item(f"a{i}", type="fact") for i in range(20)] + [item("n", type="none")]
    results = {f"a{i}": Result(f"a{i}", (), True, None, 0.1 + i * 0.04, 1.0) for i in range(20)}
    results["n"] = Result("n", (), True, None, 0.05, 1.0)
    t = calibrate_threshold(items, results, max_wrong=0.05)
    refused = sum(results[f"a{i}"].confidence < t for i in range(20))
    assert refused <= 1 and results["n"].confidence < t


def test_qa_eval_end_to_end_on_a_sample(real_assistant, tmp_path: Path, capsys):
    from qa.config import Settings
    from qa.evaluate import main

    gold = Path(__file__).resolve().parent.parent / "corpus" / "gold" / "donghu-2024-work-report.jsonl"
    sample = tmp_path / "donghu-2024-work-report.jsonl"
    lines = gold.read_text(encoding="utf-8").splitlines()
    sample.write_text("\n".join(lines[::16][:10]) + "\n", encoding="utf-8")
    settings = real_assistant.settings
    args = argparse.Namespace(gold=sample, mode="all", top_k=10, split="all", limit=None, out=tmp_path / "out",
                              tune=False, set=None)
    assert main(args, settings) == 0
    out = capsys.readouterr().out
    assert "| hybrid |" in out and "| baseline-bm25 |" in out
    report = json.loads((tmp_path / "out" / "report.json").read_text(encoding="utf-8"))
    assert report["tables"]["hybrid"]["all"]["n"] == 10
    assert (tmp_path / "out" / "report.png").stat().st_size > 10_000
    assert "# Evaluation" in (tmp_path / "out" / "report.md").read_text(encoding="utf-8")
    assert (tmp_path / "out" / "failures.jsonl").exists()

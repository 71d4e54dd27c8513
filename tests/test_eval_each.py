"""Each document alone: the document split, the one-report corpora, the precision of stated figures, the report."""
from __future__ import annotations

from pathlib import Path

from qa.eval_each import DocResult, alone, document_splits, figure_precision, write_report
from qa.evaluate import GoldItem, Result

ROOT = Path(__file__).resolve().parent.parent


def _item(i: str, value: float | None, doc: str = "d") -> GoldItem:
    return GoldItem(i, "q", "figure", "zh", ("e",), "a", value, "%", "tune", doc, status="figure" if value else "not_found")


def test_the_development_split_holds_out_documents():
    splits = document_splits(ROOT / "corpus" / "reports")
    assert splits["national-2019-work-report"] == "heldout" and splits["anhui-2026-work-report"] == "tune"
    assert document_splits(ROOT / "tests") == {}


def test_a_corpus_of_one_report(tmp_path):
    source = tmp_path / "r.txt"
    source.write_text("一、2025年工作回顾\n增长5%。\n", encoding="utf-8")
    folder = alone(source, tmp_path / "work")
    assert [p.name for p in folder.iterdir()] == ["r.txt"]
    assert alone(source, tmp_path / "work") == folder


def _result(i: str, figure) -> Result:
    return Result(i, (), True, figure, 1.0, 1.0, status="figure" if figure else "passage")


def test_figure_precision_counts_only_figures_shown():
    items = [_item("a", 5.0), _item("b", 6.0), _item("c", 7.0)]
    results = {"a": _result("a", (5.0, "%")), "b": _result("b", (9.0, "%")), "c": _result("c", None)}
    assert figure_precision(items, results) == 0.5
    assert figure_precision(items[2:], results) is None


def test_the_report_keeps_held_out_failures_out(tmp_path):
    items = (_item("a", 5.0, "t"),)
    res = {"a": _result("a", (9.0, "%"))}
    summary = {"n": 1, "figure@1": 0.0, "figure_precision": 0.0}
    tune = DocResult("t", "tune", "province", items, summary, ({"id": "a", "why": ["figure"], "question": "q",
                     "expected": "5%", "status": "figure", "got_figure": (9.0, "%"), "got_status": "figure",
                     "got_first_passage": ""},), res, {})
    held = DocResult("h", "heldout", "country", (_item("b", 5.0, "h"),), summary, (), {"b": _result("b", None)}, {})
    text = write_report(tmp_path, [tune, held])
    assert "split=heldout" in text and "level=country" in text and "**a**" in text
    assert (tmp_path / "report.png").exists()
    assert (tmp_path / "failures.jsonl").read_text(encoding="utf-8").count("\n") == 1

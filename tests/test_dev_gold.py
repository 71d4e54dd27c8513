"""Format checks for the development reports' gold (corpus/reports/gold/<stem>.dev.jsonl).

Standard library + pytest only: these tests read the gold and the report texts, never the QA system, so
a gold author can run them (`python -m pytest tests/test_dev_gold.py -k <stem>`) without seeing the code.
"""
from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
REPORTS = ROOT / "corpus" / "reports"
GOLD_DIR = REPORTS / "gold"
GOLD_FILES = sorted(GOLD_DIR.glob("*.dev.jsonl"))

FIELDS = {
    "id": str, "question": str, "type": str, "group": str, "status": str, "lang": str, "evidence": list,
    "answer": str, "value": (int, float, type(None)), "unit": (str, type(None)),
    "figure_kind": (str, type(None)), "period": (str, type(None)), "split": str,
}
# group -> (allowed types, allowed statuses, minimum rows per report)
GROUPS = {
    "figure": ({"figure"}, {"figure"}, 14),
    "year": ({"year"}, {"figure"}, 6),
    "colloquial": ({"paraphrase"}, {"figure", "passage"}, 5),
    "fact": ({"fact"}, {"passage"}, 4),
    "nofigure": ({"nofigure"}, {"passage"}, 4),
    "unanswerable": ({"none"}, {"not_found"}, 5),
}
FIGURE_KINDS = {"amount", "growth", "share", "count", "rank", "multiple", "rate"}
PERIOD = re.compile(r"^(\d{4})(?:-(\d{4}))?年(实绩|目标)$")
MIN_ROWS, MIN_EN_FIGURES = 40, 2
NOT_FOUND_ANSWER = "报告未提及"


def split_of() -> dict[str, str]:
    rows = [line.split("\t") for line in (REPORTS / "split.tsv").read_text(encoding="utf-8").splitlines()
            if line.strip() and not line.startswith("#")]
    return {stem: split.strip() for stem, split in rows}


def rows_of(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def stem_of(path: Path) -> str:
    return path.name.split(".")[0]


def test_split_names_every_report_once():
    splits = split_of()
    stems = {p.stem for p in REPORTS.glob("*.txt")}
    assert set(splits) == stems
    assert set(splits.values()) <= {"tune", "heldout"}
    assert sum(v == "heldout" for v in splits.values()) >= 8


def test_enough_reports_have_gold():
    assert len(GOLD_FILES) >= 25


@pytest.fixture(params=GOLD_FILES, ids=stem_of)
def gold(request) -> tuple[str, str, list[dict]]:
    path = request.param
    return stem_of(path), (REPORTS / f"{stem_of(path)}.txt").read_text(encoding="utf-8"), rows_of(path)


def test_fields_and_types(gold):
    _, _, rows = gold
    for r in rows:
        assert set(r) == set(FIELDS), r["id"]
        for name, kind in FIELDS.items():
            assert isinstance(r[name], kind), (r["id"], name)
        assert r["lang"] in ("zh", "en"), r["id"]
        assert r["question"].strip(), r["id"]


def test_ids_in_order(gold):
    stem, _, rows = gold
    prefix = rows[0]["id"].rsplit("-", 1)[0]
    assert prefix and prefix.isascii()
    assert [r["id"] for r in rows] == [f"{prefix}-{i:03d}" for i in range(1, len(rows) + 1)]
    assert len({r["question"] for r in rows}) == len(rows), "a question is asked twice"


def test_split_is_the_documents(gold):
    stem, _, rows = gold
    assert {r["split"] for r in rows} == {split_of()[stem]}


def test_group_type_status_agree(gold):
    _, _, rows = gold
    for r in rows:
        types, statuses, _ = GROUPS[r["group"]]
        assert r["type"] in types and r["status"] in statuses, r["id"]


def test_counts(gold):
    _, _, rows = gold
    assert len(rows) >= MIN_ROWS
    groups = Counter(r["group"] for r in rows)
    for group, (_, _, least) in GROUPS.items():
        assert groups[group] >= least, group
    assert sum(r["lang"] == "en" and r["status"] == "figure" for r in rows) >= MIN_EN_FIGURES
    years = [r for r in rows if r["group"] == "year"]
    assert len({r["period"] for r in years}) >= 2, "year pairs need a result and a target"


def test_evidence_is_verbatim(gold):
    _, text, rows = gold
    for r in rows:
        if r["status"] == "not_found":
            assert r["evidence"] == [] and r["answer"] == NOT_FOUND_ANSWER, r["id"]
            continue
        assert r["evidence"], r["id"]
        for e in r["evidence"]:
            assert 10 <= len(e) <= 80, (r["id"], e)
            assert e in text, (r["id"], e)


def _numbers(s: str) -> set[float]:
    return {float(n.replace(",", "")) for n in re.findall(r"\d[\d,]*(?:\.\d+)?", s)}


def test_figures(gold):
    _, _, rows = gold
    for r in rows:
        if r["status"] != "figure":
            assert (r["value"], r["unit"], r["figure_kind"], r["period"]) == (None, None, None, None), r["id"]
            continue
        assert r["value"] is not None and r["unit"] is not None, r["id"]
        assert r["figure_kind"] in FIGURE_KINDS, r["id"]
        assert r["period"] and PERIOD.match(r["period"]), (r["id"], r["period"])
        written = set().union(*(_numbers(e) for e in r["evidence"]))
        if re.search(r"\d", "".join(r["evidence"])) and r["figure_kind"] not in ("rank", "multiple") and "分之" not in r["answer"]:
            assert any(abs(n - float(r["value"])) < 1e-9 for n in written), (r["id"], r["value"])


def test_periods_are_the_reports_years(gold):
    _, text, rows = gold
    for r in rows:
        if r["period"]:
            m = PERIOD.match(r["period"])
            # a span's years need not be written (十四五 is 2021-2025), but some year of it, or its plan, is
            said = m.group(1) in text or (m.group(2) and m.group(2) in text) or re.search(r"十[一二三四五六七八九]五", text)
            assert said, (r["id"], r["period"])

"""Sanity checks for the hand-written gold evaluation sets in corpus/gold/*.jsonl.

Each gold file corpus/gold/<stem>.jsonl belongs to the document corpus/<stem>.txt.
These tests check the gold data only (schema, evidence grounding, counts, split);
they do not import or run the QA system.  Standard library + pytest only.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
GOLD_DIR = ROOT / "corpus" / "gold"
GOLD_FILES = sorted(GOLD_DIR.glob("*.jsonl"))

TYPES = {"figure", "fact", "paraphrase", "year", "multi", "none"}
LANGS = {"zh", "en"}
FIGURE_KINDS = {"amount", "growth", "share", "count", "rank", "multiple", "rate"}
PERIODS = {"2023年实绩", "2024年目标", None}
SPLITS = {"tune", "heldout"}
FIELDS = {
    "id": str,
    "question": str,
    "type": str,
    "lang": str,
    "evidence": list,
    "answer": str,
    "value": (int, float, type(None)),
    "unit": (str, type(None)),
    "figure_kind": (str, type(None)),
    "period": (str, type(None)),
    "split": str,
}
MIN_COUNTS = {"figure": 40, "paraphrase": 15, "year": 10, "multi": 5, "none": 10}
MIN_EN = 5
HELDOUT_RANGE = (0.25, 0.40)

# Chinese numerals / fractions written in words: answers like 第四, 两倍, 五分之一, 前四
CJK_NUMERAL = re.compile(r"[一二两三四五六七八九十百千万]")


def load(path: Path) -> list[dict]:
    rows = []
    with path.open(encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if line.strip():
                try:
                    rows.append(json.loads(line))
                except json.JSONDecodeError as e:  # pragma: no cover - reported as failure
                    pytest.fail(f"{path.name}:{n}: invalid JSON: {e}")
    return rows


def document_for(path: Path) -> str:
    doc = ROOT / "corpus" / f"{path.stem}.txt"
    assert doc.exists(), f"no document {doc} for gold file {path.name}"
    return doc.read_text(encoding="utf-8")


def fmt_number(v: float) -> str:
    """The number as it would be written in the report: 2715, 4.7, 1.55 (no trailing .0)."""
    if isinstance(v, float) and v.is_integer():
        v = int(v)
    return repr(v) if isinstance(v, float) else str(v)


def answer_is_arabic(answer: str) -> bool:
    """True when the answer states its number with Arabic digits (not 第四 / 两倍 / 1/4 / 五分之一)."""
    return bool(re.search(r"\d", answer)) and "/" not in answer


def test_gold_files_exist():
    assert GOLD_FILES, f"no gold files in {GOLD_DIR}"


@pytest.fixture(params=GOLD_FILES, ids=[p.name for p in GOLD_FILES])
def gold(request):
    path = request.param
    return path, load(path), document_for(path)


def test_schema(gold):
    path, rows, _ = gold
    assert rows, f"{path.name} is empty"
    for r in rows:
        rid = r.get("id", "?")
        assert set(r) == set(FIELDS), f"{rid}: fields {sorted(r)} != {sorted(FIELDS)}"
        for key, typ in FIELDS.items():
            assert isinstance(r[key], typ), f"{rid}: {key}={r[key]!r} is not {typ}"
        assert not isinstance(r["value"], bool), f"{rid}: value must be a number"
        assert re.fullmatch(r"[a-z]+-\d{3}", r["id"]), f"{rid}: bad id"
        assert r["question"].strip() and r["answer"].strip(), f"{rid}: empty question/answer"
        assert r["type"] in TYPES, f"{rid}: type {r['type']!r}"
        assert r["lang"] in LANGS, f"{rid}: lang {r['lang']!r}"
        assert r["split"] in SPLITS, f"{rid}: split {r['split']!r}"
        assert r["period"] in PERIODS, f"{rid}: period {r['period']!r}"
        assert r["figure_kind"] is None or r["figure_kind"] in FIGURE_KINDS, f"{rid}: figure_kind"
        assert all(isinstance(e, str) and e for e in r["evidence"]), f"{rid}: evidence must be non-empty strings"
        has_cjk = bool(re.search(r"[\u4e00-\u9fff]", r["question"]))
        assert has_cjk == (r["lang"] == "zh"), f"{rid}: lang {r['lang']} does not match question script"


def test_unique_ids_and_questions(gold):
    path, rows, _ = gold
    ids = Counter(r["id"] for r in rows)
    assert not [i for i, c in ids.items() if c > 1], f"duplicate ids in {path.name}"
    qs = Counter(r["question"] for r in rows)
    assert not [q for q, c in qs.items() if c > 1], f"duplicate questions in {path.name}"


def test_evidence_occurs_in_document(gold):
    _, rows, doc = gold
    missing = [(r["id"], e) for r in rows for e in r["evidence"] if e not in doc]
    assert not missing, f"evidence not found verbatim in the document: {missing}"


def test_evidence_is_short(gold):
    _, rows, _ = gold
    bad = [(r["id"], e) for r in rows for e in r["evidence"] if not 5 <= len(e) <= 120]
    assert not bad, f"evidence spans should be short clauses: {bad}"


def test_none_vs_answerable_evidence(gold):
    _, rows, _ = gold
    for r in rows:
        if r["type"] == "none":
            assert r["evidence"] == [], f"{r['id']}: none question with evidence"
            assert r["value"] is None and r["figure_kind"] is None, f"{r['id']}: none question with a figure"
            assert r["period"] is None, f"{r['id']}: none question with a period"
        else:
            assert r["evidence"], f"{r['id']}: answerable question without evidence"
        if r["type"] == "multi":
            assert len(r["evidence"]) >= 2, f"{r['id']}: multi question needs evidence from two places"


def test_figure_fields(gold):
    _, rows, _ = gold
    for r in rows:
        if r["type"] == "figure":
            assert isinstance(r["value"], (int, float)), f"{r['id']}: figure without numeric value"
            assert isinstance(r["unit"], str), f"{r['id']}: figure without unit string"
            assert r["figure_kind"] in FIGURE_KINDS, f"{r['id']}: figure without figure_kind"
        elif r["type"] != "year":
            assert r["value"] is None and r["unit"] is None and r["figure_kind"] is None, (
                f"{r['id']}: value/unit/figure_kind only for figure and year questions")
        if r["value"] is not None:
            assert isinstance(r["unit"], str), f"{r['id']}: value without unit"


def test_figure_value_in_evidence(gold):
    """The value, written as in the report, occurs in the answer and in some evidence span.

    Answers written with Chinese numerals or fractions (第四, 两倍, 前四, 1/4, 五分之一) cannot be
    matched digit-for-digit; they are skipped here but counted, and must still look numeric.
    """
    _, rows, _ = gold
    checked, skipped = 0, []
    for r in rows:
        if r["value"] is None:
            continue
        if answer_is_arabic(r["answer"]):
            num = fmt_number(r["value"])
            assert num in r["answer"], f"{r['id']}: value {num} not in answer {r['answer']!r}"
            pat = re.compile(r"(?<![\d.])" + re.escape(num) + r"(?![\d])")
            assert any(pat.search(e) for e in r["evidence"]), (
                f"{r['id']}: value {num} not written in any evidence span {r['evidence']}")
            if r["unit"]:
                assert any(num + r["unit"] in e or (num in e and r["unit"] in e) for e in r["evidence"]), (
                    f"{r['id']}: unit {r['unit']!r} not with value {num} in evidence")
            checked += 1
        else:
            assert CJK_NUMERAL.search(r["answer"]) or "/" in r["answer"], (
                f"{r['id']}: non-Arabic figure answer {r['answer']!r} has no numeral")
            skipped.append(r["id"])
    assert checked > 0
    # non-Arabic figure answers should stay the exception
    assert len(skipped) <= max(3, checked // 5), f"too many non-Arabic figure answers: {skipped}"


def test_minimum_counts(gold):
    path, rows, _ = gold
    by_type = Counter(r["type"] for r in rows)
    for t, n in MIN_COUNTS.items():
        assert by_type[t] >= n, f"{path.name}: {by_type[t]} {t} questions < {n}"
    assert by_type["fact"] > 0
    n_en = sum(r["lang"] == "en" for r in rows)
    assert n_en >= MIN_EN, f"{path.name}: {n_en} English questions < {MIN_EN}"


def test_heldout_split(gold):
    path, rows, _ = gold
    frac = sum(r["split"] == "heldout" for r in rows) / len(rows)
    lo, hi = HELDOUT_RANGE
    assert lo <= frac <= hi, f"{path.name}: heldout fraction {frac:.2f} outside [{lo}, {hi}]"
    heldout_types = {r["type"] for r in rows if r["split"] == "heldout"}
    assert heldout_types == {r["type"] for r in rows}, (
        f"types missing from heldout: {sorted({r['type'] for r in rows} - heldout_types)}")


def test_year_questions(gold):
    """year questions are about a quantity reported in both parts; the period must say which."""
    _, rows, _ = gold
    years = [r for r in rows if r["type"] == "year"]
    for r in years:
        assert r["period"] in {"2023年实绩", "2024年目标"}, f"{r['id']}: year question without period"
    periods = Counter(r["period"] for r in years)
    assert periods["2023年实绩"] and periods["2024年目标"], "year questions should cover both periods"


def test_period_matches_part(gold):
    """Evidence for a 2023 answer lies in part 一, for a 2024 answer in part 二."""
    _, rows, doc = gold
    p2 = doc.find("二、2024年重点工作")
    p3 = doc.find("三、从严从实加强管委会自身建设")
    if p2 < 0 or p3 < 0:
        pytest.skip("document has no part markers")
    for r in rows:
        for e in r["evidence"]:
            starts = [m.start() for m in re.finditer(re.escape(e), doc)]
            if r["period"] == "2023年实绩":
                assert any(s < p2 for s in starts), f"{r['id']}: 2023 evidence not in part 一: {e}"
            elif r["period"] == "2024年目标":
                assert any(p2 <= s < p3 for s in starts), f"{r['id']}: 2024 evidence not in part 二: {e}"
